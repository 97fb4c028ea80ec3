"""Residents sign, confirm and start petitions in headless Chromium at phone and desktop widths:
signing and confirming with JavaScript off (plain forms carry the whole journey), every page
checked by axe-core with JavaScript on, and the site's CSP refusing nothing."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services.signing import confirmations_send
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    open_filters,
    submit,
)
from tests.petitions.conftest import make_petition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click(page, name: str) -> None:
    submit(page, page.get_by_role("button", name=name, exact=True))


def check(page_at, width: int, path: str):
    """axe, the CSP and no sideways scrolling, on the page at `path` with JavaScript on."""
    page = page_at(width)
    page.goto(path)
    assert_accessible(page)
    assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{path} scrolls sideways at {width} px"
    )
    return page


@pytest.fixture
def petition(council) -> Petition:
    return make_petition(
        council,
        area=council.ancoats,
        details="Oxford Road has twelve trees in a mile.",
        signature_count=14,
        counted_at=timezone.now(),
        response_due_at=timezone.now(),
        ward_counts=[
            [council.ancoats.pk, "Ancoats", 9],
            [council.hulme.pk, "Hulme", 4],
            [None, "Outside the council's wards", 1],
        ],
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_signs_and_confirms_without_javascript(page_at, petition, width):
    path = f"/petitions/{petition.pk}/"
    check(page_at, width, path)
    page = page_at(width, javascript_enabled=False)
    page.goto(path)
    assert page.locator("h1").inner_text() == "Plant more trees on Oxford Road"

    page.get_by_label("Your name").fill("Ann Signer")
    page.get_by_label("Your e-mail address").fill("ann@example.org")
    page.get_by_label("Your postcode").fill("m4 6aa")
    page.get_by_label("I live, work or study in the area of Northbridge City Council").check()
    click(page, "Sign this petition")

    assert page.locator("h1").inner_text() == "Check your e-mail"
    check(page_at, width, page.url)
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    confirmations_send()  # the worker, within a second of signing
    text = Delivery.objects.get(to_email="ann@example.org").message["text"]
    confirm = re.search(r"https?://\S+?(/petitions/\d+/confirm/\S+/)", text).group(1)

    page.goto(confirm)
    assert page.locator("h1").inner_text() == "Confirm your signature"
    check(page_at, width, confirm)  # opening the link (with or without scripts) confirms nothing
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    click(page, "Confirm my signature")

    assert page.locator(".govuk-panel__title").inner_text() == "Thank you for signing"
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Go to the petition")).click()
    assert page.locator("h1").inner_text() == "Plant more trees on Oxford Road"
    check(page_at, width, confirm)


@pytest.mark.parametrize("width", WIDTHS)
def test_mistakes_in_the_signing_form_are_summarised_and_accessible(page_at, petition, width):
    page = check(page_at, width, f"/petitions/{petition.pk}/")
    page.get_by_label("Your e-mail address").fill("not an address")
    click(page, "Sign this petition")

    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link").all_inner_texts() == [
        "Enter your name",
        "Enter an e-mail address in the correct format, like name@example.com",
        "Enter your postcode",
        "Confirm that you live, work or study in the area to sign",
    ]
    assert page.title().startswith("Error:")
    assert_accessible(page)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_a_signed_in_resident_starts_a_petition_and_sees_the_link_to_share(
    page_at, signed_in_page, council, width
):
    page = signed_in_page(council.resident, width)

    page.goto("/petitions/start/")
    assert_accessible(page)
    page.get_by_label("What do you want the council to do?").fill("Light the towpath")
    page.get_by_label("Why should the council do it?").fill("It is dark after four in winter.")
    page.get_by_label("Which area is it about?").select_option(label="Hulme")
    page.get_by_label("Your name").fill("Cara Creator")
    page.get_by_label("Your postcode").fill("M15 5AA")
    click(page, "Start the petition")

    petition = Petition.objects.get()
    assert page.locator("h1").inner_text() == "Share your petition with supporters"
    link = page.get_by_label("The link to send to your supporters").input_value()
    assert re.fullmatch(rf"https?://\S+/petitions/{petition.pk}/support/\S+/", link)
    assert "5 supporters need to sign it" in page.locator("#supporters-needed").inner_text()
    assert_accessible(page)
    assert_no_csp_errors(page)
    assert petition.status == Petition.Status.SPONSORING

    supporter = check(page_at, width, link[link.index("/petitions/") :])
    assert "Support this petition" in supporter.locator("main").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_listing_and_a_rejected_petition_are_accessible(page_at, council, petition, width):
    rejected = make_petition(
        council,
        title="Close the library on Sundays",
        status=Petition.Status.REJECTED,
        rejection_reason=Petition.Reason.ALREADY,
        rejection_details="The library already closes on Sundays.",
    )
    make_petition(council, title="Fix the bridge", closes_at=timezone.now())

    listing = check(page_at, width, "/petitions/")
    assert listing.locator(".civic-item").count() == 3
    open_filters(listing)
    listing.get_by_label("Stage").select_option(label="Rejected")
    click(listing, "Show petitions")
    assert listing.locator(".civic-item h3").all_inner_texts() == ["Close the library on Sundays"]
    assert_accessible(listing)

    page = check(page_at, width, f"/petitions/{rejected.pk}/")
    assert page.locator("#rejection-reason").inner_text() == "The council is already doing it"
    assert_on_page(page, heading="Close the library on Sundays")
    assert page.get_by_label("Your e-mail address").count() == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_a_debated_petition_a_removed_one_and_a_bad_link_are_accessible(page_at, council, width):
    debated = make_petition(
        council,
        title="Light the towpath",
        signature_count=30,
        counted_at=timezone.now(),
        response="The council will light it.",
        responded_at=timezone.now(),
        debate_date=timezone.localdate(),
        debate_summary="Full council agreed to light the towpath by autumn.",
        debate_minutes_url="https://example.org/minutes",
        debate_video_url="https://example.org/video",
        debated_at=timezone.now(),
        ward_counts=[[council.hulme.pk, "Hulme", 30]],
    )
    removed = make_petition(council, title="Advert", status=Petition.Status.REMOVED)

    page = check(page_at, width, f"/petitions/{debated.pk}/")
    outcome = "Full council agreed to light the towpath by autumn."
    assert outcome in page.locator("main").inner_text()
    gone = check(page_at, width, f"/petitions/{removed.pk}/")
    assert gone.locator("h1").count() == 1
    check(page_at, width, f"/petitions/{debated.pk}/confirm/not-a-real-link/")
