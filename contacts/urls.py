from django.urls import path

from contacts import views, views_gdpr

app_name = "contacts"

urlpatterns = [
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/sent/", views.my_data_sent, name="my_data_sent"),
    path("my-data/link/<str:token>/", views.my_data_link, name="my_data_link"),
    path("my-data/download/<str:token>/", views_gdpr.data_download, name="data_download"),
]
