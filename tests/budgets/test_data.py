"""Budgets as open data through the API: processes with their budgets and rules, and the projects
on the ballot; drafts only to those who run them; never a person; listed in the schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from budgets.models import Idea, Process
from tests.budgets.conftest import make_idea, make_process
from tests.pages import assert_page

pytestmark = pytest.mark.django_db


def test_the_processes_are_served_with_their_budgets_and_drafts_are_not(client, council):
    process = make_process(council, Process.Stage.REVIEW, title="Northbridge decides 2027")
    make_process(council, status=Process.Status.DRAFT, title="A draft")
    listing = client.get("/api/v1/budget-processes/").json()
    assert [row["title"] for row in listing["results"]] == ["Northbridge decides 2027"]
    detail = client.get(f"/api/v1/budget-processes/{process.slug}/").json()
    assert (detail["stage"], detail["organisation"], detail["method"]) == (
        "review", "northbridge", "equal_shares")  # fmt: skip
    assert [(row["name"], row["area_code"], row["amount"]) for row in detail["budgets"]] == [
        ("Citywide", None, 100_000),
        ("Ancoats", "E05000001", 50_000),
        ("Hulme", "E05000002", 50_000),
    ]


def test_a_draft_is_served_to_its_officer_only(council):
    draft = make_process(council, status=Process.Status.DRAFT)
    assert Client().get(f"/api/v1/budget-processes/{draft.slug}/").status_code == 404
    officer = Client()
    officer.force_login(council.officer)
    assert officer.get(f"/api/v1/budget-processes/{draft.slug}/").status_code == 200


def test_only_the_projects_on_the_ballot_are_served_and_never_who_proposed_them(client, council):
    process = make_process(council, Process.Stage.VOTING)
    on_ballot = make_idea(
        process,
        proposer=council.resident,
        title="Swings",
        status=Idea.Status.ON_BALLOT,
        final_cost=12_000,
        area=council.ancoats,
    )
    make_idea(process, proposer=council.resident, title="Not chosen", status=Idea.Status.FEASIBLE)
    body = assert_page(client.get(f"/api/v1/budget-projects/?process={process.slug}"), heading=None)
    rows = json.loads(body)["results"]
    assert [(row["id"], row["title"], row["cost"], row["budget_name"]) for row in rows] == [
        (on_ballot.pk, "Swings", 12_000, "Ancoats")
    ]
    assert "Cara" not in body and "cara@example.org" not in body
    assert client.get("/api/v1/budget-projects/?process=no%20such").status_code == 400


def test_the_schema_lists_the_budget_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/budget-processes/" in schema and "/api/v1/budget-projects/" in schema
