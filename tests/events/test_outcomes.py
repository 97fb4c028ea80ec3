"""After an event its officers write what came of it (a summary, minutes and documents checked as
uploads), check it and publish it: it shows on the event's page and in the list of past events,
and the people who came and consented to hear about the council's events are thanked once."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civic.models import AuditEntry
from contacts.services import ConsentGiven, participation_record
from events.models import ACTIVITY_REGISTRATION, SOURCE_EVENT, Event, Outcome
from events.services.checkin import attendance_mark, walk_in_add
from events.services.outcomes import outcome_publish, outcome_save
from events.services.registering import events_purpose
from mailing.models import Delivery
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Event.Stage
PUBLISH_HEADING = "Publish the outcome: High street public meeting"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(event: Event, page: str = "outcome/") -> str:
    return f"/admin/events/event/{event.pk}/{page}"


def consenting(event: Event, registration) -> None:
    """The person registered and said yes to hearing about the council's events."""
    participation_record(
        organisation=event.organisation,
        email=registration.email,
        kind=ACTIVITY_REGISTRATION,
        item=event,
        item_title=event.title,
        reference=f"event-registration-{registration.pk}",
        source=SOURCE_EVENT,
        consents=[
            ConsentGiven(purpose=events_purpose(event.organisation), wording="Yes", method="Test")
        ],
    )


@pytest.fixture
def past(cast):
    """A meeting held last week: who came and who consented to hear about future events."""
    event = make_event(cast, Stage.PAST, title="High street public meeting")
    came_and_consents = RegistrationFactory(event=event, email="ada@example.org")
    came_only = RegistrationFactory(event=event, email="alan@example.org")
    consents_only = RegistrationFactory(event=event, email="grace@example.org")
    for registration in (came_and_consents, consents_only):
        consenting(event, registration)
    for registration in (came_and_consents, came_only):
        attendance_mark(actor=cast.officer, registration=registration)
    walk_in_add(
        actor=cast.officer, event=event, name="Walter", email="walter@example.org",
        hears_about_events=True,
    )  # fmt: skip
    walk_in_add(actor=cast.officer, event=event, name="Wendy", email="wendy@example.org")
    return event


def test_an_officer_writes_the_outcome_with_a_document(cast, past, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(cast.officer)
    html = assert_page(
        client.get(f"/admin/events/event/{past.pk}/change/"),
        heading="Change event",
    )
    assert f'href="{url(past)}"' in html
    assert_page(client.get(url(past)), heading=f"Outcome: {past.title}")
    response = client.post(
        url(past),
        {
            "summary": "Most people want the street closed on Saturdays.",
            "minutes": "1. **Welcome**",
            "document": SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
            "document_title": "Minutes (PDF)",
        },
    )
    assert response.status_code == 302
    outcome = Outcome.objects.get(event=past)
    assert outcome.published_at is None
    document = outcome.documents.get()
    assert document.title == "Minutes (PDF)"
    assert document.file.read() == PDF
    assert AuditEntry.objects.filter(
        summary="Wrote the outcome", object_repr=f"Outcome of event #{past.pk}"
    ).exists()
    html = assert_page(client.get(url(past)), heading=f"Outcome: {past.title}")
    assert "Saved, not published" in html
    assert "Check and publish" in html
    # Not on show before it is published.
    html = assert_page(Client().get(f"/events/{past.pk}/"), heading=past.title)
    assert "Most people want" not in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"summary": ""}, "Enter a summary of what came of the event"),
        (
            {"summary": "Done.", "document": ("minutes.exe", b"MZ"), "document_title": "X"},
            "The file must be a",
        ),
        (
            {"summary": "Done.", "document": ("minutes.pdf", b"not a pdf"), "document_title": "X"},
            "The file is not a real PDF file",
        ),
        ({"summary": "Done.", "document": ("minutes.pdf", PDF)}, "Enter a title for the document"),
    ],
)
def test_a_mistake_in_the_outcome_is_named_and_saves_nothing(
    cast, past, settings, tmp_path, fields, message
):
    settings.MEDIA_ROOT = tmp_path
    if "document" in fields:
        name, content = fields["document"]
        fields = {**fields, "document": SimpleUploadedFile(name, content)}
    html = assert_page(
        signed_in(cast.officer).post(url(past), fields), heading=f"Outcome: {past.title}"
    )
    assert message in unescape(html)
    assert not Outcome.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


@pytest.mark.parametrize(
    "role", ["officer of another department", "other council's officer", "facilitator"]
)
def test_others_cannot_see_or_write_the_outcome(cast, past, role):
    client = signed_in(cast.people[role])
    for page in ("outcome/", "outcome/publish/"):
        response = client.post(url(past, page), {"summary": "Taken over."})
        assert response.status_code in (403, 404)
    assert not Outcome.objects.exists()
    with pytest.raises(PermissionDenied):
        outcome_save(actor=cast.people[role], event=past, summary="Taken over.")


def test_the_check_waits_for_the_event_to_end_and_for_a_summary(cast):
    event = make_event(cast)
    client = signed_in(cast.officer)
    html = assert_page(
        client.get(url(event, "outcome/publish/")), heading=f"Publish the outcome: {event.title}"
    )
    text = unescape(html)
    assert "The event has not ended yet: publish its outcome after it ends" in text
    assert "Write a summary of the outcome and save it" in text
    client.post(url(event, "outcome/publish/"))
    outcome_save(actor=cast.officer, event=event, summary="Too soon.")
    with pytest.raises(ValidationError):
        outcome_publish(actor=cast.officer, event=event)
    assert Outcome.objects.get().published_at is None
    assert not Delivery.objects.exists()


def test_publishing_shows_the_outcome_and_thanks_those_who_came_and_consented_once(cast, past):
    outcome_save(
        actor=cast.officer,
        event=past,
        summary="Most people want the street closed on Saturdays.",
        minutes="The meeting **agreed** to a trial.",
    )
    client = signed_in(cast.officer)
    html = unescape(assert_page(client.get(url(past, "outcome/publish/")), heading=PUBLISH_HEADING))
    assert "2 people who came and asked to hear about the council's events will be sent" in html
    assert not Delivery.objects.exists()

    response = client.post(url(past, "outcome/publish/"))
    assert response.status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.published_at is not None and outcome.thanked == 2
    assert sorted(Delivery.objects.values_list("to_email", flat=True)) == [
        "ada@example.org",
        "walter@example.org",
    ]
    message = Delivery.objects.first().message
    assert message["subject"] == "Thank you for coming: High street public meeting"
    assert "Most people want the street closed on Saturdays." in message["text"]
    assert f"/events/{past.pk}/" in message["text"]
    entry = AuditEntry.objects.get(action="publish", object_repr=f"Outcome of event #{past.pk}")
    assert entry.summary == "Published the outcome; 2 attendees thanked"

    # Once: a second publish is refused and sends nothing more.
    html = unescape(
        assert_page(client.post(url(past, "outcome/publish/")), heading=PUBLISH_HEADING)
    )
    assert "The outcome is already published." in html
    with pytest.raises(ValidationError):
        outcome_publish(actor=cast.officer, event=past)
    assert Delivery.objects.count() == 2

    page = assert_page(Client().get(f"/events/{past.pk}/"), heading=past.title)
    assert "What came of it" in page
    assert "Most people want the street closed on Saturdays." in page
    assert "<strong>agreed</strong>" in page
    listing = assert_page(Client().get("/events/?when=past"), heading="Events")
    assert "Most people want the street closed on Saturdays." in listing
    assert f'href="/events/{past.pk}/#event-outcome"' in listing


def test_the_event_page_lists_the_outcome_documents(cast, past, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    outcome_save(
        actor=cast.officer,
        event=past,
        summary="Agreed.",
        document=SimpleUploadedFile("slides.pdf", PDF),
        document_title="The slides shown",
    )
    outcome_publish(actor=cast.officer, event=past)
    page = assert_page(Client().get(f"/events/{past.pk}/"), heading=past.title)
    document = Outcome.objects.get().documents.get()
    assert f'href="{document.file.url}"' in page
    assert "The slides shown" in page
