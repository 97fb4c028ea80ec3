"""A facilitator builds "tagged volunteer AND consented to Transport consultations AND lives in
Ancoats" by choosing from lists in Chromium, with JavaScript (htmx redraws the values and the
count as they choose) and without it (the buttons redraw the page), sees the count and saves;
the saved segment holds exactly the contacts counted by hand in tests/contacts/segment_people.py.
At phone (390 px) and desktop (1280 px) widths with axe, and at 320 px without sideways scroll;
a value that is not in the lists, sent by a tampered form, is refused on its row."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contacts.models import Segment
from contacts.segments import segment_queryset
from contacts.services import participation_record
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    submit,
)
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


def assert_no_sideways_scroll(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{page.url} scrolls sideways at {width} px"


def checked(page, width: int) -> None:
    """axe where the page's width is one the house checks (with JavaScript on, as axe needs);
    no sideways scroll at every width, 320 px included (WCAG 1.4.10 Reflow)."""
    if page.javascript_enabled and width in WIDTHS:
        assert_accessible(page)
        assert_no_csp_errors(page)
    # Playwright's own script reads the layout even where the page's scripts are off.
    assert_no_sideways_scroll(page, width)


@pytest.mark.parametrize("width", [320, *WIDTHS])
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no javascript"])
def test_a_facilitator_builds_a_segment_by_choosing_and_sees_its_count(
    cast, signed_in_page, javascript, width
):
    seed_people(cast)
    page = signed_in_page(cast.facilitator, width, javascript_enabled=javascript)
    page.goto(ADD)
    assert_on_page(page, heading="Add segment")
    checked(page, width)
    page.get_by_label("Name:").fill("Ancoats volunteers")
    for index, (field, value) in enumerate(CHOICES):
        if index:
            submit(page, page.get_by_role("button", name="Add a condition"))
            assert page.locator(f"#id_c{index}-field").input_value() == ""
        choose(page, index, field, value)
    count = page.locator("#segment-count")
    if javascript:
        expect(count).to_have_text("2 contacts match.")
    else:
        submit(page, page.get_by_role("button", name="Show count"))
        assert count.inner_text() == "2 contacts match."
    checked(page, width)
    sample = page.locator("#segment-preview tbody").inner_text()
    assert "ann@example.org" in sample and "fay@example.org" in sample
    submit(page, page.get_by_role("button", name="Save", exact=True))

    assert "was added successfully" in page.locator(".messagelist").inner_text()
    checked(page, width)
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


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no javascript"])
def test_a_value_not_in_the_lists_is_refused_on_its_row_and_nothing_is_saved(
    cast, signed_in_page, javascript
):
    """The lists offer only the council's own values; a form altered on its way (a tag that
    does not exist, where "volunteer" was chosen) is refused next to the row, not saved to
    match no one."""
    seed_people(cast)
    page = signed_in_page(cast.facilitator, 1280, javascript_enabled=javascript)
    page.goto(ADD)
    page.get_by_label("Name:").fill("Ancoats volunteers")
    choose(page, 0, "Tag", "volunteer")
    tampered: list[str] = []

    def tamper(route):
        request = route.request
        if request.method != "POST" or "c0-value=volunteer" not in (request.post_data or ""):
            route.continue_()
            return
        tampered.append(request.url)
        route.continue_(
            post_data=request.post_data.replace("c0-value=volunteer", "c0-value=gardeners")
        )

    page.route("**/admin/contacts/segment/add/", tamper)
    submit(page, page.get_by_role("button", name="Save", exact=True))

    assert tampered
    assert_on_page(page, heading="Add segment")
    assert "Select a tag from the list" in page.locator("#c0").inner_text()
    assert page.locator("ul.errorlist.nonfield").inner_text() == (
        "Condition 1: Select a tag from the list"
    )
    if javascript:
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
