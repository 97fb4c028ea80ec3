from django.urls import path

from petitions import views

app_name = "petitions"

urlpatterns = [
    path("petitions/", views.petition_list, name="list"),
    path("petitions.json", views.petition_list_json, name="list_json"),
    path("petitions/start/", views.petition_start, name="start"),
    path("petitions/<int:petition_id>/", views.petition_detail, name="detail"),
    path("petitions/<int:petition_id>.json", views.petition_detail_json, name="detail_json"),
    path("petitions/<int:petition_id>/sign/", views.petition_sign, name="sign"),
    path("petitions/<int:petition_id>/signed/", views.petition_signed, name="signed"),
    path(
        "petitions/<int:petition_id>/confirm/<str:token>/",
        views.signature_confirm_page,
        name="confirm",
    ),
    path("petitions/<int:petition_id>/share/", views.petition_share, name="share"),
    path(
        "petitions/<int:petition_id>/support/<str:token>/",
        views.petition_support,
        name="support",
    ),
]
