from django.urls import path

from debates import views, views_moderation

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
]
