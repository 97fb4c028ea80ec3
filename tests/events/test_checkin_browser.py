"""An officer checks people in from a phone in headless Chromium, with JavaScript on and off:
the check-in page at 390 px passes axe and does not scroll sideways at 320 px; searching by name,
typing a code and marking someone as arrived all work as plain forms."""

from __future__ import annotations

import pytest

from events.models import Registration
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", [390, 320])
def test_an_officer_checks_people_in_on_a_phone(signed_in_page, cast, width, javascript):
    event = make_event(cast, title="High street public meeting about Saturdays without cars")
    ada = RegistrationFactory(
        event=event, name="Ada Lovelace-Featherstonehaugh-Wolfeschlegelsteinhausen",
        check_in_code="QX47TM", places=2,
    )  # fmt: skip
    alan = RegistrationFactory(event=event, name="Alan Turing", check_in_code="AC3D4E")
    page = signed_in_page(cast.officer, width, javascript_enabled=javascript)
    page.goto(f"/admin/events/event/{event.pk}/change/")
    submit(page, page.get_by_role("link", name="Check people in"))
    heading = f"Check in: {event.title}"
    text = assert_on_page(page, heading=heading)
    assert "0 of 2 bookings have arrived" in text
    checked(page)

    page.get_by_label("Search by name").fill("alan")
    submit(page, page.get_by_role("button", name="Search"))
    text = assert_on_page(page, heading=heading)
    assert "Alan Turing" in text and "Ada Lovelace" not in text
    submit(page, page.get_by_role("button", name="Arrived (Alan Turing)"))
    text = assert_on_page(page, heading=heading)
    assert "Alan Turing is checked in." in text
    assert Registration.objects.get(pk=alan.pk).checked_in_at is not None
    checked(page)

    page.get_by_label("Check-in code").fill("qx4 7tm")
    submit(page, page.get_by_role("button", name="Check in", exact=True))
    text = assert_on_page(page, heading=heading)
    assert "2 of 2 bookings have arrived (3 of 3 places)" in " ".join(text.split())
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None
    checked(page)

    submit(page, page.get_by_role("link", name="Add a walk-in"))
    assert_on_page(page, heading="Add a walk-in")
    submit(page, page.get_by_role("button", name="Add and check in"))
    text = assert_on_page(page, heading="Add a walk-in")
    assert "Enter their name" in text
    checked(page)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_outcome_pages_pass_axe(signed_in_page, cast, width):
    event = make_event(cast, "past", title="High street public meeting")
    page = signed_in_page(cast.officer, width)
    page.goto(f"/admin/events/event/{event.pk}/outcome/")
    assert_on_page(page, heading=f"Outcome: {event.title}")
    checked(page)
    page.get_by_label("Summary").fill("Most people want the street closed on Saturdays.")
    submit(page, page.get_by_role("button", name="Save the outcome"))
    assert_on_page(page, heading=f"Outcome: {event.title}")
    submit(page, page.get_by_role("link", name="Check and publish"))
    text = assert_on_page(page, heading=f"Publish the outcome: {event.title}")
    assert "What happens when you publish" in text
    checked(page)
