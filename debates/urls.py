from django.urls import path

from debates import (
    views,
    views_comments,
    views_conversation_email,
    views_conversations,
    views_follow,
    views_moderation,
    views_opinion,
    views_proposals,
)

app_name = "debates"

# Conversations come first: "conversations" is a web address no debate may take
# (debates.models.RESERVED_DEBATE_SLUGS).
urlpatterns = [
    # Spaces come before debates: "spaces" is a web address no debate may take.
    path("debates/spaces/", views_proposals.space_list, name="spaces"),
    path("debates/spaces/<slug:slug>/", views_proposals.space_detail, name="space"),
    path(
        "debates/spaces/<slug:slug>/propose/",
        views_proposals.proposal_add,
        name="proposal_add",
    ),
    path("debates/", views.debate_list, name="list"),
    path(
        "debates/conversations/",
        views_conversations.conversation_list,
        name="conversations",
    ),
    path(
        "debates/conversations/<int:conversation_id>.json",
        views_conversations.conversation_json,
        name="conversation_json",
    ),
    path(
        "debates/conversations/<slug:slug>/",
        views_conversations.conversation_detail,
        name="conversation",
    ),
    path(
        "debates/conversations/<slug:slug>/results/",
        views_opinion.conversation_results,
        name="conversation_results",
    ),
    path(
        "debates/conversations/<slug:slug>/take-part/",
        views_conversation_email.conversation_email,
        name="conversation_email",
    ),
    path(
        "debates/conversations/<slug:slug>/take-part/<str:token>/",
        views_conversation_email.conversation_email_confirm,
        name="conversation_email_confirm",
    ),
    path(
        "debates/conversations/<slug:slug>/vote/",
        views_conversations.statement_vote,
        name="statement_vote",
    ),
    path(
        "debates/conversations/<slug:slug>/statements/add/",
        views_conversations.statement_add,
        name="statement_add",
    ),
    path("debates/<slug:slug>/", views.debate_detail, name="debate"),
    path("debates/<slug:slug>/points/add/", views.point_add, name="point_add"),
    path(
        "debates/<slug:slug>/points/<int:point_id>/endorse/",
        views.point_endorse,
        name="point_endorse",
    ),
    path("debates/<slug:slug>/comments/", views_comments.comment_add, name="comment"),
    path(
        "debates/<slug:slug>/comments/<int:comment_id>/reply/",
        views_comments.comment_reply,
        name="comment_reply",
    ),
    path(
        "debates/<slug:slug>/comments/<int:comment_id>/edit/",
        views_comments.comment_edit,
        name="comment_edit",
    ),
    path(
        "debates/<slug:slug>/comments/<int:comment_id>/delete/",
        views_comments.comment_delete,
        name="comment_delete",
    ),
    path(
        "debates/<slug:slug>/comments/<int:comment_id>/vote/",
        views_comments.comment_vote,
        name="comment_vote",
    ),
]

# Moderation: residents report a comment or a point (debates.views_moderation).
urlpatterns += [
    path(
        "debates/<slug:slug>/comments/<int:comment_id>/report/",
        views_moderation.comment_report,
        name="comment_report",
    ),
    path(
        "debates/<slug:slug>/points/<int:point_id>/report/",
        views_moderation.point_report,
        name="point_report",
    ),
    path("debates/<slug:slug>/follow/", views_follow.follow, name="follow"),
    path("debates/<slug:slug>/unfollow/", views_follow.unfollow, name="unfollow"),
]
