"""The open data API answers only what its schema says: schemathesis reads the live schema from a
live server and tries every operation with values drawn from it (a fixed number of examples per
operation, derandomised, so every run sends the same requests), as a resident and as an officer
signed in with a session: values the schema allows, which must be answered, and values it does
not (a stage outside the enum, a page of 0, a slug with spaces), which must be refused with a 4xx.
Every answer must be in the schema: its status, its content type and its body; no server
error."""

from __future__ import annotations

from itertools import product
from types import SimpleNamespace

import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from civic.models import Role
from petitions.models import Petition, PetitionPolicy, Threshold
from tests.consultations.conftest import make_consultation
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory, RoleFactory
from tests.petitions.conftest import make_petition

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def open_data(db):
    """A council with a ward, an open and a closed consultation, an open and a rejected
    petition: enough for every operation to have something to find."""
    organisation = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    department = DepartmentFactory(organisation=organisation, name="Transport", slug="transport")
    ward = AreaFactory(organisation=organisation, code="E05000001", name="Ancoats")
    make_consultation(department, slug="riverside-cycle-lanes")
    make_consultation(department, slug="library-hours", opens=-30, closes=-1)
    policy = PetitionPolicy.objects.create(organisation=organisation, department=department)
    Threshold.objects.create(policy=policy, kind=Threshold.Kind.RESPONSE, signatures=10)
    council = SimpleNamespace(
        organisation=organisation, team=department, resident=None, policy=policy
    )
    make_petition(council, area=ward)
    make_petition(council, status=Petition.Status.REJECTED, title="Close the park at night")
    return SimpleNamespace(organisation=organisation, department=department)


def _officer_session(open_data) -> requests.Session:
    role = RoleFactory(
        organisation=open_data.organisation,
        kind=Role.Kind.OFFICER,
        departments=[open_data.department],
    )
    client = Client()
    client.force_login(role.user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_every_answer_of_the_api_is_in_its_schema(live_server, open_data, who):
    session = _officer_session(open_data) if who == "officer" else requests.Session()
    if who == "officer":
        # The session is real: the API knows who is asking.
        assert session.get(f"{live_server.url}/accounts/email/").status_code == 200
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation, mode in product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(base_url=live_server.url, session=session)

        fuzz()
