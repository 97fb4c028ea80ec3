from django.urls import path

from budgets import pabulib_views, views, views_delivery, views_results, views_voting

app_name = "budgets"

urlpatterns = [
    path("budgets/", views.process_list, name="list"),
    path("budgets/<slug:slug>/", views.process_detail, name="process"),
    path("budgets/<slug:slug>/propose/", views.propose, name="propose"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/", views.idea_detail, name="idea"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/support/", views.idea_support, name="support"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/withdraw/", views.idea_withdraw, name="withdraw"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/image/", views.idea_image, name="image"),
    # Voting (budgets.views_voting)
    path("budgets/<slug:slug>/vote/", views_voting.vote, name="vote"),
    path("budgets/<slug:slug>/vote/<int:budget_id>/", views_voting.ballot, name="ballot"),
    path("budgets/<slug:slug>/code/", views_voting.code, name="code"),
    # Pabulib: a budget's election as a .pb file, once voting has closed (budgets.pabulib_io).
    path(
        "budgets/<slug:slug>/budgets/<int:budget_id>/election.pb",
        pabulib_views.election_pabulib,
        name="pabulib",
    ),
    # Results (budgets.views_results)
    path("budgets/<slug:slug>/results/", views_results.results_page, name="results"),
    path("budgets/<slug:slug>/results.json", views_results.results_json, name="results_json"),
    # Building the winning projects (budgets.views_delivery).
    path("budgets/<slug:slug>/projects/", views_delivery.project_list, name="projects"),
    path(
        "budgets/<slug:slug>/ideas/<int:idea_id>/milestones/<int:milestone_id>/photo/",
        views_delivery.milestone_photo,
        name="milestone_photo",
    ),
]
