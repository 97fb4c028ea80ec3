"""Taking part in a conversation with an e-mail address and no account: the address is asked
for on a guarded form, a signed link is e-mailed, and following it lets the browser vote; one
participant per address per conversation; the taking part recorded in contacts with the consent
given; bad input answered next to the field with nothing changed."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client

from contacts.models import Activity, ConsentEvent, Contact
from debates.conversation_email import (
    LINK_SALT,
    conversation_purpose,
    email_participation_ask,
    email_participation_confirm,
    email_token,
    participant_from_link,
)
from debates.conversations import vote_token
from debates.models import Participant, StatementVote
from debates.views_conversations import PARTICIPANT_COOKIE
from mailing.models import Delivery
from tests.debates.conftest import make_conversation
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
EMAIL = "Rosa.Parkes@Example.org"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_CONVERSATION_EMAIL_MIN_SECONDS = 0
    settings.CIVIC_CONVERSATION_JOIN_MIN_SECONDS = 0


def ask(client, conversation, email=EMAIL, **extra):
    return client.post(
        f"/debates/conversations/{conversation.slug}/take-part/",
        {"email": email, "started": email_token(), "website": "", **extra},
    )


def link_in(delivery: Delivery) -> str:
    (url,) = re.findall(r"https?://\S+/take-part/\S+/", delivery.message["text"])
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def vote(client, conversation, statement, choice):
    return client.post(
        f"/debates/conversations/{conversation.slug}/vote/",
        {"statement": statement.pk, "choice": choice, "started": vote_token(), "website": ""},
    )


def test_a_resident_without_an_account_takes_part_once_they_follow_the_emailed_link(cast):
    conversation = make_conversation(cast)
    first, second, _third = conversation.statements.order_by("pk")
    visitor = Client()
    page = assert_page(
        visitor.get(f"/debates/conversations/{conversation.slug}/"), heading=conversation.title
    )
    assert "Or take part with your e-mail address, without an account" in page

    html = assert_page(ask(visitor, conversation, wants_news="on"), heading="Check your e-mail")
    assert "We have sent a link to rosa.parkes@example.org" in html
    participant = Participant.objects.get()
    assert (participant.email, participant.email_confirmed_at) == ("rosa.parkes@example.org", None)
    (mail,) = Delivery.objects.all()
    assert mail.to_email == "rosa.parkes@example.org"
    assert mail.message["subject"] == f"Your link to take part in “{conversation.title}”"

    # Before the link is followed the browser is nobody: its votes are refused, none is kept,
    # and nothing is recorded in contacts.
    response = vote(visitor, conversation, first, 1)
    assert "Sign in to take part." in assert_page(response, heading=conversation.title)
    assert not StatementVote.objects.exists()
    assert not Contact.objects.filter(email__iexact=EMAIL).exists()

    confirmed = visitor.get(link_in(mail))
    assert_page(confirmed, heading="You can take part now")
    cookie = confirmed.cookies[PARTICIPANT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert vote(visitor, conversation, first, 1).status_code == 303
    assert vote(visitor, conversation, second, -1).status_code == 303
    assert vote(visitor, conversation, second, 0).status_code == 303  # changes the row

    participant.refresh_from_db()
    assert participant.email_confirmed_at is not None
    assert dict(participant.votes.values_list("statement_id", "choice")) == {
        first.pk: 1,
        second.pk: 0,
    }
    html = assert_page(
        visitor.get(f"/debates/conversations/{conversation.slug}/"), heading=conversation.title
    )
    assert "You have voted on 2 of 3 statements." in html
    contact = Contact.objects.get(email__iexact=EMAIL)
    activity = Activity.objects.get(contact=contact)
    assert (activity.reference, activity.item_title) == (
        f"participant-{participant.pk}",
        conversation.title,
    )
    purpose = conversation_purpose(conversation)
    assert ConsentEvent.objects.filter(contact=contact, purpose=purpose).count() == 1


def test_one_participant_per_address_and_asking_again_sends_the_same_link(cast):
    conversation = make_conversation(cast)
    ask(Client(), conversation)
    ask(Client(), conversation, email=EMAIL.upper())
    assert Participant.objects.count() == 1
    first, again = Delivery.objects.order_by("pk")
    # Each link is signed with the time it was made, so compare whom they name, not their text.
    (participant,) = Participant.objects.all()
    for delivery in (first, again):
        token = link_in(delivery).rstrip("/").rsplit("/", 1)[1]
        assert participant_from_link(token=token, conversation=conversation) == participant
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(
            conversation=conversation, email="rosa.parkes@example.org", anonymous_key="other"
        )


def test_the_link_works_on_a_second_device_as_the_same_participant(cast):
    conversation = make_conversation(cast)
    statement = conversation.statements.first()
    ask(Client(), conversation)
    link = link_in(Delivery.objects.get())
    phone, laptop = Client(), Client()
    phone.get(link)
    laptop.get(link)
    vote(phone, conversation, statement, 1)
    vote(laptop, conversation, statement, -1)
    assert StatementVote.objects.get().choice == -1
    assert Participant.objects.count() == 1
    assert Activity.objects.count() == 1  # recorded once


def test_where_anonymous_taking_part_is_allowed_the_browser_keeps_its_own_key(cast):
    conversation = make_conversation(cast, allow_anonymous=True)
    other = make_conversation(cast, allow_anonymous=True, slug="other-talk")
    visitor = Client()
    vote(visitor, other, other.statements.first(), 1)  # anonymous elsewhere first
    key = Participant.objects.get(conversation=other).anonymous_key
    ask(visitor, conversation)
    visitor.get(link_in(Delivery.objects.get()))
    mine = Participant.objects.get(conversation=conversation)
    assert mine.anonymous_key == key  # so the browser is still the same person elsewhere
    vote(visitor, conversation, conversation.statements.first(), -1)
    vote(visitor, other, other.statements.first(), 0)
    assert Participant.objects.count() == 2
    assert mine.votes.get().choice == -1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your e-mail address"),
        ("rosa@", "Enter an e-mail address in the correct format, like name@example.com"),
        ("a" * 330 + "@example.org", "Your e-mail address must be 254 characters or fewer"),
        ("rosa parkes@example.org", "Enter an e-mail address in the correct format"),
    ],
)
def test_a_bad_address_is_answered_next_to_the_field_and_nothing_is_sent(cast, email, message):
    conversation = make_conversation(cast)
    response = ask(Client(), conversation, email=email)
    html = assert_page(response, heading="Take part with your e-mail address", status=400)
    assert message in html
    assert 'href="#id_email"' in html  # the error summary links to the field
    assert not Participant.objects.exists() and not Delivery.objects.exists()


def test_a_forged_or_stale_link_is_nobodys(cast, clock):
    conversation = make_conversation(cast)
    ask(Client(), conversation)
    participant = Participant.objects.get()
    forged = signing.dumps(participant.pk + 1000, salt=LINK_SALT, compress=True)
    response = Client().get(f"/debates/conversations/{conversation.slug}/take-part/{forged}/")
    assert_page(response, heading="This link does not work", status=404)
    response = Client().get(f"/debates/conversations/{conversation.slug}/take-part/nonsense/")
    assert_page(response, heading="This link does not work", status=404)
    other = make_conversation(cast, slug="another")
    response = Client().get(link_in(Delivery.objects.get()).replace(conversation.slug, other.slug))
    assert_page(response, heading="This link does not work", status=404)
    participant.refresh_from_db()
    assert participant.email_confirmed_at is None


def test_too_many_addresses_from_one_connection_are_told_to_try_later(cast, settings):
    settings.CIVIC_CONVERSATION_EMAIL_BURST = "1/m"
    conversation = make_conversation(cast)
    ask(Client(), conversation)
    response = ask(Client(), conversation, email="someone@example.org")
    html = assert_page(response, heading="Take part with your e-mail address", status=429)
    assert "too many e-mail addresses given from your internet connection" in html
    assert Participant.objects.count() == 1 and Delivery.objects.count() == 1


def test_a_closed_conversation_takes_no_addresses(cast):
    conversation = make_conversation(cast, stage="closed")
    html = assert_page(ask(Client(), conversation), heading="Take part with your e-mail address")
    assert "This conversation is not open for votes." in html
    assert not Participant.objects.exists()


def test_confirming_twice_records_once(cast, clock):
    conversation = make_conversation(cast)
    participant = email_participation_ask(
        conversation=conversation, email=EMAIL, token=email_token(), ip="203.0.113.5"
    )
    email_participation_confirm(participant=participant, browser_key=None, now=clock.now)
    clock.advance(minutes=5)
    again = email_participation_confirm(participant=participant, browser_key="x", now=clock.now)
    assert again.anonymous_key == participant.anonymous_key
    assert Activity.objects.count() == 1
    assert not ConsentEvent.objects.exists()  # no consent was given
