"""Registering for an event without an account, and cancelling from the e-mailed link.

Never overbooked: a registration locks its event's row while it counts the places held and
takes its own, so registrations for one event are decided one after another, in the order they
took the lock. Each gets the next `arrival` number. While there are places enough for all it
asks (and nobody waits for that way of attending), it is confirmed; else it waits, and the
waiting list is in arrival order. Places are counted from the rows, never a counter.

One live booking per e-mail address per event, kept by the database: a second registration
from the same address looks exactly like a first to whoever typed it, and the address's owner
gets their booking's link again (REPEAT_NOTICES times at most), so the form tells nobody who
has registered.

Public form settings, read when used:

    CIVIC_EVENT_REGISTER_BURST        "10/m"  registrations from one address in a short burst
    CIVIC_EVENT_REGISTER_SUSTAINED    "60/h"  ... and over a longer window
    CIVIC_EVENT_IP_ALLOWLIST          []      networks exempt from both
    CIVIC_EVENT_REGISTER_MIN_SECONDS  3       the least time from drawing the form to posting it
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.formatting import when
from civic.models import Organisation
from civic.postcodes import normalise_postcode
from civic.services import area_for_postcode, state_move
from contacts.models import ConsentPurpose
from contacts.services import ConsentGiven, participation_with_consent
from events.models import (
    ACTIVITY_REGISTRATION,
    SOURCE_EVENT,
    Event,
    EventQuestion,
    Registration,
)

MANAGE_SALT = "events.manage"
NAME_LIMIT = 100
EMAIL_LIMIT = 254
ANSWER_LIMIT = 500
# Check-in codes: six letters and digits that cannot be mistaken for each other when read out.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
# E-mails to an address about registering again with it: enough to reach its owner, too few to
# flood them.
REPEAT_NOTICES = 3
HEAR_WORDING = gettext_lazy("Tell me about the council's future events")
HOLDING = Q(status__in=[Registration.Status.CONFIRMED, Registration.Status.OFFERED])

REGISTERING = FormGuard(
    action="events:register",
    salt="events.register-start",
    least_seconds=Setting("CIVIC_EVENT_REGISTER_MIN_SECONDS", 3),
    limits=[
        Limit("burst", "CIVIC_EVENT_REGISTER_BURST", "10/m"),
        Limit("sustained", "CIVIC_EVENT_REGISTER_SUSTAINED", "60/h"),
    ],
    allow_list="CIVIC_EVENT_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many registrations from your internet connection in a short time. "
        "Try again later."
    ),
)
register_token = REGISTERING.token


@dataclass
class Registered:
    """What happened, for tests and logs; the resident sees the same page for a repeat."""

    registration: Registration
    repeat: bool = False


def event_url(event: Event) -> str:
    return settings.CIVIC_SITE_URL + reverse("events:event", args=[event.pk])


def events_purpose(organisation: Organisation) -> ConsentPurpose:
    """The consent purpose "the council's future events", one per council."""
    purpose, _created = ConsentPurpose.objects.get_or_create(
        organisation=organisation,
        slug="council-events",
        defaults={
            "name": _("Future events"),
            "description": _("E-mails about the council's public meetings and workshops."),
        },
    )
    return purpose


def venue_line(event: Event) -> str:
    """The venue, its address and postcode on one line."""
    parts = [event.venue_name, *event.address.splitlines(), event.postcode]
    return ", ".join(part.strip() for part in parts if part.strip())


def check_in_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def manage_token(registration: Registration) -> str:
    return signing.dumps(registration.pk, salt=MANAGE_SALT)


def manage_url(registration: Registration) -> str:
    return settings.CIVIC_SITE_URL + reverse("events:manage", args=[manage_token(registration)])


def registration_for_token(token: str) -> Registration | None:
    """The registration a manage link names, or None for a link that was altered."""
    try:
        registration_id = signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature:
        return None
    return (
        Registration.objects.select_related("event__department__organisation")
        .filter(pk=registration_id)
        .first()
    )


# Checking what was typed -----------------------------------------------------------------------


def _clean_person(name: str, email: str, postcode: str, errors: dict) -> tuple[str, str, str]:
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = ValidationError(_("Enter your name"), code="required")
    elif len(name) > NAME_LIMIT:
        errors["name"] = ValidationError(
            _("Your name must be %(limit)s characters or fewer") % {"limit": NAME_LIMIT}
        )
    email = str(email or "").strip()
    if not email:
        errors["email"] = ValidationError(_("Enter your e-mail address"), code="required")
    else:
        try:
            if len(email) > EMAIL_LIMIT:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = ValidationError(
                _("Enter an e-mail address in the correct format, like name@example.com")
            )
    postcode = str(postcode or "").strip()
    if not postcode:
        errors["postcode"] = ValidationError(_("Enter your postcode"), code="required")
    else:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError:
            errors["postcode"] = ValidationError(_("Enter a real UK postcode, like M1 1AE"))
    return name, email, postcode


def _clean_booking(event: Event, places, attendance: str, errors: dict) -> tuple[int, str]:
    if attendance not in Registration.Attendance.values or not event.capacity(attendance):
        if event.kind == Event.Kind.HYBRID:
            errors["attendance"] = ValidationError(
                _("Choose whether you will come in person or join online")
            )
        attendance = (
            Registration.Attendance.ONLINE
            if event.kind == Event.Kind.ONLINE
            else Registration.Attendance.IN_PERSON
        )
    try:
        places = int(places)
    except (TypeError, ValueError):
        places = 0
    if not 1 <= places <= event.places_limit:
        errors["places"] = ValidationError(
            _("Enter a number of places from 1 to %(limit)s") % {"limit": event.places_limit}
        )
    return places, attendance


def field_name(question: EventQuestion) -> str:
    """The form field of a registration question."""
    return f"question_{question.pk}"


def _clean_answers(questions: list[EventQuestion], answers: dict, errors: dict) -> dict:
    kept = {}
    for question in questions:
        name = field_name(question)
        answer = " ".join(str(answers.get(name) or "").split())
        choosing = question.kind == EventQuestion.Kind.CHOICE
        if choosing and answer and answer not in question.choice_list:
            errors[name] = ValidationError(_("Choose an answer from the list"))
            continue
        if len(answer) > ANSWER_LIMIT:
            errors[name] = ValidationError(
                _("Your answer must be %(limit)s characters or fewer") % {"limit": ANSWER_LIMIT}
            )
            continue
        if question.required and not answer:
            errors[name] = ValidationError(
                _("Answer “%(question)s”") % {"question": question.wording}, code="required"
            )
            continue
        if answer:
            kept[str(question.pk)] = answer
    return kept


# Registering -----------------------------------------------------------------------------------


def registration_make(
    *,
    event: Event,
    name: str,
    email: str,
    postcode: str,
    places=1,
    attendance: str = Registration.Attendance.IN_PERSON,
    answers: dict | None = None,
    hears_about_events: bool = False,
    started: str = "",
    honeypot: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Registered:
    """Book places at an event: confirmed while there are places, else on the waiting list.
    Raises ValidationError by field, or Refused (closed, spam, rate_limited)."""
    now = now or timezone.now()
    if not event.allows("register", now):
        raise Refused(_("Registration for this event is not open."), code="closed")
    errors: dict[str, ValidationError] = {}
    name, email, postcode = _clean_person(name, email, postcode, errors)
    places, attendance = _clean_booking(event, places, attendance, errors)
    questions = list(event.questions.all())
    kept = _clean_answers(questions, answers or {}, errors)
    if errors:
        raise ValidationError(errors)
    REGISTERING.check(honeypot=honeypot, token=started, ip=ip, now=now)
    area = area_for_postcode(organisation=event.organisation, postcode=postcode)
    registered = _take_places(
        event,
        Registration(
            event=event,
            name=name,
            email=email,
            email_key=email.lower(),
            postcode=postcode,
            area=area,
            places=places,
            attendance=attendance,
            answers=kept,
            hears_about_events=bool(hears_about_events),
            created_at=now,
        ),
        now,
    )
    if not registered.repeat:
        _record(registered.registration, now)
    return registered


def _take_places(event: Event, registration: Registration, now: datetime) -> Registered:
    """Decide the registration with the event's row locked, so that no two registrations count
    the same free places; a clash of check-in codes (rare) draws another.

    A repeat is found before the lock is taken, so the lock is held only for what must be
    decided one at a time (every registration of a rush queues for it); two registrations of
    one address at once meet the unique constraint, and the second is then a repeat."""
    for _attempt in range(5):
        existing = (
            Registration.objects.filter(event_id=event.pk, email_key=registration.email_key)
            .exclude(status=Registration.Status.CANCELLED)
            .first()
        )
        if existing is not None:
            existing.event = event
            return _repeat(existing)
        try:
            with transaction.atomic():
                return _decided(event, registration, now)
        except IntegrityError as error:
            if not any(name in str(error) for name in RETRIED_CONSTRAINTS):
                raise
    raise RuntimeError("Could not draw a free check-in code")  # pragma: no cover


RETRIED_CONSTRAINTS = ("registration_code_unique_per_event", "registration_one_live_per_email")


@transaction.atomic
def _repeat(existing: Registration) -> Registered:
    """The address's owner hears of it, REPEAT_NOTICES times at most (counted by the database,
    so that repeats at the same moment cannot pass the limit)."""
    told = Registration.objects.filter(pk=existing.pk, repeat_notices__lt=REPEAT_NOTICES).update(
        repeat_notices=F("repeat_notices") + 1
    )
    if told:
        _send(existing, "repeat")
    return Registered(registration=existing, repeat=True)


def _decided(event: Event, registration: Registration, now: datetime) -> Registered:
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if not locked.allows("register", now):  # cancelled or closed meanwhile
        raise Refused(_("Registration for this event is not open."), code="closed")
    # One query for what decides it: the places held and whether anyone waits for this way of
    # attending, and the last arrival number.
    same_way = Q(attendance=registration.attendance)
    counts = Registration.objects.filter(event=locked).aggregate(
        held=Sum("places", filter=same_way & HOLDING),
        waiting=Count("pk", filter=same_way & Q(status=Registration.Status.WAITING)),
        last=Max("arrival"),
    )
    held, someone_waits, last = counts["held"] or 0, counts["waiting"] > 0, counts["last"]
    fits = held + registration.places <= locked.capacity(registration.attendance)
    created = Registration.objects.create(
        event=locked,
        name=registration.name,
        email=registration.email,
        email_key=registration.email_key,
        postcode=registration.postcode,
        area=registration.area,
        places=registration.places,
        attendance=registration.attendance,
        answers=registration.answers,
        hears_about_events=registration.hears_about_events,
        created_at=registration.created_at,
        status=(
            Registration.Status.CONFIRMED
            if fits and not someone_waits
            else Registration.Status.WAITING
        ),
        arrival=(last or 0) + 1,
        check_in_code=check_in_code(),
    )
    created.event = event
    _send(created, "confirmed" if created.status == Registration.Status.CONFIRMED else "waiting")
    return Registered(registration=created)


def _record(registration: Registration, now: datetime) -> None:
    """The person took part; with their consent to hear about future events, if given."""
    event = registration.event
    participation_with_consent(
        item=event,
        item_title=event.title,
        kind=ACTIVITY_REGISTRATION,
        reference=f"event-registration-{registration.pk}",
        source=SOURCE_EVENT,
        email=registration.email,
        name=registration.name,
        postcode=registration.postcode,
        occurred_at=now,
        consent=ConsentGiven(
            purpose=events_purpose(event.organisation),
            wording=str(HEAR_WORDING),
            method=_("Registering for an event"),
        )
        if registration.hears_about_events
        else None,
    )


# Cancelling ------------------------------------------------------------------------------------


def registration_cancel(*, registration: Registration, now: datetime | None = None) -> Registration:
    """The person cancels their booking, leaves the waiting list or declines an offer, from the
    link in their e-mail (a POST). The places it held are offered to the waiting list at once
    (events.services.waiting), in the same transaction, with the event's row locked."""
    from events.services.waiting import offers_make

    now = now or timezone.now()
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("department__organisation")
            .get(pk=registration.event_id)
        )
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        state_move(
            locked,
            Registration.Status.CANCELLED,
            actor=None,
            summary=None,
            fields={"cancelled_at": now},
        )
        locked.event = event
        _send(locked, "cancelled")
        offers_make(event=event, now=now)
    return locked


# E-mail ----------------------------------------------------------------------------------------


def _send(registration: Registration, template: str) -> None:
    """One e-mail about a booking through the mailing engine's outbox, sent by a worker once the
    transaction commits."""
    from events.calendar import booking_attachments
    from mailing.services import transactional_enqueue

    transactional_enqueue(
        **_message(registration, template), attachments=booking_attachments(registration)
    )


def _message(registration: Registration, template: str) -> dict:
    """transactional_enqueue's arguments for an e-mail about a booking."""
    event = registration.event
    context = {
        "event": event,
        "registration": registration,
        "url": event_url(event),
        "manage_url": manage_url(registration),
        "starts": when(event.starts_at),
        "where": venue_line(event),
        "site_name": settings.CIVIC_SITE_NAME,
        "offer_expires": (
            when(registration.offer_expires_at) if registration.offer_expires_at else ""
        ),
    }
    return {
        "organisation": event.organisation,
        "to_email": registration.email,
        "subject": render_to_string(f"events/email/{template}_subject.txt", context).strip(),
        "text": render_to_string(f"events/email/{template}.txt", context),
    }


def registrations_tell_cancelled(*, event: Event) -> int:
    """Everyone with a live booking (confirmed, offered or waiting) hears that the officers
    cancelled the event, once: called in the transaction that cancels it."""
    from mailing.services import transactional_enqueue_many

    live = list(
        Registration.objects.filter(event=event)
        .exclude(status=Registration.Status.CANCELLED)
        .order_by("arrival")
    )
    for registration in live:
        registration.event = event
    transactional_enqueue_many([_message(registration, "event_cancelled") for registration in live])
    return len(live)
