"""What officers do with events. Each action checks a permission and is audited.

    event_problems   what stops a draft event from being published, by field
    event_publish    a draft event goes public once it passes its checks
    event_cancel     a published event is called off; it stays on show, saying so
    event_place      the area (ward) an event's postcode lies in, set before it is saved
    part_of_choices  what an officer may say an event belongs to, as a list to pick from
    part_of_item     the consultation, debate or budget an event belongs to, if any
    series_create    a series with one draft event per chosen area, made at once

Registering is in events.services.registering, re-exported here for the views.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import Area, AuditEntry, Department, User
from civic.selectors import scope_to_organisation
from civic.services import area_for_postcode, audit_record, require, state_move
from events.models import PART_OF_KINDS, Event, EventSeries, PartOfKind

NOT_RUNNER = gettext_lazy("You do not run this event.")


# Where it is ------------------------------------------------------------------------------------


def event_place(event: Event) -> None:
    """Set the event's area from its postcode (one outside the council's directory leaves it
    empty; no postcode keeps the area a series gave it). The row is saved by the caller."""
    if event.postcode:
        event.area = area_for_postcode(organisation=event.organisation, postcode=event.postcode)


# What it belongs to -----------------------------------------------------------------------------


def _kind_of(content_type_id: int | None) -> tuple[ContentType, PartOfKind] | None:
    if content_type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(content_type_id)
    for kind in PART_OF_KINDS:
        if (content_type.app_label, content_type.model) == (kind.app_label, kind.model):
            return content_type, kind
    return None


def part_of_choices(user: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """The council's own consultations, debates and budgets, newest first, grouped by kind, as
    (kind, [("<content type id>:<id>", title), ...]) for a list an officer picks from."""
    groups = []
    for kind in PART_OF_KINDS:
        content_type = ContentType.objects.get_by_natural_key(kind.app_label, kind.model)
        items = scope_to_organisation(
            content_type.model_class().objects.all(), user, path="department__organisation"
        ).order_by("-pk")[:200]
        choices = [(f"{content_type.pk}:{item.pk}", str(item)) for item in items]
        if choices:
            groups.append((str(kind.label), choices))
    return groups


def part_of_item(event: Event):
    """The item the event belongs to, or None (gone, or of a kind no longer linked)."""
    found = _kind_of(event.part_of_type_id)
    if found is None or event.part_of_id is None:
        return None
    content_type, _kind = found
    return content_type.model_class().objects.filter(pk=event.part_of_id).first()


def part_of_link(event: Event) -> dict | None:
    """The item the event belongs to as {"kind", "title", "url"} for its page, if it is public."""
    found = _kind_of(event.part_of_type_id)
    if found is None:
        return None
    content_type, kind = found
    item = content_type.model_class().objects.filter(kind.public, pk=event.part_of_id).first()
    if item is None:
        return None
    return {"kind": kind.label, "title": str(item), "url": reverse(kind.url_name, args=[item.slug])}


# Publishing -------------------------------------------------------------------------------------


def event_problems(event: Event) -> dict[str, str]:
    """What stops an event from being published, by field ("" for the event as a whole), in
    words an officer can act on. The publish page and event_publish both ask this."""
    problems: dict[str, str] = {}
    if not event.description.strip():
        problems["description"] = _("Enter a description of what happens at the event")
    if event.registration_opens_at is None:
        problems["registration_opens_at"] = _("Enter the date registration opens")
    for key, message in Event.SCHEDULE.problems(event).items():
        problems.setdefault(key, message)
    if event.in_person:
        if not event.venue_name.strip():
            problems["venue_name"] = _("Enter the name of the venue")
        if not event.address.strip():
            problems["address"] = _("Enter the venue's address")
        if not event.postcode:
            problems["postcode"] = _("Enter the venue's postcode")
        if event.in_person_capacity < 1:
            problems["in_person_capacity"] = _("Enter how many places there are in person")
    if event.online:
        if not event.joining_link:
            problems["joining_link"] = _("Enter the link people use to join online")
        if event.online_capacity < 1:
            problems["online_capacity"] = _("Enter how many places there are online")
    if event.part_of_type_id is not None:
        found = _kind_of(event.part_of_type_id)
        item = part_of_item(event)
        if found is None or item is None:
            problems["part_of"] = _("Choose what the event belongs to again: it is gone")
        elif item.department.organisation_id != event.organisation_id:
            problems["part_of"] = _("Choose something your own council runs")
        elif not type(item).objects.filter(found[1].public, pk=item.pk).exists():
            problems["part_of"] = _("Publish “%(title)s” first, or choose another") % {
                "title": str(item)
            }
    return problems


@transaction.atomic
def event_publish(*, actor: User, event: Event, now: datetime | None = None) -> Event:
    require(actor, "events.publish_event", event, message=NOT_RUNNER)
    locked = Event.objects.select_for_update().select_related("department").get(pk=event.pk)
    problems = event_problems(locked)
    if problems:
        raise ValidationError(
            {field or NON_FIELD_ERRORS: message for field, message in problems.items()}
        )
    state_move(
        locked,
        Event.Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published the event",
        fields={"published_at": now or timezone.now()},
    )
    return locked


@transaction.atomic
def event_cancel(*, actor: User, event: Event, reason: str, now: datetime | None = None) -> Event:
    """Call a published event off. It stays on its page and in the list, saying it is cancelled
    and why; nobody can register any more."""
    require(actor, "events.cancel_event", event, message=NOT_RUNNER)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError(
            {"reason": _("Enter why the event is cancelled: residents will read it")}
        )
    locked = Event.objects.select_for_update().get(pk=event.pk)
    state_move(
        locked,
        Event.Status.CANCELLED,
        actor=actor,
        action=AuditEntry.Action.CLOSE,
        summary="Cancelled the event",
        fields={"cancelled_at": now or timezone.now(), "cancellation_reason": reason[:2000]},
    )
    locked.department = event.department
    registrations_tell_cancelled(event=locked)
    return locked


# Series -----------------------------------------------------------------------------------------


@transaction.atomic
def series_create(
    *,
    actor: User,
    department: Department,
    title: str,
    areas: list[Area],
    event_fields: dict,
) -> EventSeries:
    """A series and one draft event per area ("Drop-in: Ancoats"), with the fields they share.
    Each event's venue and dates are then set on its own page before it is published."""
    probe = Event(department=department)
    require(actor, "events.add_event", probe, message=_("You do not run this department."))
    if not areas:
        raise ValidationError({"areas": _("Choose at least one area to hold an event in")})
    if any(area.organisation_id != department.organisation_id for area in areas):
        raise ValidationError({"areas": _("Choose areas of the department's own council")})
    series = EventSeries.objects.create(department=department, title=title)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=series,
        summary=f"Created a series of {len(areas)} events",
    )
    events = Event.objects.bulk_create(
        [
            Event(
                department=department,
                series=series,
                title=_("%(title)s: %(area)s") % {"title": title, "area": area.name},
                area=area,
                **event_fields,
            )
            for area in areas
        ]
    )
    for event in events:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=event,
            summary=f"Created the event in series #{series.pk}",
        )
    return series


from events.services.registering import (  # noqa: E402  (the services views and tasks use)
    Registered,
    event_url,
    manage_url,
    register_token,
    registration_cancel,
    registration_for_token,
    registration_make,
    registrations_tell_cancelled,
)
from events.services.waiting import (  # noqa: E402
    offer_accept,
    offers_expire,
    places_offer,
)

__all__ = [
    "Registered",
    "event_url",
    "manage_url",
    "offer_accept",
    "offers_expire",
    "places_offer",
    "register_token",
    "registration_cancel",
    "registration_for_token",
    "registration_make",
    "registrations_tell_cancelled",
]
