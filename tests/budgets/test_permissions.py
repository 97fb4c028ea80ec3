"""Who may run a budget process, by role: the permission matrix, the admin's lists and pages
(another department's officer and another council get nothing, and 404 for an item), and a
refused decision that changes nothing and sends nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from budgets.models import Idea, Process
from mailing.models import Delivery
from tests.budgets.conftest import make_idea, make_process
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db

PERMISSIONS = [
    "budgets.view_process",
    "budgets.change_process",
    "budgets.publish_process",
    "budgets.view_idea",
    "budgets.review_idea",
]
# Who holds every permission above on the team's process and its ideas.
RUNS = {"officer", "admin", "superuser"}
ROLES = ["anonymous", "resident", "officer", "other_officer", "admin", "superuser",
         "other_council_officer", "other_council_admin"]  # fmt: skip


def person(council, role):
    from django.contrib.auth.models import AnonymousUser

    if role == "anonymous":
        return AnonymousUser()
    if role == "superuser":
        return UserFactory(is_staff=True, is_superuser=True)
    return getattr(council, role)


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix(council, role):
    process = make_process(council)
    idea = make_idea(process, proposer=council.resident)
    user = person(council, role)
    for permission in PERMISSIONS:
        target = idea if permission.endswith("_idea") else process
        assert user.has_perm(permission, target) is (role in RUNS), (role, permission)
    # Nobody but a site admin (who holds every permission) may add or delete an idea, and the
    # admin offers it to nobody: residents propose ideas, and review decides them.
    refused = role != "superuser"
    assert user.has_perm("budgets.add_idea") is not refused
    assert user.has_perm("budgets.delete_idea", idea) is not refused
    # Only an organisation's admin deletes a process, which residents' ideas hang on.
    assert user.has_perm("budgets.delete_process", process) is (role in {"admin", "superuser"})


def test_the_admin_offers_nobody_a_way_to_add_change_or_delete_an_idea(council, rf):
    from django.contrib import admin

    idea = make_idea(make_process(council), proposer=council.resident)
    idea_admin = admin.site._registry[Idea]
    request = rf.get("/admin/budgets/idea/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert not idea_admin.has_add_permission(request)
    assert not idea_admin.has_change_permission(request, idea)
    assert not idea_admin.has_delete_permission(request, idea)


def test_only_the_proposer_of_the_ideas_people_may_withdraw_their_own(council):
    idea = make_idea(make_process(council), proposer=council.resident)
    assert council.resident.has_perm("budgets.withdraw_idea", idea)
    assert not council.supporter.has_perm("budgets.withdraw_idea", idea)
    assert council.officer.has_perm("budgets.withdraw_idea", idea)


@pytest.mark.parametrize("role", ["other_officer", "other_council_officer", "other_council_admin"])
def test_the_admin_shows_others_nothing_and_answers_404_for_an_item(council, role):
    process = make_process(council, Process.Stage.REVIEW, title="Northbridge decides 2027")
    idea = make_idea(process, proposer=council.resident, title="Swings")
    client = Client()
    client.force_login(getattr(council, role))
    listing = assert_page(client.get("/admin/budgets/idea/"), heading=ANY_HEADING)
    assert "Swings" not in listing
    processes = assert_page(client.get("/admin/budgets/process/"), heading=ANY_HEADING)
    assert "Northbridge decides 2027" not in processes
    for address in (
        f"/admin/budgets/idea/{idea.pk}/change/",
        f"/admin/budgets/idea/{idea.pk}/feasible/",
        f"/admin/budgets/process/{process.pk}/change/",
        f"/admin/budgets/process/{process.pk}/publish/",
    ):
        assert client.get(address).status_code == 404, address
    response = client.post(f"/admin/budgets/idea/{idea.pk}/feasible/", {"reason": "Yes."})
    assert response.status_code == 404
    idea.refresh_from_db()
    assert idea.status == Idea.Status.PROPOSED
    assert not Delivery.objects.exists()
