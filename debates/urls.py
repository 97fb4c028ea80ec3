from django.urls import path

from debates import views, views_follow

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
    path("debates/<slug:slug>/follow/", views_follow.follow, name="follow"),
    path("debates/<slug:slug>/unfollow/", views_follow.unfollow, name="unfollow"),
]
