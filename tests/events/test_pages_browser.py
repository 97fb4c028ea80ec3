"""Residents find an event and register in headless Chromium at phone and desktop widths, with
JavaScript on and off: the list filtered by a postcode near them, the event's page with its
access information, the registration form with its mistakes summarised, the "check your e-mail"
page, the booking's page from the e-mailed link and cancelling there, and joining the waiting
list of a full event. Each page checked by axe-core, the CSP refusing nothing, and nothing
scrolling sideways."""

from __future__ import annotations

import re

import pytest

from civic.models import Postcode
from events.models import Registration
from mailing.models import Delivery
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    submit,
)
from tests.events.conftest import make_event
from tests.events.factories import QuestionFactory, RegistrationFactory
from tests.factories import AreaFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.fixture
def ward(cast, settings):
    settings.CIVIC_EVENT_REGISTER_MIN_SECONDS = 0
    area = AreaFactory(organisation=cast.council, name="Ancoats")
    Postcode.objects.create(organisation=cast.council, postcode="M4 6AA", area=area)
    return area


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_finds_an_event_near_them_registers_and_cancels(
    page_at, cast, ward, width, javascript
):
    event = make_event(cast, title="Riverside cycle lanes drop-in", area=ward)
    make_event(cast, title="Hulme budget workshop", area=AreaFactory(organisation=cast.council))
    QuestionFactory(event=event, kind="access", text="")
    page = page_at(width, javascript_enabled=javascript)
    page.goto("/events/")
    assert_on_page(page, heading="Events")
    checked(page)

    if not page.get_by_label("Near me: your postcode").is_visible():
        page.locator("#filters summary").click()
    page.get_by_label("Near me: your postcode").fill("m4 6aa")
    submit(page, page.get_by_role("button", name="Show events"))
    text = assert_on_page(page, heading="Events")
    assert "Hulme budget workshop" not in text
    checked(page)

    submit(page, page.get_by_role("link", name=event.title))
    text = assert_on_page(page, heading=event.title)
    assert "There is step-free access to the venue and the room." in text
    assert "30 places left" in text
    checked(page)

    submit(page, page.get_by_role("link", name="Register for this event"))
    assert_on_page(page, heading="Register for this event")
    checked(page)
    submit(page, page.get_by_role("button", name="Register"))
    text = assert_on_page(page, heading="Register for this event")
    assert "There is a problem" in text and "Enter your name" in text
    checked(page)

    page.get_by_label("Full name").fill("Ann Example")
    page.get_by_label("E-mail address").fill("ann@example.org")
    page.get_by_label("Postcode").fill("m4 6aa")
    page.get_by_label("How many places do you need?").select_option("2")
    page.get_by_label("Do you have any access needs").fill("I use a wheelchair")
    submit(page, page.get_by_role("button", name="Register"))
    assert_on_page(page, heading="Check your e-mail")
    checked(page)
    booking = Registration.objects.get()
    assert (booking.status, booking.places) == (Registration.Status.CONFIRMED, 2)

    text = Delivery.objects.get(to_email="ann@example.org").message["text"]
    link = re.search(r"https?://\S+?(/events/bookings/\S+/)", text).group(1)
    page.goto(link)
    assert_on_page(page, heading="Your booking")
    checked(page)
    booking.refresh_from_db()
    assert booking.status == Registration.Status.CONFIRMED  # opening the link cancels nothing
    submit(page, page.get_by_role("button", name="Cancel my booking"))
    assert_on_page(page, heading="Your booking is cancelled")
    checked(page)
    booking.refresh_from_db()
    assert booking.status == Registration.Status.CANCELLED


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_joins_the_waiting_list_of_a_full_event(page_at, cast, ward, width):
    event = make_event(cast, title="Budget workshop", in_person_capacity=2, places_limit=1)
    RegistrationFactory(event=event, places=2, arrival=1)
    page = page_at(width, javascript_enabled=True)
    page.goto(f"/events/{event.pk}/")
    text = assert_on_page(page, heading="Budget workshop")
    assert "Full: you can join the waiting list" in text
    checked(page)
    submit(page, page.get_by_role("link", name="Register for this event"))
    page.get_by_label("Full name").fill("Sam Example")
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Postcode").fill("M4 6AA")
    submit(page, page.get_by_role("button", name="Register"))
    assert_on_page(page, heading="Check your e-mail")
    waiting = Registration.objects.get(email="sam@example.org")
    assert (waiting.status, waiting.arrival) == (Registration.Status.WAITING, 2)
    text = Delivery.objects.get(to_email="sam@example.org").message["text"]
    link = re.search(r"https?://\S+?(/events/bookings/\S+/)", text).group(1)
    page.goto(link)
    text = assert_on_page(page, heading="Your booking")
    assert "On the waiting list" in text
    checked(page)
