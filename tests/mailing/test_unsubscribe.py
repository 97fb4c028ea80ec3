"""Unsubscribing: a mail scanner's GET changes nothing, the page's button and the one-click POST
of RFC 8058 withdraw consent at once, without signing in."""

import re

import pytest

from contacts.models import ConsentPurpose
from contacts.services import consent_give, consent_is_live, contact_for_email
from mailing.services import unsubscribe_token
from tests.browser import WIDTHS, assert_accessible, submit
from tests.factories import OrganisationFactory


@pytest.fixture
def subscribed(db):
    council = OrganisationFactory(name="Northbridge City Council")
    newsletter = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="the council newsletter", description="News"
    )
    transport = ConsentPurpose.objects.create(
        organisation=council, slug="transport", name="transport consultations", description="Bus"
    )
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    for purpose in (newsletter, transport):
        consent_give(contact=contact, purpose=purpose, method="survey", wording="Yes")
    path = f"/unsubscribe/{unsubscribe_token(contact=contact, purpose=newsletter)}/"
    return contact, newsletter, transport, path


def test_following_the_link_changes_nothing(subscribed, client):
    contact, newsletter, _transport, path = subscribed
    response = client.get(path)
    assert response.status_code == 200
    assert "Only the council newsletter" in response.content.decode()
    assert consent_is_live(contact=contact, purpose=newsletter)
    assert contact.consent_events.count() == 2


def test_the_one_click_post_withdraws_that_purpose_at_once_without_a_cookie(subscribed):
    from django.test import Client

    contact, newsletter, transport, path = subscribed
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not consent_is_live(contact=contact, purpose=newsletter)
    assert consent_is_live(contact=contact, purpose=transport)
    again = mail_program.post(path, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert list(contact.consent_events.values_list("action", "method")) == [
        ("given", "survey"),
        ("given", "survey"),
        ("withdrawn", "One-click unsubscribe (RFC 8058)"),
    ]


def test_the_page_withdraws_everything_when_asked(subscribed, client):
    contact, newsletter, transport, path = subscribed
    response = client.post(path, {"scope": "everything"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not consent_is_live(contact=contact, purpose=newsletter)
    assert not consent_is_live(contact=contact, purpose=transport)


def test_a_post_without_a_choice_says_what_to_do_and_changes_nothing(subscribed, client):
    contact, newsletter, _transport, path = subscribed
    response = client.post(path, {})
    assert response.status_code == 200
    assert response.content.decode().count("Choose which e-mails to stop") == 2
    assert consent_is_live(contact=contact, purpose=newsletter)


def test_a_tampered_link_answers_404_and_changes_nothing(subscribed, client):
    contact, newsletter, _transport, path = subscribed
    tampered = re.sub(r":[^:/]+/$", ":forged/", path)
    assert client.post(tampered, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.get("/unsubscribe/nonsense/").status_code == 404
    assert consent_is_live(contact=contact, purpose=newsletter)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_unsubscribe_pages_pass_axe(page_at, width):
    council = OrganisationFactory(name="Northbridge City Council")
    purpose = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="the council newsletter", description="News"
    )
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    consent_give(contact=contact, purpose=purpose, method="survey", wording="Yes")
    page = page_at(width)
    page.goto(f"/unsubscribe/{unsubscribe_token(contact=contact, purpose=purpose)}/")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Stop these e-mails"))
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    page.get_by_label("Only the council newsletter").check()
    submit(page, page.get_by_role("button", name="Stop these e-mails"))
    assert "You are unsubscribed" in page.locator("h1").inner_text()
    assert_accessible(page)
    page.goto("/unsubscribe/nonsense/")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_unsubscribes_with_javascript_off(page_at):
    council = OrganisationFactory()
    purpose = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="the council newsletter", description="News"
    )
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    consent_give(contact=contact, purpose=purpose, method="survey", wording="Yes")
    page = page_at(390, javascript_enabled=False)
    page.goto(f"/unsubscribe/{unsubscribe_token(contact=contact, purpose=purpose)}/")
    page.get_by_label("Everything we send you").check()
    submit(page, page.get_by_role("button", name="Stop these e-mails"))
    assert not consent_is_live(contact=contact, purpose=purpose)
