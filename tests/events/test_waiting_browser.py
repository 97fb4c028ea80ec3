"""Someone on the waiting list is offered a place and accepts it from the e-mailed link, or
finds that the offer has passed, in headless Chromium at phone and desktop widths, with
JavaScript on and off: each page checked by axe-core, the CSP refusing nothing, and nothing
scrolling sideways."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Registration
from events.services import registration_cancel
from mailing.models import Delivery
from tests.browser import WIDTHS, assert_on_page, submit
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.events.test_pages_browser import checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Registration.Status


def offer_link(email: str) -> str:
    text = Delivery.objects.get(to_email=email, message__subject__startswith="A place").message
    return re.search(r"https?://\S+?(/events/bookings/\S+/)", text["text"]).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_someone_offered_a_place_accepts_it_from_the_link(page_at, cast, width, javascript):
    event = make_event(cast, title="Budget workshop", in_person_capacity=1)
    first = RegistrationFactory(event=event, arrival=1)
    RegistrationFactory(event=event, arrival=2, status=Status.WAITING, email="sam@example.org")
    registration_cancel(registration=first)
    page = page_at(width, javascript_enabled=javascript)
    page.goto(offer_link("sam@example.org"))
    text = assert_on_page(page, heading="Your booking")
    assert "Offered a place" in text and "Accept it by" in text
    checked(page)
    submit(page, page.get_by_role("button", name="Accept the place"))
    assert_on_page(page, heading="Your place is booked")
    checked(page)
    assert Registration.objects.get(email="sam@example.org").status == Status.CONFIRMED


@pytest.mark.parametrize("width", WIDTHS)
def test_an_offer_that_has_passed_says_so_plainly(page_at, cast, width):
    event = make_event(cast, title="Budget workshop", in_person_capacity=1)
    first = RegistrationFactory(event=event, arrival=1)
    RegistrationFactory(event=event, arrival=2, status=Status.WAITING, email="sam@example.org")
    registration_cancel(registration=first, now=timezone.now() - timedelta(hours=25))
    page = page_at(width, javascript_enabled=True)
    page.goto(offer_link("sam@example.org"))
    text = assert_on_page(page, heading="Your booking")
    assert "The offer of a place has passed." in text
    assert "Accept the place" not in text and "Decline" not in text
    checked(page)
