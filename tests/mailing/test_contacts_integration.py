"""Mailing inside the contact manager: engagement as segment conditions, deliveries in the copy of
a person's data, and erasure reaching the outbox."""

import pytest
from django.db import connection
from django.utils import timezone

from contacts.segments import segment_queryset
from contacts.services.gdpr import contact_data, contact_erase
from mailing.models import Delivery, DeliveryEvent, Suppression

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(newsletter):
    ann, ben, cat = newsletter.subscribe(3)
    first, second = newsletter.campaign(name="First"), newsletter.campaign(name="Second")
    now = timezone.now()

    def sent_to(contact, campaign, **opened):
        return Delivery.objects.create(
            organisation=newsletter.council,
            campaign=campaign,
            contact=contact,
            to_email=contact.email,
            status="sent",
            **opened,
        )

    rows = {
        "ann-first": sent_to(ann, first, opened_at=now, clicked_at=now),
        "ben-first": sent_to(ben, first, opened_at=now),
        "ben-second": sent_to(ben, second),
        "cat-second": sent_to(cat, second, opened_at=now),
    }
    return newsletter, (ann, ben, cat), (first, second), rows


def _names(newsletter, definition):
    contacts = segment_queryset(organisation=newsletter.council, definition=definition)
    return sorted(contact.email.split("@")[0] for contact in contacts)


def test_segments_select_contacts_by_what_they_opened_and_clicked(sent):
    newsletter, _contacts, (first, second), _rows = sent
    opened_any = {"conditions": [{"field": "email_opened", "value": "any"}]}
    opened_first = {"conditions": [{"field": "email_opened", "value": first.pk}]}
    clicked = {"conditions": [{"field": "email_clicked", "value": "any"}]}
    never_opened_second = {
        "conditions": [{"field": "email_opened", "value": second.pk, "not": True}]
    }
    assert _names(newsletter, opened_any) == ["resident0", "resident1", "resident2"]
    assert _names(newsletter, opened_first) == ["resident0", "resident1"]
    assert _names(newsletter, clicked) == ["resident0"]
    assert _names(newsletter, never_opened_second) == ["resident0", "resident1"]


def test_the_copy_of_a_persons_data_lists_their_deliveries(sent):
    _newsletter, (_ann, ben, _cat), _campaigns, _rows = sent
    data = contact_data(contact=ben)
    assert [row["message"] for row in data["e-mail deliveries"]] == ["First", "Second"]


def test_erasure_removes_the_address_from_the_outbox_and_keeps_the_counts(sent):
    newsletter, (ann, _ben, _cat), (first, _second), rows = sent
    DeliveryEvent.objects.create(
        delivery=rows["ann-first"],
        event_key="e1",
        event_type="bounced",
        occurred_at=timezone.now(),
        description="resident0@example.org: mailbox full",
    )
    Suppression.objects.create(organisation=newsletter.council, email=ann.email, reason="bounced")

    contact_erase(contact=ann, actor=None, reason="asked")

    assert first.deliveries.figures()["opened"] == 2
    with connection.cursor() as cursor:
        for table in ("mailing_delivery", "mailing_deliveryevent", "mailing_suppression"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            assert "resident0@example.org" not in repr(cursor.fetchall()), table
