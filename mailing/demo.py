"""Demo data of the mailing app, run by `manage.py seed_demo` (safe to run again): Northbridge's
sending identity, last month's newsletter sent with its figures, and a draft for next month."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from civic import demo
from contacts.models import ConsentPurpose, Segment
from mailing.models import Campaign, Delivery, DeliveryEvent, SendingIdentity
from mailing.services import audience_freeze

BODY = """Hello {{ contact.first_name|default:"there" }},

Here is what changed in Northbridge this month.

## Open for comment
- **Riverside cycle lanes**: tell us which route works for you.
- **Library opening hours**: two weeks left to have your say.

## You said, we did
You asked for more benches in Market Square; six are going in next week.

[See everything open for comment](/consultations/)
"""


def seed_mailing(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    newsletter = ConsentPurpose.objects.filter(organisation=organisation, slug="newsletter").first()
    if newsletter is None:
        return
    identity, _ = SendingIdentity.objects.get_or_create(
        organisation=organisation,
        from_email="news@northbridge.example",
        defaults={
            "from_name": "Northbridge City Council",
            "reply_to": "engage@northbridge.example",
        },
    )
    everyone, _ = Segment.objects.get_or_create(
        organisation=organisation, name="Everyone", defaults={"definition": {}}
    )
    if Campaign.objects.filter(organisation=organisation).exists():
        return
    now = timezone.now()
    sent = Campaign.objects.create(
        organisation=organisation,
        name="October newsletter",
        identity=identity,
        purpose=newsletter,
        subject="What changed in Northbridge this October",
        body=BODY,
        status=Campaign.Status.SENDING,
        started_at=now - timedelta(days=30),
    )
    sent.segments.add(everyone)
    audience_freeze(sent)
    rows = list(Delivery.objects.filter(campaign=sent).order_by("pk"))
    events = []
    for index, row in enumerate(rows):
        at = now - timedelta(days=30, minutes=-index)
        row.status, row.sent_at, row.attempts = Delivery.Status.SENT, at, 1
        if index % 29 == 5:
            row.bounced_at = at + timedelta(minutes=1)
        else:
            row.delivered_at = at + timedelta(minutes=1)
        if index % 3 == 0 and row.delivered_at:
            row.opened_at = at + timedelta(hours=2)
        if index % 7 == 0 and row.opened_at:
            row.clicked_at = at + timedelta(hours=2, minutes=1)
            events.append(
                DeliveryEvent(
                    delivery=row,
                    event_key=f"demo-click-{row.pk}",
                    event_type="clicked",
                    occurred_at=row.clicked_at,
                    url=f"{settings.CIVIC_SITE_URL}/consultations/",
                )
            )
    Delivery.objects.bulk_update(
        rows,
        ["status", "sent_at", "attempts", "delivered_at", "bounced_at", "opened_at", "clicked_at"],
    )
    DeliveryEvent.objects.bulk_create(events)
    Campaign.objects.filter(pk=sent.pk).update(
        status=Campaign.Status.SENT, finished_at=now - timedelta(days=30, minutes=-len(rows))
    )
    draft = Campaign.objects.create(
        organisation=organisation,
        name="November newsletter",
        identity=identity,
        purpose=newsletter,
        subject="What is open for comment in Northbridge this November",
        body=BODY,
    )
    draft.segments.add(everyone)


demo.register(seed_mailing, order=30)
