from django.urls import path

from debates import views

app_name = "debates"

urlpatterns = [
    path("debates/", views.debate_list, name="list"),
    path("debates/<slug:slug>/", views.debate_detail, name="debate"),
]
