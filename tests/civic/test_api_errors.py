"""The API's errors are answers its schema describes: a filter value outside its enum or a page
that is not a page is a 400 naming the parameter and saying what it takes; an unknown item, an
address under the API that matches nothing, or a page past the last is a 404 in JSON; and the
schema lists 400 and 404 for every operation."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "parameter", "says"),
    [
        (
            "/api/v1/petitions/?stage=junk",
            "stage",
            "Use one of: open, awaiting_response, debate_scheduled, responded, debated, closed, "
            "rejected.",
        ),
        (
            "/api/v1/consultations/?stage=draft",
            "stage",
            "Use one of: scheduled, open, closed, outcome.",
        ),
        ("/api/v1/petitions/?stage=", "stage", "Use one of: open, awaiting_response"),
        ("/api/v1/petitions/?page=0", "page", "Enter a whole number of 1 or more."),
        ("/api/v1/areas/?page=-1", "page", "Enter a whole number of 1 or more."),
        ("/api/v1/organisations/?page=two", "page", "Enter a whole number of 1 or more."),
        (
            "/api/v1/departments/?organisation=north%20bridge",
            "organisation",
            "Use only letters, numbers, hyphens and underscores.",
        ),
        ("/api/v1/petitions/?area=E05%2F1", "area", "Use only letters, numbers"),
    ],
)
def test_a_bad_filter_or_page_is_a_400_naming_the_parameter(client, address, parameter, says):
    response = client.get(address)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert response.json()[parameter][0].startswith(says)


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/petitions/999999/",
        "/api/v1/consultations/no-such-consultation/",
        "/api/v1/organisations/nowhere/",
        "/api/v1/petitions/not-a-number/",
        "/api/v1/consultations/a.b.c/",
        "/api/v1/nothing-here/",
        "/api/v1/organisations/?page=2",
    ],
)
def test_what_is_not_there_is_a_404_in_json(client, address):
    OrganisationFactory()

    response = client.get(address)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_the_first_page_and_the_last_are_still_answered(client):
    OrganisationFactory(slug="northbridge")

    assert client.get("/api/v1/organisations/?page=1").status_code == 200
    assert client.get("/api/v1/organisations/?page=last").status_code == 200
    assert client.get("/api/v1/organisations/?organisation=northbridge").status_code == 200


def test_the_schema_lists_400_and_404_for_every_operation():
    schema = Client().get("/api/schema/", {"format": "json"}).json()

    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        assert {"200", "400", "404"} <= set(operation["responses"]), (path, method)
    stage = next(
        parameter
        for parameter in schema["paths"]["/api/v1/petitions/"]["get"]["parameters"]
        if parameter["name"] == "stage"
    )
    assert stage["schema"]["enum"] == [
        "open",
        "awaiting_response",
        "debate_scheduled",
        "responded",
        "debated",
        "closed",
        "rejected",
    ]
