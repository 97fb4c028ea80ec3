from django.urls import path

from mailing import views

app_name = "mailing"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
]
