"""Residents see and manage their own data: signed in, or through a signed link by e-mail."""

import re

import pytest
from django.core import mail, signing

from contacts.services import consent_give, consent_is_live, contact_for_email
from contacts.services.my_data import my_data_token
from tests.browser import WIDTHS, assert_accessible, submit
from tests.contacts.factories import ConsentPurposeFactory
from tests.factories import OrganisationFactory, UserFactory
from tests.pages import assert_page
from tests.worker import wait_for


def newsletter_purpose(council):
    return ConsentPurposeFactory(
        organisation=council,
        slug="newsletter",
        name="The council newsletter",
        description="A monthly e-mail about what is open for comment",
    )


@pytest.fixture
def held(db):
    council = OrganisationFactory(name="Northbridge City Council")
    newsletter = newsletter_purpose(council)
    outcome = ConsentPurposeFactory(
        organisation=council,
        slug="bus-lanes",
        name="Bus lanes outcome",
        description="What we decide about the bus lanes",
    )
    contact = contact_for_email(
        organisation=council, email="ann@example.org", source="survey", name="Ann Example"
    )
    consent_give(contact=contact, purpose=newsletter, method="survey", wording="Yes")
    return contact, newsletter, outcome


@pytest.mark.worker
def test_asking_for_a_link_gives_the_same_answer_and_mails_only_a_held_address(
    celery_worker, client
):
    council = OrganisationFactory()
    contact_for_email(organisation=council, email="ann@example.org", source="survey")

    unknown = client.post("/my-data/", {"email": "nobody@example.org"})
    known = client.post("/my-data/", {"email": "Ann@Example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/my-data/sent/"
    sent = wait_for(celery_worker.mail, message=f"no mail left:\n{celery_worker.log()}")
    assert len(sent) == 1
    assert "To: ann@example.org" in sent[0]
    assert "/my-data/link/" in sent[0]


@pytest.mark.django_db
def test_the_link_mail_goes_only_to_an_address_we_hold(held):
    from contacts.tasks.my_data import my_data_link_send_task

    my_data_link_send_task("ann@example.org")
    my_data_link_send_task("nobody@example.org")
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    assert re.search(r"/my-data/link/[^/\s]+/", mail.outbox[0].body)


def test_a_bad_address_is_refused_next_to_the_field(held, client):
    response = client.post("/my-data/", {"email": "not an address"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Enter an email address in the correct format, like name@example.com"]
    }


def test_the_link_shows_the_data_and_saves_changed_consents(held, client):
    contact, newsletter, outcome = held
    path = f"/my-data/link/{my_data_token(email='ann@example.org')}/"
    page = client.get(path).content.decode()
    assert "Ann Example" in page and "The council newsletter" in page

    response = client.post(path, {"contact": contact.pk, "purposes": [outcome.pk]})

    assert response.status_code == 302
    assert not consent_is_live(contact=contact, purpose=newsletter)
    assert consent_is_live(contact=contact, purpose=outcome)
    assert list(contact.consent_events.values_list("action", "method")) == [
        ("given", "survey"),
        ("given", "The 'my data' page"),
        ("withdrawn", "The 'my data' page"),
    ]


def test_a_forged_or_old_link_answers_410_and_shows_nothing(held, client):
    forged = client.get("/my-data/link/not-a-real-token/")
    old = signing.dumps("ann@example.org", salt="contacts.my-data-link", compress=True)
    assert_page(forged, heading="This link has expired", status=410)
    assert "Ann Example" not in forged.content.decode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("contacts.services.my_data.LINK_MAX_AGE", -1)
        assert client.get(f"/my-data/link/{old}/").status_code == 410


def test_nobody_can_change_another_persons_consents_through_their_own_link(held, client):
    contact, newsletter, _outcome = held
    stranger = contact_for_email(
        organisation=contact.organisation, email="bob@example.org", source="survey"
    )
    path = f"/my-data/link/{my_data_token(email='bob@example.org')}/"
    response = client.post(path, {"contact": contact.pk, "purposes": []})
    assert response.status_code == 404
    assert consent_is_live(contact=contact, purpose=newsletter)
    assert stranger.consent_events.count() == 0


def test_a_signed_in_resident_sees_the_contacts_of_their_verified_address(held, client):
    client.force_login(UserFactory(email="ann@example.org"))
    page = client.get("/my-data/").content.decode()
    assert "Ann Example" in page
    assert "Northbridge City Council" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_my_data_pages_pass_axe(page_at, width):
    council = OrganisationFactory(name="Northbridge City Council")
    newsletter_purpose(council)
    contact_for_email(organisation=council, email="ann@example.org", source="survey", name="Ann")
    page = page_at(width)
    page.goto("/my-data/")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Send me a link"))
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    page.goto(f"/my-data/link/{my_data_token(email='ann@example.org')}/")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_withdraws_consent_with_javascript_off(page_at):
    council = OrganisationFactory(name="Northbridge City Council")
    newsletter = newsletter_purpose(council)
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    consent_give(contact=contact, purpose=newsletter, method="survey", wording="Yes")
    page = page_at(390, javascript_enabled=False)
    page.goto(f"/my-data/link/{my_data_token(email='ann@example.org')}/")
    page.get_by_label("The council newsletter").uncheck()
    submit(page, page.get_by_role("button", name=re.compile("Save my choices")))
    assert "saved" in page.locator(".govuk-notification-banner").inner_text()
    assert not consent_is_live(contact=contact, purpose=newsletter)


@pytest.mark.parametrize("kind", ["access", "erasure"])
def test_a_resident_asks_for_a_copy_or_erasure_from_the_page_once_however_often_they_click(
    held, client, kind
):
    from contacts.models import DataRequest

    contact, _newsletter, _outcome = held
    path = f"/my-data/link/{my_data_token(email='ann@example.org')}/"
    for _click in range(2):
        response = client.post(path, {"contact": contact.pk, "request": kind})
        assert response.status_code == 302
    request = DataRequest.objects.get()
    assert (request.contact, request.kind, request.status) == (contact, kind, "requested")


def test_the_link_does_not_carry_the_address_it_was_sent_to(held):
    import base64
    import zlib

    contact, _newsletter, _outcome = held
    token = my_data_token(email="ann@example.org")
    payload = token.split(":")[0]
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    decoded = zlib.decompress(raw) if payload.startswith(".") else raw
    assert decoded == f"[{contact.pk}]".encode()
