from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/register/", views.register, name="register"),
    path("events/<int:event_id>/registered/", views.registered, name="registered"),
    path("events/bookings/<str:token>/", views.manage, name="manage"),
]
