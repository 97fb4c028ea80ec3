"""Events as iCalendar (RFC 5545): one event's `.ics`, to add it to a calendar or to attach to a
booking's e-mail, and the public feeds residents subscribe to (every event, a council's, an
area's), drawn with the `icalendar` library.

What a calendar app needs to keep its copy right:

- UID `event-<id>@<site's host>`: the same however often the event is edited, so an edit
  replaces the copy a calendar holds instead of adding a second one.
- LAST-MODIFIED, and SEQUENCE that grows with it: the whole seconds from the event's creation
  to its last change (an officer's save, publishing, cancelling). It only ever grows, needs no
  counter to bump on every path that edits an event, and tells a calendar which copy is newer.
- DTSTART and DTEND in UTC ("20270328T090000Z"), which every calendar app shows in its own
  time zone, so an event at 10am on the day the clocks change shows at 10am. Not in
  Europe/London with a VTIMEZONE: the VTIMEZONE that icalendar draws from the tz database is a
  list of RDATEs, which dateutil-based readers (vobject, and the apps built on them) misread,
  putting winter events an hour out (tests/events/test_calendar.py reads every file with a
  second parser and caught it).
- A cancelled event stays in the feed with STATUS:CANCELLED, so calendars that hold it mark it
  cancelled instead of silently keeping it; a draft is never drawn.

What is never in a calendar: the online joining link (only people with a place get it, on their
booking's page) and anything about who registered.

METHOD:PUBLISH rather than REQUEST: the council publishes an event for people to add, it does
not invite them to a meeting that expects a reply. With REQUEST, mail programs show accept and
decline buttons whose answers would go to the council's no-reply address, and RFC 5546 asks
for an organiser and attendees it would have to invent.
"""

from __future__ import annotations

import email.utils
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import segno
from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Registration
from events.services.registering import venue_line
from mailing.services import Attachment

PRODUCT = "-//civic//events//EN"
# A feed holds the upcoming events and those that ended in the last FEED_PAST_DAYS, at most
# FEED_LIMIT of them, soonest first: enough for any council's calendar, small enough to draw.
FEED_PAST_DAYS = 90
FEED_LIMIT = 500
# How often a calendar app should fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH = timedelta(hours=1)


def uid(event: Event) -> str:
    host = urlsplit(settings.CIVIC_SITE_URL).hostname or "civic.localhost"
    return f"event-{event.pk}@{host}"


def last_modified(event: Event) -> datetime:
    """The event's last change: an officer's save, publishing or cancelling."""
    moments = [event.updated_at, event.published_at, event.cancelled_at, event.created_at]
    return max(moment for moment in moments if moment is not None)


def sequence(event: Event) -> int:
    return max(int((last_modified(event) - event.created_at).total_seconds()), 0)


def _site_url(path: str) -> str:
    return settings.CIVIC_SITE_URL + path


def _description(event: Event, page: str) -> str:
    parts = [event.summary.strip(), event.description.strip()]
    if event.status == Event.Status.CANCELLED:
        parts.insert(0, _("This event is cancelled."))
        if event.cancellation_reason.strip():
            parts.insert(1, event.cancellation_reason.strip())
    if event.online:
        parts.append(_("You get the link to join online once you have a place."))
    parts.append(_("More about the event: %(url)s") % {"url": page})
    return "\n\n".join(part for part in parts if part)


def _location(event: Event) -> str:
    if event.in_person:
        where = venue_line(event)
        return _("%(where)s, or online") % {"where": where} if event.online else where
    return _("Online")


def vevent(event: Event) -> icalendar.Event:
    """One event as a VEVENT: never the joining link, never who registered."""
    page = _site_url(reverse("events:event", args=[event.pk]))
    changed = last_modified(event)
    cancelled = event.status == Event.Status.CANCELLED
    entry = icalendar.Event()
    entry.add("uid", uid(event))
    # DTSTAMP is the last change too, not the moment of drawing: the same event gives the same
    # bytes until it changes, so a feed is one shared page for everyone (civic.pagecache).
    entry.add("dtstamp", changed)
    entry.add("created", event.created_at)
    entry.add("last-modified", changed)
    entry.add("sequence", sequence(event))
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", event.ends_at.astimezone(UTC))
    title = _("Cancelled: %(title)s") % {"title": event.title} if cancelled else event.title
    entry.add("summary", title)
    entry.add("description", _description(event, page))
    entry.add("location", _location(event))
    entry.add("url", page)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    entry.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    # RFC 5546 asks a published event for its organiser: the council, at the address its
    # e-mails come from (never a person).
    sender = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if sender:
        entry.add(
            "organizer", f"mailto:{sender}", parameters={"cn": event.department.organisation.name}
        )
    return entry


def _calendar(events, *, name: str = "") -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"value": "DURATION"})
        calendar.add("x-published-ttl", FEED_REFRESH)
    for event in events:
        calendar.add_component(vevent(event))
    return calendar.to_ical()


def event_ics(event: Event) -> bytes:
    """One published or cancelled event as a calendar file; a draft has none."""
    if event.status == Event.Status.DRAFT:
        raise ValueError("A draft event has no calendar file")
    return _calendar([event])


def feed_events(*, now: datetime | None = None) -> QuerySet[Event]:
    """What every feed holds, before its filter: published and cancelled events that have not
    ended, or ended in the last FEED_PAST_DAYS."""
    now = now or timezone.now()
    return (
        Event.objects.published()
        .filter(ends_at__gt=now - timedelta(days=FEED_PAST_DAYS))
        .select_related("department__organisation")
        .order_by("starts_at", "pk")
    )


def feed_ics(*, name: str, filter: Q | None = None, now: datetime | None = None) -> bytes:
    events = feed_events(now=now)
    if filter is not None:
        events = events.filter(filter)
    return _calendar(events[:FEED_LIMIT], name=name)


# A booking's e-mail ------------------------------------------------------------------------------

CALENDAR_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


def check_in_qr_png(code: str) -> bytes:
    """The check-in code as a QR code picture (segno), for officers to scan at the door: medium
    error correction, large enough modules to read from a phone's screen."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def booking_attachments(registration: Registration) -> list[Attachment]:
    """What an e-mail about a confirmed place carries: the event's calendar file and the
    check-in code as a QR code. Nothing for any other e-mail (waiting, cancelled)."""
    if registration.status != Registration.Status.CONFIRMED:
        return []
    event = registration.event
    return [
        Attachment(f"event-{event.pk}.ics", event_ics(event), CALENDAR_TYPE),
        Attachment("check-in-code.png", check_in_qr_png(registration.check_in_code), "image/png"),
    ]
