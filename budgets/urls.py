from django.urls import path

from budgets import views, views_results

app_name = "budgets"

urlpatterns = [
    path("budgets/", views.process_list, name="list"),
    path("budgets/<slug:slug>/", views.process_detail, name="process"),
    path("budgets/<slug:slug>/propose/", views.propose, name="propose"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/", views.idea_detail, name="idea"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/support/", views.idea_support, name="support"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/withdraw/", views.idea_withdraw, name="withdraw"),
    path("budgets/<slug:slug>/ideas/<int:idea_id>/image/", views.idea_image, name="image"),
    # Results (budgets.views_results)
    path("budgets/<slug:slug>/results/", views_results.results_page, name="results"),
    path("budgets/<slug:slug>/results.json", views_results.results_json, name="results_json"),
]
