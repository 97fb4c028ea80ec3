from django.urls import path

from budgets import views, views_delivery

app_name = "budgets"

urlpatterns = [
    path("budgets/", views.process_list, name="list"),
    path("budgets/<slug:slug>/", views.process_detail, name="process"),
    path("budgets/<slug:slug>/propose/", views.propose, name="propose"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/", views.idea_detail, name="idea"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/support/", views.idea_support, name="support"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/withdraw/", views.idea_withdraw, name="withdraw"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/image/", views.idea_image, name="image"),
    # Building the winning projects (budgets.views_delivery).
    path("budgets/<slug:slug>/projects/", views_delivery.project_list, name="projects"),
    path(
        "budgets/<slug:slug>/ideas/<int:idea_id>/milestones/<int:milestone_id>/photo/",
        views_delivery.milestone_photo,
        name="milestone_photo",
    ),
]
