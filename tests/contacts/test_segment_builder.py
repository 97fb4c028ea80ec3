"""The segment builder: conditions picked from the organisation's own lists, stored as the JSON
the engine evaluates (contacts.segment_builder, SegmentAdmin)."""

import re

import pytest
from django.core.exceptions import ValidationError

from contacts.models import Segment
from contacts.segment_builder import Builder, fields_for
from contacts.segments import segment_queryset
from contacts.services import participation_record
from tests.contacts.segment_people import EXPECTED, seed_people
from tests.pages import assert_page
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db

ADD = "/admin/contacts/segment/add/"
BUILDER = "/admin/contacts/segment/builder/"


@pytest.fixture
def people(cast):
    return seed_people(cast)


def rows(organisation, *conditions, match="all", name="Ancoats volunteers", **extra) -> dict:
    """What the form posts for top-level `conditions` given as (field, operator, value)."""
    data = {"organisation": organisation.pk, "name": name, "match": match}
    data["conditions"] = len(conditions)
    for index, (field, operator, value) in enumerate(conditions):
        data |= {f"c{index}-field": field, f"c{index}-operator": operator, f"c{index}-value": value}
    return {**data, **extra}


def names(segment) -> set[str]:
    contacts = segment_queryset(organisation=segment.organisation, definition=segment.definition)
    return set(contacts.values_list("name", flat=True))


THE_THREE = [
    ("tag", "is", "volunteer"),
    ("consent", "is", "transport-consultations"),
    ("area", "is", "E05011234"),
]


def test_rows_chosen_from_lists_are_stored_as_the_engines_json(cast, people, client):
    client.force_login(cast.facilitator)
    response = client.post(ADD, rows(cast.council, *THE_THREE))
    assert response.status_code == 302, response.context["adminform"].form.errors
    segment = Segment.objects.get()
    assert segment.definition == {
        "match": "all",
        "conditions": [
            {"field": "tag", "value": "volunteer"},
            {"field": "consent", "value": "transport-consultations"},
            {"field": "area", "value": "E05011234"},
        ],
    }
    assert names(segment) == EXPECTED


def test_a_group_with_not_and_dates_are_stored_as_the_engine_reads_them(cast, people, client):
    client.force_login(cast.facilitator)
    data = rows(
        cast.council,
        ("tag", "is_not", "cyclists"),
        ("joined", "after", "2020-01-31"),
        match="all",
        conditions=3,
        **{
            "c2-group": "1",
            "c2-not": "1",
            "c2-match": "any",
            "c2-rows": "2",
            "c2-0-field": "area",
            "c2-0-operator": "is",
            "c2-0-value": "E05011235",
            "c2-1-field": "consent",
            "c2-1-operator": "is_not",
            "c2-1-value": "transport-consultations",
        },
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Segment.objects.get().definition == {
        "match": "all",
        "conditions": [
            {"field": "tag", "value": "cyclists", "not": True},
            {"field": "joined_after", "value": "2020-01-31"},
            {
                "match": "any",
                "not": True,
                "conditions": [
                    {"field": "area", "value": "E05011235"},
                    {"field": "consent", "value": "transport-consultations", "not": True},
                ],
            },
        ],
    }
    # Not in Hulme, and consented: everyone but bob (Hulme), cat and eve (no live consent).
    assert names(Segment.objects.get()) == {"ann", "dan", "fay"}


def test_an_old_definition_loads_into_the_rows_it_was_made_of(cast, people, client):
    segment = Segment.objects.create(
        organisation=cast.council,
        name="Old",
        definition={
            "conditions": [
                {"field": "tag", "value": "VOLUNTEER"},
                {"field": "area", "value": "e05011234"},
                {"field": "joined_before", "value": "2026-03-27"},
                {
                    "match": "any",
                    "not": True,
                    "conditions": [{"field": "consent", "value": "transport-consultations"}],
                },
            ]
        },
    )
    client.force_login(cast.facilitator)
    response = client.get(f"/admin/contacts/segment/{segment.pk}/change/")
    html = assert_page(response, heading="Change segment")
    builder = response.context["adminform"].form.builder
    tag, area, joined, group = builder.rows
    # Each value in the form the lists hold it, whatever the case it was typed in.
    assert (tag.field, tag.operator, tag.value) == ("tag", "is", "volunteer")
    assert (area.field, area.value) == ("area", "E05011234")
    assert (joined.field, joined.operator, joined.value) == ("joined", "before", "2026-03-27")
    assert (group.match, group.negate) == ("any", True)
    assert [(row.field, row.value) for row in group.conditions] == [
        ("consent", "transport-consultations")
    ]
    # Picked in the lists by the names staff know.
    assert re.search(r'<option value="volunteer"\s+selected>volunteer</option>', html)
    assert re.search(r'<option value="E05011234"\s+selected>Ancoats</option>', html)
    assert 'value="2026-03-27"' in html
    # Saved again unchanged, it is the same segment in the stored form of each value.
    data = rows(
        cast.council,
        ("tag", "is", "volunteer"),
        ("area", "is", "E05011234"),
        ("joined", "before", "2026-03-27"),
        name="Old",
        conditions=4,
        **{
            "c3-group": "1",
            "c3-not": "1",
            "c3-match": "any",
            "c3-rows": "1",
            "c3-0-field": "consent",
            "c3-0-value": "transport-consultations",
        },
    )
    client.post(f"/admin/contacts/segment/{segment.pk}/change/", data)
    segment.refresh_from_db()
    assert segment.definition == Builder.from_definition(segment.definition).to_json()
    assert segment.definition["conditions"][0] == {"field": "tag", "value": "volunteer"}


def test_an_unknown_value_is_refused_next_to_its_row_and_nothing_is_saved(cast, people, client):
    client.force_login(cast.facilitator)
    conditions = [THE_THREE[0], ("tag", "is", "voluntear"), THE_THREE[2]]
    response = client.post(ADD, rows(cast.council, *conditions))
    html = assert_page(response, heading="Add segment")
    assert not Segment.objects.exists()
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["Condition 2: Select a tag from the list"]
    row = re.search(
        r'<fieldset class="segment-condition errors"\s+id="c1">(.*?)</fieldset>', html, re.S
    )
    assert row is not None, "the second row is marked as wrong"
    assert "Select a tag from the list" in row.group(1)
    assert 'aria-describedby="c1-error"' in row.group(1)
    assert [each.key for each, _message in form.builder.errors()] == ["c1"]


def test_a_stale_ward_code_and_a_field_nobody_knows_are_refused_by_name(cast, people, client):
    client.force_login(cast.facilitator)
    response = client.post(
        ADD, rows(cast.council, ("area", "is", "E05000000"), ("shoe_size", "is", "9"))
    )
    assert_page(response, heading="Add segment")
    assert response.context["adminform"].form.non_field_errors() == [
        "Condition 1: Select a ward from the list",
        "Condition 2: Select what condition 2 is about",
    ]
    assert not Segment.objects.exists()


def test_another_councils_values_are_offered_nowhere_and_refused_if_posted(cast, people, client):
    client.force_login(cast.facilitator)
    html = assert_page(client.get(ADD), heading="Add segment")
    assert "volunteer" in html and "Ancoats" in html and "Transport consultations" in html
    for theirs in ("allotments", "Moorside", "Eastmoor news"):
        assert theirs not in html
    fragment = client.post(BUILDER, rows(cast.council, ("tag", "is", "")))
    fragment_html = assert_page(fragment, heading=None)
    assert "volunteer" in fragment_html
    assert "allotments" not in fragment_html
    for field, value in [
        ("tag", "allotments"),
        ("area", "E05099999"),
        ("consent", "eastmoor-news"),
    ]:
        response = client.post(ADD, rows(cast.council, (field, "is", value)))
        assert_page(response, heading="Add segment")
        assert response.context["adminform"].form.non_field_errors()[0].startswith("Condition 1")
    # Nor can the segment be put in their organisation.
    response = client.post(ADD, rows(cast.other_council, ("tag", "is", "allotments")))
    assert_page(response, heading="Add segment")
    assert "organisation" in response.context["adminform"].form.errors
    assert not Segment.objects.exists()


def test_rows_are_added_and_removed_by_buttons_without_saving(cast, people, client):
    client.force_login(cast.facilitator)
    first = rows(cast.council, THE_THREE[0], name="")
    added = client.post(ADD, {**first, "_add": "condition"})
    assert_page(added, heading="Add segment")
    builder = added.context["adminform"].form.builder
    assert [(row.field, row.value) for row in builder.rows] == [("tag", "volunteer"), ("", "")]
    assert added.context["adminform"].form.errors == {}  # no name yet is not an error here
    grouped = client.post(ADD, {**first, "_add": "group"})
    group = grouped.context["adminform"].form.builder.rows[1]
    assert group.is_group and len(group.conditions) == 1
    removed = client.post(ADD, {**rows(cast.council, *THE_THREE), "_remove": "c1"})
    builder = removed.context["adminform"].form.builder
    assert [row.field for row in builder.rows] == ["tag", "area"]
    assert removed.context["preview_count"] == 4  # ann, cat, eve and fay: volunteers in Ancoats
    assert not Segment.objects.exists()


def test_show_count_counts_and_samples_without_saving(cast, people, client):
    client.force_login(cast.facilitator)
    response = client.post(ADD, {**rows(cast.council, *THE_THREE), "_count": "1"})
    html = assert_page(response, heading="Add segment")
    assert response.context["preview_count"] == 2
    assert {contact.name for contact in response.context["preview_sample"]} == EXPECTED
    assert "2 contacts match." in html
    assert not Segment.objects.exists()


def test_the_builder_page_offers_the_chosen_fields_values_and_the_count(cast, people, client):
    client.force_login(cast.facilitator)
    response = client.post(BUILDER, rows(cast.council, *THE_THREE[:2], ("area", "is", "")))
    html = assert_page(response, heading=None)
    assert response.context["preview_count"] is None  # a row without its value is not counted
    assert "Choose a value for every condition" in html
    assert "Select a ward" not in html  # nor is it an error while the rows are being made
    value_select = re.search(r'<select name="c2-value".*?</select>', html, re.S).group(0)
    assert "Ancoats" in value_select and "Hulme" in value_select
    assert "volunteer" not in value_select  # only the chosen field's values
    response = client.post(BUILDER, rows(cast.council, *THE_THREE))
    assert response.context["preview_count"] == 2
    assert "2 contacts match." in response.content.decode()


def test_a_resident_cannot_use_the_builder_page(cast, people, client):
    client.force_login(cast.resident)
    response = client.post(BUILDER, rows(cast.council, *THE_THREE))
    assert response.status_code == 302  # to the admin's sign-in


def test_the_engine_refuses_a_tag_ward_or_purpose_the_organisation_does_not_have(cast, people):
    for field, value, message in [
        ("tag", "voluntear", "There is no tag called 'voluntear'"),
        ("area", "E05099999", "There is no ward with the code 'E05099999'"),
        ("consent", "eastmoor-news", "There is no consent purpose with the short name"),
    ]:
        with pytest.raises(ValidationError, match=message):
            segment_queryset(
                organisation=cast.council,
                definition={"conditions": [{"field": field, "value": value}]},
            )


def test_fields_other_apps_register_describe_themselves(cast, people):
    fields = fields_for(cast.council)
    opened = fields["email_opened"]
    assert opened.label == "Opened an e-mail from"
    assert opened.groups == [("", [("any", "Any campaign")])]  # no campaign has gone out yet
    assert list(fields)[:5] == ["tag", "area", "consent", "took_part_in", "took_part_kind"]
    assert fields["tag"].groups == [("", [("cyclists", "cyclists"), ("volunteer", "volunteer")])]


def test_a_saved_segment_whose_tag_is_gone_shows_it_on_its_row(cast, people, client):
    segment = Segment.objects.create(
        organisation=cast.council,
        name="Old",
        definition={"conditions": [{"field": "tag", "value": "knitters"}]},
    )
    client.force_login(cast.facilitator)
    response = client.get(f"/admin/contacts/segment/{segment.pk}/change/")
    html = assert_page(response, heading="Change segment")
    assert "Select a tag from the list" in html
    assert response.context.get("preview_count") is None  # the engine refuses it: no count


def test_items_people_took_part_in_are_offered_by_kind_and_stored_by_reference(
    cast, people, client
):
    bus_lanes = Notice.objects.create(department=cast.department, title="Bus lanes")
    Notice.objects.create(department=cast.department, title="Nobody took part")
    for name in ("ann", "bob"):
        participation_record(
            organisation=cast.council,
            email=f"{name}@example.org",
            kind="response",
            item=bus_lanes,
            item_title=bus_lanes.title,
            reference=f"{name}-bus-lanes",
            source="sign_up",
        )
    value = f"scoped_feature.notice:{bus_lanes.pk}"
    offered = fields_for(cast.council)["took_part_in"].groups
    assert offered == [("Notices", [(value, "Bus lanes")])]
    client.force_login(cast.facilitator)
    response = client.post(ADD, rows(cast.council, ("took_part_in", "is", value)))
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.definition["conditions"] == [
        {
            "field": "took_part_in",
            "content_type": "scoped_feature.notice",
            "object_id": str(bus_lanes.pk),
        }
    ]
    assert names(segment) == {"ann", "bob"}
    other = cast.other_council
    assert fields_for(other)["took_part_in"].groups == []


def test_a_definition_with_groups_inside_groups_is_shown_as_such_and_kept(cast, people, client):
    deep = {
        "conditions": [
            {"match": "any", "conditions": [{"match": "all", "conditions": []}]},
        ]
    }
    segment = Segment.objects.create(organisation=cast.council, name="Deep", definition=deep)
    client.force_login(cast.facilitator)
    url = f"/admin/contacts/segment/{segment.pk}/change/"
    html = assert_page(client.get(url), heading="Change segment")
    assert "groups inside groups" in html
    response = client.post(url, rows(cast.council, ("tag", "is", "volunteer"), name="Deep"))
    assert_page(response, heading="Change segment")
    segment.refresh_from_db()
    assert segment.definition == deep


def test_a_search_narrows_the_items_offered_and_keeps_the_one_chosen(cast, people, client):
    notices = {
        title: Notice.objects.create(department=cast.department, title=title)
        for title in ("Bus lanes on Oxford Road", "Parks opening hours", "Bus station")
    }
    for title, notice in notices.items():
        participation_record(
            organisation=cast.council,
            email="ann@example.org",
            kind="response",
            item=notice,
            item_title=title,
            reference=f"ann-{notice.pk}",
            source="sign_up",
        )
    chosen = f"scoped_feature.notice:{notices['Parks opening hours'].pk}"
    client.force_login(cast.facilitator)
    data = rows(cast.council, ("took_part_in", "is", chosen), **{"c0-search": "bus OXFORD"})
    response = client.post(BUILDER, data)
    html = assert_page(response, heading=None)
    value_select = re.search(r'<select name="c0-value".*?</select>', html, re.S).group(0)
    assert "Bus lanes on Oxford Road" in value_select
    assert "Parks opening hours" in value_select  # chosen already, so still offered
    assert "Bus station" not in value_select
    assert 'hx-post="/admin/contacts/segment/builder/"' in html
