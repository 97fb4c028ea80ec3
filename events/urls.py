from django.urls import path

from events import views, views_calendar

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/register/", views.register, name="register"),
    path("events/<int:event_id>/registered/", views.registered, name="registered"),
    path("events/bookings/<str:token>/", views.manage, name="manage"),
    path("events/<int:event_id>/event.ics", views_calendar.event_ics, name="event_ics"),
    path("events/calendar.ics", views_calendar.feed, name="calendar"),
    path(
        "events/calendar/councils/<int:organisation_id>.ics",
        views_calendar.organisation_feed,
        name="organisation_calendar",
    ),
    path("events/calendar/areas/<int:area_id>.ics", views_calendar.area_feed, name="area_calendar"),
]
