"""Segments against a hand-counted population of contacts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import ConsentPurpose, Contact
from contacts.segments import segment_queryset
from contacts.services import (
    consent_give,
    consent_withdraw,
    contact_for_email,
    participation_record,
)
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def population():
    """Six contacts of Northbridge and one of Eastmoor:

    name   source    area     tags              newsletter   took part
    ann    survey    ancoats  cyclists          live         response to bus lanes
    bob    petition  ancoats  cyclists,parents  withdrawn    signature on bus lanes
    cat    survey    hulme    parents           live         -
    dan    import    hulme    -                 -            response to parks
    eve    sign_up   -        cyclists          live         -         (joined 400 days ago)
    fay    petition  -        -                 -            signature on parks
    zed    survey  (Eastmoor) cyclists          -            -
    """
    north = OrganisationFactory(name="Northbridge")
    east = OrganisationFactory(name="Eastmoor")
    ancoats = AreaFactory(organisation=north, code="E05000001")
    hulme = AreaFactory(organisation=north, code="E05000002")
    newsletter = ConsentPurpose.objects.create(
        organisation=north, slug="newsletter", name="Newsletter", description="News"
    )
    department = DepartmentFactory(organisation=north)
    bus_lanes = Notice.objects.create(department=department, title="Bus lanes")
    parks = Notice.objects.create(department=department, title="Parks")
    people = {}
    rows = [
        ("ann", "survey", ancoats, ["cyclists"]),
        ("bob", "petition", ancoats, ["cyclists", "parents"]),
        ("cat", "survey", hulme, ["parents"]),
        ("dan", "import", hulme, []),
        ("eve", "sign_up", None, ["cyclists"]),
        ("fay", "petition", None, []),
    ]
    for name, source, area, tags in rows:
        contact = contact_for_email(organisation=north, email=f"{name}@example.org", source=source)
        contact.area = area
        contact.name = name
        contact.save()
        for tag in tags:
            contact.tags.add(north.tags.get_or_create(name=tag)[0])
        people[name] = contact
    zed = contact_for_email(organisation=east, email="zed@example.org", source="survey")
    zed.tags.add(east.tags.create(name="cyclists"))
    Contact.objects.filter(pk=people["eve"].pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    for name in ("ann", "bob", "cat", "eve"):
        consent_give(contact=people[name], purpose=newsletter, method="form", wording="Yes")
    consent_withdraw(contact=people["bob"], purpose=newsletter, method="unsubscribe link")
    for name, item, kind in [
        ("ann", bus_lanes, "response"),
        ("bob", bus_lanes, "signature"),
        ("dan", parks, "response"),
        ("fay", parks, "signature"),
    ]:
        participation_record(
            organisation=north,
            email=f"{name}@example.org",
            kind=kind,
            item=item,
            item_title=item.title,
            reference=f"{name}-{item.pk}",
            source=people[name].source,
        )
    return north, bus_lanes


def names(organisation, definition) -> set[str]:
    return set(
        segment_queryset(organisation=organisation, definition=definition).values_list(
            "name", flat=True
        )
    )


def test_single_conditions_select_the_hand_counted_contacts(population):
    north, bus_lanes = population
    assert names(north, {"conditions": [{"field": "tag", "value": "Cyclists"}]}) == {
        "ann",
        "bob",
        "eve",
    }
    assert names(north, {"conditions": [{"field": "area", "value": "E05000002"}]}) == {
        "cat",
        "dan",
    }
    assert names(north, {"conditions": [{"field": "source", "value": "petition"}]}) == {
        "bob",
        "fay",
    }
    assert names(north, {"conditions": [{"field": "consent", "value": "newsletter"}]}) == {
        "ann",
        "cat",
        "eve",
    }
    took_part = {
        "field": "took_part_in",
        "content_type": "scoped_feature.notice",
        "object_id": bus_lanes.pk,
    }
    assert names(north, {"conditions": [took_part]}) == {"ann", "bob"}
    assert names(north, {"conditions": [{"field": "took_part_kind", "value": "signature"}]}) == {
        "bob",
        "fay",
    }
    joined = (timezone.now() - timedelta(days=30)).date().isoformat()
    assert names(north, {"conditions": [{"field": "joined_before", "value": joined}]}) == {"eve"}
    assert names(north, {"conditions": [{"field": "joined_after", "value": joined}]}) == {
        "ann",
        "bob",
        "cat",
        "dan",
        "fay",
    }


def test_conditions_combine_with_and_or_and_not(population):
    north, _bus_lanes = population
    definition = {
        "match": "all",
        "conditions": [
            {"field": "consent", "value": "newsletter"},
            {
                "match": "any",
                "conditions": [
                    {"field": "tag", "value": "parents"},
                    {"field": "area", "value": "E05000001"},
                ],
            },
        ],
    }
    assert names(north, definition) == {"ann", "cat"}
    assert names(
        north,
        {
            "conditions": [
                {"field": "tag", "value": "cyclists", "not": True},
                {"field": "took_part_kind", "value": "response"},
            ]
        },
    ) == {"dan"}
    assert names(north, {"match": "any", "conditions": []}) == set()
    assert names(north, {}) == {"ann", "bob", "cat", "dan", "eve", "fay"}


def test_five_conditions_are_evaluated_as_one_query(population):
    north, _bus_lanes = population
    definition = {
        "match": "any",
        "conditions": [
            {"field": "tag", "value": "cyclists"},
            {"field": "area", "value": "E05000002"},
            {"field": "consent", "value": "newsletter"},
            {"field": "took_part_kind", "value": "signature"},
            {"field": "source", "value": "import"},
        ],
    }
    with CaptureQueriesContext(connection) as queries:
        count = segment_queryset(organisation=north, definition=definition).count()
    assert count == 6
    assert len(queries.captured_queries) == 2  # the consent purpose by its slug, then the count


def test_a_segment_never_reaches_another_organisations_contacts(population):
    north, _bus_lanes = population
    assert "zed" not in names(north, {"conditions": [{"field": "tag", "value": "cyclists"}]})


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"conditions": [{"field": "shoe_size", "value": 9}]}, "Unknown condition 'shoe_size'"),
        ({"conditions": [{"field": "joined_after", "value": "last year"}]}, "YYYY-MM-DD"),
        ({"match": "some", "conditions": []}, "'all' or 'any'"),
        ({"conditions": [{"field": "source", "value": "carrier pigeon"}]}, "Unknown source"),
        ({"match": ["all"]}, "'all' or 'any'"),
        ({"conditions": [{"field": ["tag"]}]}, "field is a name"),
        ({"conditions": [1]}, "Each condition is an object"),
        ({"conditions": "ab"}, "conditions are a list"),
        ([], "a JSON object"),
    ],
)
def test_a_malformed_definition_is_refused_with_what_is_wrong(population, definition, message):
    north, _bus_lanes = population
    with pytest.raises(ValidationError, match=message):
        segment_queryset(organisation=north, definition=definition)
