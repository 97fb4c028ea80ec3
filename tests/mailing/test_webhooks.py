"""Postmark's tracking and inbound webhooks, posted through anymail's own views with basic auth:
what each event changes on the delivery, suppressions and consent, and that a replay, a late
event or a stranger changes nothing it should not."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from contacts.models import ConsentEvent
from contacts.services import consent_is_live
from mailing.models import Campaign, Delivery, DeliveryEvent, Suppression
from mailing.services import campaign_audience, unsubscribe_token

TRACKING_URL = "/anymail/postmark/tracking/"
INBOUND_URL = "/anymail/postmark/inbound/"
SECRET = "civic:webhook-secret"
TIMES = (
    "delivered_at",
    "bounced_at",
    "complained_at",
    "opened_at",
    "clicked_at",
    "unsubscribed_at",
)


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    """Postmark sends this installation's mail: only its webhooks are answered."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    settings.MAILERS = {
        **settings.MAILERS,
        "outbound": {"BACKEND": "anymail.backends.postmark.EmailBackend"},
    }


@pytest.fixture
def sent(newsletter):
    """Two residents who were sent the November newsletter through Postmark."""
    contacts = newsletter.subscribe(2)
    campaign = newsletter.campaign(status=Campaign.Status.SENT)
    deliveries = [
        Delivery.objects.create(
            organisation=newsletter.council,
            campaign=campaign,
            contact=contact,
            to_email=contact.email,
            status=Delivery.Status.SENT,
            esp_message_id=str(uuid.uuid4()),
            sent_at=datetime(2025, 11, 5, 9, 0, tzinfo=UTC),
        )
        for contact in contacts
    ]
    return newsletter, campaign, deliveries


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 11, 5, hour, minute, tzinfo=UTC)


def postmark_time(moment: datetime) -> str:
    # Postmark writes seven fractional digits and a Z.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _message(delivery: Delivery, *, metadata: bool = True) -> dict:
    fields = {"MessageID": delivery.esp_message_id, "MessageStream": "broadcast", "Tag": ""}
    if metadata:
        fields["Metadata"] = {"civic_delivery": str(delivery.pk)}
    return fields


def delivered(delivery: Delivery, moment: datetime, **options) -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "Recipient": delivery.to_email,
        "DeliveredAt": postmark_time(moment),
        "Details": "smtp;250 2.0.0 OK",
        **_message(delivery, **options),
    }


def _engagement(delivery: Delivery, moment: datetime) -> dict:
    return {
        "Client": {"Name": "Firefox 133.0", "Company": "Mozilla", "Family": "Firefox"},
        "OS": {"Name": "Linux", "Company": "-", "Family": "Linux"},
        "Platform": "Desktop",
        "UserAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Geo": {"CountryISOCode": "GB", "Country": "United Kingdom", "City": "Northbridge"},
        "ReceivedAt": postmark_time(moment),
        "Recipient": delivery.to_email,
        **_message(delivery),
    }


def opened(delivery: Delivery, moment: datetime) -> dict:
    return {"RecordType": "Open", "FirstOpen": True, **_engagement(delivery, moment)}


def clicked(delivery: Delivery, moment: datetime, link: str) -> dict:
    return {"RecordType": "Click", "OriginalLink": link, **_engagement(delivery, moment)}


def bounced(delivery: Delivery, moment: datetime, *, kind: str = "HardBounce", bounce_id=1) -> dict:
    return {
        "RecordType": "Bounce",
        "ID": bounce_id,
        "Type": kind,
        "TypeCode": {"HardBounce": 1, "Transient": 2, "SoftBounce": 4096}.get(kind, 100000),
        "Name": kind,
        "ServerID": 23,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": delivery.to_email,
        "From": "news@northbridge.example",
        "BouncedAt": postmark_time(moment),
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "News for Resident",
        **_message(delivery),
    }


def complained(delivery: Delivery, moment: datetime) -> dict:
    return {
        **bounced(delivery, moment, kind="SpamComplaint", bounce_id=2),
        "RecordType": "SpamComplaint",
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this email as spam.",
        "Details": "Complaint via feedback loop",
        "CanActivate": False,
        "Content": "<Abuse report dump>",
    }


def unsubscribed(delivery: Delivery, moment: datetime) -> dict:
    return {
        "RecordType": "SubscriptionChange",
        "ServerID": 23,
        "ChangedAt": postmark_time(moment),
        "Recipient": delivery.to_email,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        **_message(delivery),
    }


def inbound(subject: str, *, sender: str = "resident@example.org") -> dict:
    """Postmark's inbound webhook, for mail to the List-Unsubscribe address."""
    return {
        "FromName": "Resident",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Resident", "MailboxHash": ""},
        "To": "unsubscribe@civic.localhost",
        "ToFull": [{"Email": "unsubscribe@civic.localhost", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "unsubscribe@civic.localhost",
        "Subject": subject,
        "MessageID": str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Wed, 5 Nov 2025 10:15:00 +0000",
        "TextBody": "This message was sent to unsubscribe.",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "X-Spam-Score", "Value": "-0.1"},
        ],
        "Attachments": [],
    }


def post(payload: dict, *, url: str = TRACKING_URL, auth: str | None = SECRET, client=None):
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return (client or Client()).post(
        url, json.dumps(payload), content_type="application/json", headers=headers
    )


def state(delivery: Delivery) -> dict:
    """Everything a webhook may change, to compare before and after."""
    delivery.refresh_from_db()
    return {
        "times": [getattr(delivery, field) for field in TIMES],
        "status": delivery.status,
        "events": sorted(DeliveryEvent.objects.values_list("event_key", "event_type")),
        "suppressions": sorted(Suppression.objects.values_list("email", "reason")),
        "consent": sorted(ConsentEvent.objects.values_list("contact_id", "action", "method")),
    }


def test_delivered_opened_and_clicked_set_their_times_and_the_click_keeps_its_link(sent):
    _newsletter, _campaign, (delivery, other) = sent
    link = "https://northbridge.example/consultations/bus-routes/"

    for payload in (
        delivered(delivery, at(9, 1)),
        opened(delivery, at(9, 30)),
        clicked(delivery, at(9, 31), link),
    ):
        assert post(payload).status_code == 200

    delivery.refresh_from_db()
    assert (delivery.delivered_at, delivery.opened_at, delivery.clicked_at) == (
        at(9, 1),
        at(9, 30),
        at(9, 31),
    )
    assert (delivery.bounced_at, delivery.complained_at, delivery.unsubscribed_at) == (None,) * 3
    assert delivery.status == Delivery.Status.SENT
    assert list(delivery.events.values_list("event_type", "occurred_at", "url")) == [
        ("delivered", at(9, 1), ""),
        ("opened", at(9, 30), ""),
        ("clicked", at(9, 31), link),
    ]
    assert state(other)["times"] == [None] * 6
    assert Delivery.objects.filter(pk=delivery.pk).figures() == {
        "total": 1, "queued": 0, "sent": 1, "failed": 0, "skipped": 0, "delivered": 1,
        "bounced": 0, "complained": 0, "opened": 1, "clicked": 1, "unsubscribed": 0,
    }  # fmt: skip


def test_an_event_without_metadata_is_found_by_the_esp_message_id(sent):
    _newsletter, _campaign, (delivery, _other) = sent

    assert post(delivered(delivery, at(9, 1), metadata=False)).status_code == 200

    delivery.refresh_from_db()
    assert delivery.delivered_at == at(9, 1)


def test_a_hard_bounce_suppresses_the_address_for_the_council_and_later_campaigns_leave_it_out(
    sent,
):
    newsletter, _campaign, (delivery, other) = sent

    assert post(bounced(delivery, at(9, 2))).status_code == 200

    delivery.refresh_from_db()
    assert delivery.bounced_at == at(9, 2)
    assert delivery.status == Delivery.Status.SENT
    assert list(Suppression.objects.values_list("organisation", "email", "reason")) == [
        (newsletter.council.pk, delivery.to_email, "bounced")
    ]
    assert list(delivery.events.values_list("event_type", "description")) == [
        (
            "bounced",
            "The server was unable to deliver your message.\n"
            "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        )
    ]
    december = newsletter.campaign(name="December newsletter")
    assert list(campaign_audience(december).values_list("email", flat=True)) == [other.to_email]
    # A bounce ends the address, not the person's consent.
    assert consent_is_live(contact=delivery.contact, purpose=newsletter.purpose)


def test_a_soft_bounce_or_a_delay_is_recorded_without_suppressing_the_address(sent):
    newsletter, _campaign, (delivery, other) = sent

    assert post(bounced(delivery, at(9, 2), kind="Transient", bounce_id=11)).status_code == 200
    delivery.refresh_from_db()
    assert delivery.bounced_at is None

    # anymail calls Postmark's SoftBounce "bounced": the message bounced, the address lives.
    assert post(bounced(other, at(9, 3), kind="SoftBounce", bounce_id=12)).status_code == 200
    other.refresh_from_db()
    assert other.bounced_at == at(9, 3)

    assert sorted(DeliveryEvent.objects.values_list("event_type", flat=True)) == [
        "bounced",
        "deferred",
    ]
    assert not Suppression.objects.exists()
    december = newsletter.campaign(name="December newsletter")
    assert campaign_audience(december).count() == 2


def test_a_rejection_is_recorded_and_leaves_the_delivery_as_it_was(sent):
    _newsletter, _campaign, (delivery, _other) = sent
    before = state(delivery)

    assert post(bounced(delivery, at(9, 2), kind="Blocked", bounce_id=13)).status_code == 200

    after = state(delivery)
    assert after["events"] == [(f"{delivery.pk}:13", "rejected")]
    assert {**after, "events": []} == {**before, "events": []}


def test_a_complaint_suppresses_the_address_and_withdraws_consent_for_the_newsletter(sent):
    newsletter, _campaign, (delivery, other) = sent

    assert post(complained(delivery, at(10, 0))).status_code == 200

    delivery.refresh_from_db()
    assert delivery.complained_at == at(10, 0)
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (delivery.to_email, "complained")
    ]
    assert not consent_is_live(contact=delivery.contact, purpose=newsletter.purpose)
    assert consent_is_live(contact=other.contact, purpose=newsletter.purpose)
    assert list(delivery.contact.consent_events.values_list("action", "method").order_by("pk")) == [
        ("given", "sign-up form"),
        ("withdrawn", "Spam complaint"),
    ]


def test_an_unsubscribe_at_the_esp_withdraws_consent_without_suppressing(sent):
    newsletter, _campaign, (delivery, _other) = sent

    assert post(unsubscribed(delivery, at(10, 5))).status_code == 200

    delivery.refresh_from_db()
    assert delivery.unsubscribed_at == at(10, 5)
    assert not consent_is_live(contact=delivery.contact, purpose=newsletter.purpose)
    assert delivery.contact.consent_events.latest("pk").method == "ESP unsubscribe"
    assert not Suppression.objects.exists()


def test_a_replayed_webhook_changes_nothing_the_second_time(sent):
    _newsletter, _campaign, (delivery, _other) = sent
    payloads = [
        delivered(delivery, at(9, 1)),
        opened(delivery, at(9, 30)),
        clicked(delivery, at(9, 31), "https://northbridge.example/"),
        complained(delivery, at(10, 0)),
        bounced(delivery, at(10, 1)),
        unsubscribed(delivery, at(10, 2)),
    ]
    for payload in payloads:
        assert post(payload).status_code == 200
    first = state(delivery)
    assert len(first["events"]) == 6
    assert len(first["consent"]) == 3  # two given, one withdrawn

    for payload in payloads:
        assert post(payload).status_code == 200

    assert state(delivery) == first


def test_events_out_of_order_keep_the_earliest_time(sent):
    _newsletter, _campaign, (delivery, _other) = sent

    for payload in (
        opened(delivery, at(9, 45)),  # an open reported before the delivery
        opened(delivery, at(9, 30)),  # an earlier open, reported late
        delivered(delivery, at(9, 1)),
        opened(delivery, at(11, 0)),  # a later open
        delivered(delivery, at(9, 5)),  # a later delivery report for the same message
    ):
        assert post(payload).status_code == 200

    delivery.refresh_from_db()
    assert (delivery.delivered_at, delivery.opened_at) == (at(9, 1), at(9, 30))
    assert delivery.events.count() == 5


@pytest.mark.parametrize(
    "auth", [None, "civic:wrong-secret", "someone:webhook-secret", "civic:webhook-secret:x"]
)
def test_a_webhook_without_the_right_basic_auth_is_refused_and_changes_nothing(sent, auth):
    _newsletter, _campaign, (delivery, _other) = sent
    before = state(delivery)

    for payload in (delivered(delivery, at(9, 1)), complained(delivery, at(10, 0))):
        assert post(payload, auth=auth).status_code == 400

    assert state(delivery) == before
    assert before["events"] == [] and before["suppressions"] == []


def test_an_event_for_a_message_that_is_not_ours_is_ignored_with_200(sent):
    _newsletter, _campaign, (delivery, _other) = sent
    before = state(delivery)
    stranger = Delivery(pk=987654, to_email="someone@example.net", esp_message_id="unknown-id")

    assert post(complained(stranger, at(10, 0))).status_code == 200
    # Our delivery's number, but not the address it went to: another installation's message.
    impostor = complained(delivery, at(10, 0)) | {"Email": "someone@example.net"}
    assert post(impostor).status_code == 200

    assert state(delivery) == before


def test_an_unsubscribe_email_withdraws_the_consent_its_token_names(sent):
    newsletter, _campaign, (delivery, other) = sent
    token = unsubscribe_token(contact=delivery.contact, purpose=newsletter.purpose)

    response = post(inbound(f"unsubscribe {token}", sender=delivery.to_email), url=INBOUND_URL)

    assert response.status_code == 200
    assert not consent_is_live(contact=delivery.contact, purpose=newsletter.purpose)
    assert consent_is_live(contact=other.contact, purpose=newsletter.purpose)
    assert delivery.contact.consent_events.latest("pk").method == (
        "Unsubscribe e-mail (List-Unsubscribe mailto)"
    )


def test_an_unsubscribe_email_with_a_forged_token_or_another_subject_changes_nothing(sent):
    newsletter, _campaign, (delivery, _other) = sent
    token = unsubscribe_token(contact=delivery.contact, purpose=newsletter.purpose)
    before = state(delivery)

    for subject in (
        f"unsubscribe {token[:-4]}abcd",
        "unsubscribe",
        f"Re: unsubscribe {token} please",
        "Question about the bus consultation",
    ):
        response = post(inbound(subject, sender=delivery.to_email), url=INBOUND_URL)
        assert response.status_code == 200

    assert post(inbound(f"unsubscribe {token}"), url=INBOUND_URL, auth=None).status_code == 400
    assert state(delivery) == before


@pytest.mark.django_db(transaction=True)
def test_the_same_complaint_posted_at_once_many_times_acts_once(newsletter, postgresql_only):
    contact = newsletter.subscribe(1)[0]
    campaign = newsletter.campaign(status=Campaign.Status.SENT)
    delivery = Delivery.objects.create(
        organisation=newsletter.council,
        campaign=campaign,
        contact=contact,
        to_email=contact.email,
        status=Delivery.Status.SENT,
        esp_message_id=str(uuid.uuid4()),
    )
    payloads = [complained(delivery, at(10, 0))] * 8 + [
        opened(delivery, at(9, 30 + n)) for n in range(8)
    ]

    def post_and_close(payload):
        try:
            return post(payload).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(post_and_close, payloads)) == [200] * 16

    delivery.refresh_from_db()
    assert (delivery.complained_at, delivery.opened_at) == (at(10, 0), at(9, 30))
    assert DeliveryEvent.objects.filter(event_type="complained").count() == 1
    assert DeliveryEvent.objects.filter(event_type="opened").count() == 8
    assert Suppression.objects.count() == 1
    assert list(contact.consent_events.values_list("action", flat=True).order_by("pk")) == [
        "given",
        "withdrawn",
    ]
