from django.urls import path

from consultations import views, views_respond

app_name = "consultations"

urlpatterns = [
    path("", views.hub, name="hub"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/documents/<int:pk>/", views.document, name="document"),
    path("<slug:slug>/image/", views.image, name="image"),
    path("<slug:slug>/respond/", views_respond.start, name="respond"),
    path("<slug:slug>/respond/page/<int:number>/", views_respond.page, name="respond_page"),
    path("<slug:slug>/respond/check/", views_respond.check, name="respond_check"),
    path("<slug:slug>/respond/done/<str:reference>/", views_respond.done, name="respond_done"),
    path("<slug:slug>/respond/resume/<str:token>/", views_respond.resume, name="respond_resume"),
]
