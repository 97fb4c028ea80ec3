from django.urls import path

from debates import views, views_comments

app_name = "debates"

urlpatterns = [
    path("debates/", views.debate_list, name="list"),
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
