"""Checking people in on the day, from an officer's phone: by name from the list, by the short
code in their confirmation e-mail, and walk-ins added at the door.

Marking someone as attended is safe to repeat (a second tap changes nothing) and can be undone.
Each mark records in contacts that the person came (ACTIVITY_ATTENDANCE, once per
registration), and each officer action is audited by the registration's number, never by the
person's name.

    attendance_mark    a confirmed booking is marked as there (or not, to undo a mistake)
    code_find          the confirmed booking a typed check-in code names
    walk_in_add        someone who turns up without a booking, already there
    attendance_counts  bookings and places expected and arrived
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry, User
from civic.postcodes import normalise_postcode
from civic.services import area_for_postcode, audit_record, require
from contacts.models import Activity
from contacts.services import ConsentGiven, participation_with_consent
from events.models import ACTIVITY_ATTENDANCE, SOURCE_EVENT, Event, Registration
from events.services.registering import (
    EMAIL_LIMIT,
    HEAR_WORDING,
    NAME_LIMIT,
    check_in_code,
    events_purpose,
)

CHECK_IN = "events.check_in_event"
NOT_RUNNER = gettext_lazy("You do not run this event.")


def _reference(registration: Registration) -> str:
    return f"event-attendance-{registration.pk}"


def normalise_code(code: str) -> str:
    """A code as typed: any case, spaces and dashes anywhere ("qx4 7tm" is "QX47TM")."""
    return "".join(character for character in str(code or "").upper() if character.isalnum())


def code_find(*, actor: User, event: Event, code: str) -> Registration:
    require(actor, CHECK_IN, event, message=NOT_RUNNER)
    typed = normalise_code(code)
    if not typed:
        raise ValidationError({"code": _("Enter the check-in code from the confirmation e-mail")})
    found = Registration.objects.filter(event=event, check_in_code=typed).first()
    if found is None:
        raise ValidationError(
            {"code": _("No booking for this event has the code %(code)s") % {"code": typed}}
        )
    if found.status != Registration.Status.CONFIRMED:
        raise ValidationError(
            {
                "code": _(
                    "The booking with the code %(code)s is not confirmed (%(status)s): add "
                    "them as a walk-in instead"
                )
                % {"code": typed, "status": found.get_status_display().lower()}
            }
        )
    found.event = event
    return found


@transaction.atomic
def attendance_mark(
    *,
    actor: User,
    registration: Registration,
    attended: bool = True,
    now: datetime | None = None,
) -> Registration:
    """Mark a confirmed booking as there, or, with attended=False, as not there after all. A
    repeat changes nothing and records nothing more."""
    event = registration.event
    require(actor, CHECK_IN, event, message=NOT_RUNNER)
    now = now or timezone.now()
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    locked.event = event
    if locked.status != Registration.Status.CONFIRMED:
        raise ValidationError(_("Only a confirmed booking can be marked as attended."))
    if attended == (locked.checked_in_at is not None):
        return locked
    locked.checked_in_at = now if attended else None
    Registration.objects.filter(pk=locked.pk).update(checked_in_at=locked.checked_in_at)
    if attended:
        _record(locked, now)
    else:
        _unrecord(locked)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=locked,
        summary="Marked as attended" if attended else "Marked as not attended",
    )
    return locked


@dataclass
class WalkIn:
    registration: Registration
    over_capacity: bool
    places_in_use: int


@transaction.atomic
def walk_in_add(
    *,
    actor: User,
    event: Event,
    name: str,
    email: str = "",
    postcode: str = "",
    hears_about_events: bool = False,
    now: datetime | None = None,
) -> WalkIn:
    """Someone who came without a booking: a confirmed registration of one place in person,
    already attended, even when that takes the event over its capacity (they are in the room)."""
    require(actor, CHECK_IN, event, message=NOT_RUNNER)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    name = " ".join(str(name or "").split())
    email = str(email or "").strip()
    postcode = str(postcode or "").strip()
    if not name:
        errors["name"] = _("Enter their name")
    elif len(name) > NAME_LIMIT:
        errors["name"] = _("Name must be %(limit)s characters or fewer") % {"limit": NAME_LIMIT}
    if email:
        try:
            if len(email) > EMAIL_LIMIT:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter an e-mail address like name@example.com, or leave it empty")
    if postcode:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError:
            errors["postcode"] = _("Enter a real UK postcode, like M1 1AE, or leave it empty")
    if hears_about_events and not email:
        errors["hears_about_events"] = _(
            "Enter their e-mail address to tell them about future events, or untick the box"
        )
    if errors:
        raise ValidationError(errors)
    locked = (
        Event.objects.select_for_update()
        .select_related("department__organisation")
        .get(pk=event.pk)
    )
    if locked.status == Event.Status.CANCELLED:
        raise ValidationError(_("This event is cancelled: nobody can be checked in."))
    email_key = email.lower()
    if email_key and (
        Registration.objects.filter(event=locked, email_key=email_key)
        .exclude(status=Registration.Status.CANCELLED)
        .exists()
    ):
        raise ValidationError(
            {"email": _("Someone with this e-mail address has booked: find them in the list")}
        )
    last = Registration.objects.filter(event=locked).aggregate(last=Max("arrival"))["last"]
    arrival = (last or 0) + 1
    taken = set(Registration.objects.filter(event=locked).values_list("check_in_code", flat=True))
    code = check_in_code()
    while code in taken:
        code = check_in_code()
    registration = Registration.objects.create(
        event=locked,
        name=name,
        email=email,
        # Without an address, a key that is no address keeps the one-booking-per-address rule.
        email_key=email_key or f"walk-in-{arrival}",
        postcode=postcode,
        area=area_for_postcode(organisation=locked.organisation, postcode=postcode)
        if postcode
        else None,
        places=1,
        attendance=Registration.Attendance.IN_PERSON,
        status=Registration.Status.CONFIRMED,
        arrival=arrival,
        check_in_code=code,
        hears_about_events=bool(hears_about_events),
        created_at=now,
        checked_in_at=now,
        walk_in=True,
    )
    _record(registration, now)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=registration,
        summary="Added a walk-in, marked as attended",
    )
    in_use = (
        Registration.objects.filter(event=locked, attendance=Registration.Attendance.IN_PERSON)
        .holding_places()
        .aggregate(total=Sum("places"))["total"]
        or 0
    )
    capacity = locked.capacity(Registration.Attendance.IN_PERSON)
    return WalkIn(registration=registration, over_capacity=in_use > capacity, places_in_use=in_use)


def _record(registration: Registration, now: datetime) -> None:
    """The person came: activity in contacts, and for a walk-in who asked, their consent."""
    if not registration.email:
        return  # nobody to record: a walk-in who gave no address
    event = registration.event
    participation_with_consent(
        item=event,
        item_title=event.title,
        kind=ACTIVITY_ATTENDANCE,
        reference=_reference(registration),
        source=SOURCE_EVENT,
        email=registration.email,
        name=registration.name,
        postcode=registration.postcode,
        occurred_at=now,
        consent=ConsentGiven(
            purpose=events_purpose(event.organisation),
            wording=str(HEAR_WORDING),
            method=_("Checked in at an event"),
        )
        if registration.walk_in and registration.hears_about_events
        else None,
    )


def _unrecord(registration: Registration) -> None:
    """A mark undone: the activity it recorded goes, so contacts says they did not come."""
    Activity.objects.filter(reference=_reference(registration), kind=ACTIVITY_ATTENDANCE).delete()


def attendance_counts(event: Event) -> dict[str, int]:
    """Confirmed bookings and their places, and how many of each have arrived."""
    confirmed = Q(registrations__status=Registration.Status.CONFIRMED)
    arrived = confirmed & Q(registrations__checked_in_at__isnull=False)
    counts = Event.objects.filter(pk=event.pk).aggregate(
        expected=Count("registrations", filter=confirmed),
        expected_places=Sum("registrations__places", filter=confirmed, default=0),
        arrived=Count("registrations", filter=arrived),
        arrived_places=Sum("registrations__places", filter=arrived, default=0),
    )
    return counts
