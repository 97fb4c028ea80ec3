"""A facilitator builds "tagged volunteer AND consented to Transport consultations AND lives in
Ancoats" by choosing from lists in Chromium, with JavaScript (htmx redraws the values and the
count as they choose) and without it (the buttons redraw the page), sees the count and saves;
the saved segment holds exactly the contacts counted by hand in tests/contacts/segment_people.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contacts.models import Segment
from contacts.segments import segment_queryset
from contacts.services import participation_record
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.contacts.segment_people import EXPECTED, seed_people
from tests.scoped_feature.models import Notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADD = "/admin/contacts/segment/add/"
CHOICES = [("Tag", "volunteer"), ("Consented to", "Transport consultations"), ("Ward", "Ancoats")]


def choose(page, index: int, field: str, value: str) -> None:
    field_select = page.locator(f"#id_c{index}-field")
    values = page.locator(f"#id_c{index}-value")
    if page.javascript_enabled:
        # htmx redraws the row with the chosen field's values only, then the count.
        with page.expect_response(lambda response: response.url.endswith("/builder/")):
            field_select.select_option(label=field)
        expect(values.locator("optgroup")).to_have_count(0)
        with page.expect_response(lambda response: response.url.endswith("/builder/")):
            values.select_option(label=value)
    else:
        # Before a field is chosen the values of every field are offered, in groups.
        field_select.select_option(label=field)
        values.select_option(label=value)


def saved_audience() -> set[str]:
    segment = Segment.objects.get()
    contacts = segment_queryset(organisation=segment.organisation, definition=segment.definition)
    return set(contacts.values_list("name", flat=True))


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no javascript"])
def test_a_facilitator_builds_a_segment_by_choosing_and_sees_its_count(
    cast, signed_in_page, javascript
):
    seed_people(cast)
    page = signed_in_page(cast.facilitator, 1280, javascript_enabled=javascript)
    page.goto(ADD)
    assert_on_page(page, heading="Add segment")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Name:").fill("Ancoats volunteers")
    for index, (field, value) in enumerate(CHOICES):
        if index:
            submit(page, page.get_by_role("button", name="Add a condition"))
            assert page.locator(f"#id_c{index}-field").input_value() == ""
        choose(page, index, field, value)
    count = page.locator("#segment-count")
    if javascript:
        expect(count).to_have_text("2 contacts match.")
        assert_accessible(page)
        assert_no_csp_errors(page)
    else:
        submit(page, page.get_by_role("button", name="Show count"))
        assert count.inner_text() == "2 contacts match."
    sample = page.locator("#segment-preview tbody").inner_text()
    assert "ann@example.org" in sample and "fay@example.org" in sample
    submit(page, page.get_by_role("button", name="Save", exact=True))

    assert "was added successfully" in page.locator(".messagelist").inner_text()
    assert saved_audience() == EXPECTED
    assert Segment.objects.get().definition == {
        "match": "all",
        "conditions": [
            {"field": "tag", "value": "volunteer"},
            {"field": "consent", "value": "transport-consultations"},
            {"field": "area", "value": "E05011234"},
        ],
    }


def test_a_wrong_choice_is_shown_on_its_row_accessibly(cast, signed_in_page):
    seed_people(cast)
    page = signed_in_page(cast.facilitator, 1280)
    page.goto(ADD)
    page.get_by_label("Name:").fill("Ancoats volunteers")
    page.locator("#id_c0-field").select_option(label="Ward")
    expect(page.locator("#id_c0-value optgroup")).to_have_count(0)
    submit(page, page.get_by_role("button", name="Save", exact=True))

    assert_on_page(page, heading="Add segment")
    assert "Select a ward from the list" in page.locator("#c0").inner_text()
    summary = page.locator("ul.errorlist.nonfield").inner_text()
    assert summary == "Condition 1: Select a ward from the list"
    assert_accessible(page)
    assert not Segment.objects.exists()


def test_the_items_list_is_searched_as_the_facilitator_types(cast, signed_in_page):
    seed_people(cast)
    for title in ("Bus lanes on Oxford Road", "Parks opening hours"):
        notice = Notice.objects.create(department=cast.department, title=title)
        participation_record(
            organisation=cast.council,
            email="ann@example.org",
            kind="response",
            item=notice,
            item_title=title,
            reference=f"ann-{notice.pk}",
            source="sign_up",
        )
    page = signed_in_page(cast.facilitator, 1280)
    page.goto(ADD)
    with page.expect_response(lambda response: response.url.endswith("/builder/")):
        page.locator("#id_c0-field").select_option(label="Took part in")
    values = page.locator("#id_c0-value option")
    expect(values).to_have_text(
        ["Choose a value", "Bus lanes on Oxford Road", "Parks opening hours"]
    )
    page.get_by_label("Search the items").press_sequentially("park")
    expect(values).to_have_text(["Choose a value", "Parks opening hours"])
    assert page.get_by_label("Search the items").input_value() == "park"
    assert_accessible(page)
    assert_no_csp_errors(page)
