"""Events: public meetings, drop-in sessions and workshops that residents register for.

Whether an officer has published (or cancelled) an event is its lifecycle; whether registration
is open, the event is under way or past follows from its dates and is never stored. Places are
counted from the registration rows, never a counter on the event: an event row is locked only
while one registration takes its places (events.services.registration), so that exactly the
capacity is confirmed and the rest wait in the order they arrived.

An event may belong to a consultation, a debate or a budget process. That link is a content type
and an id (chosen by officers from a list the admin builds by model name), so this app never
imports another feature app (docs/architecture.md, section 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.fields import PostcodeField
from civic.lifecycle import Lifecycle
from civic.models import Area, Department, InDepartmentsItem, Organisation
from civic.phases import Phase, Phases

# How contacts records a resident who registers, and one who came (EventsConfig.ready).
SOURCE_EVENT = "event"
ACTIVITY_REGISTRATION = "event_register"
ACTIVITY_ATTENDANCE = "event_attend"


@dataclass(frozen=True)
class PartOfKind:
    """A kind of item an event may belong to, found by its app label and model name (never
    imported): which of its rows residents can see, and the name of its public page's URL (which
    takes the item's slug)."""

    app_label: str
    model: str
    label: str
    public: Q
    url_name: str


PART_OF_KINDS = [
    PartOfKind(
        "consultations",
        "consultation",
        _("Consultation"),
        Q(published_at__isnull=False),
        "consultations:detail",
    ),
    PartOfKind("debates", "debate", _("Debate"), Q(status="published"), "debates:debate"),
    PartOfKind("budgets", "process", _("Budget"), Q(status="published"), "budgets:process"),
]


class EventSeries(models.Model):
    """Events that belong together, such as one drop-in session per ward; made at once from the
    admin, each event then edited on its own."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="event_series"
    )
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("series of events")
        verbose_name_plural = _("series of events")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"Series #{self.pk}"

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id


class EventQuerySet(models.QuerySet):
    def published(self) -> EventQuerySet:
        """What residents see: published events, and cancelled ones (which say so)."""
        return self.filter(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED])

    def upcoming(self, now=None) -> EventQuerySet:
        return self.published().filter(ends_at__gt=now or timezone.now())

    def past(self, now=None) -> EventQuerySet:
        return self.published().filter(ends_at__lte=now or timezone.now())

    def in_stage(self, stage: str, now=None) -> EventQuerySet:
        """Events in one of the stages residents see, by the rule of `stage_at`."""
        now = now or timezone.now()
        if stage == Event.Stage.DRAFT:
            return self.filter(status=Event.Status.DRAFT)
        if stage == Event.Stage.CANCELLED:
            return self.filter(status=Event.Status.CANCELLED)
        return self.filter(status=Event.Status.PUBLISHED).filter(Event.SCHEDULE.q(stage, now))

    def registering_at(self, now=None) -> EventQuerySet:
        return self.in_stage(Event.Stage.REGISTERING, now)


class Event(models.Model):
    """One meeting, drop-in or workshop run by a department, in person, online or both."""

    class Kind(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    # Published once it passes its checks (events.services.event_publish); a published event can
    # be cancelled (it stays on show, saying so), never unpublished: people have registered.
    lifecycle = Lifecycle(
        Status,
        {
            Status.DRAFT: {Status.PUBLISHED},
            Status.PUBLISHED: {Status.CANCELLED},
            Status.CANCELLED: set(),
        },
        refusals={
            Status.PUBLISHED: _("This event is already published."),
            Status.CANCELLED: _("Only a published event can be cancelled."),
        },
    )

    class Stage(models.TextChoices):
        """What residents see: a draft, a cancelled event, or the phase its dates give."""

        DRAFT = "draft", _("Draft")
        CANCELLED = "cancelled", _("Cancelled")
        ANNOUNCED = "announced", _("Registration not open yet")
        REGISTERING = "registering", _("Registration open")
        CLOSED = "closed", _("Registration closed")
        UNDER_WAY = "under_way", _("Happening now")
        PAST = "past", _("Past")

    # Registration is open from its opening until its closing, or until the event starts when no
    # closing is set (a phase without a date is never current).
    SCHEDULE = Phases(
        Stage,
        Phase(Stage.ANNOUNCED, starts=None),
        Phase(Stage.REGISTERING, starts="registration_opens_at", allows={"register"}),
        Phase(Stage.CLOSED, starts="registration_closes_at"),
        Phase(Stage.UNDER_WAY, starts="starts_at"),
        Phase(Stage.PAST, starts="ends_at"),
    )

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="events")
    series = models.ForeignKey(
        EventSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("series"),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and searches.")
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("What happens at the event. Markdown.")
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.IN_PERSON)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    # Where, for an event in person or hybrid.
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    postcode = PostcodeField(blank=True)
    # Found from the postcode when the event is saved (events.services.event_area).
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        editable=False,
    )
    step_free_access = models.BooleanField(_("step-free access"), default=False)
    hearing_loop = models.BooleanField(_("hearing loop"), default=False)
    bsl_interpretation = models.BooleanField(
        _("British Sign Language interpretation"), default=False
    )
    quiet_room = models.BooleanField(_("quiet room"), default=False)
    parking = models.BooleanField(_("parking"), default=False)
    public_transport = models.TextField(
        _("nearest public transport"),
        blank=True,
        help_text=_("The nearest bus stops, stations and tram stops, and how far they are."),
    )

    # Online, for an event online or hybrid: the link is shown only to people registered.
    joining_link = models.URLField(
        _("joining link"),
        max_length=500,
        blank=True,
        help_text=_("Shown only to people who have a confirmed place."),
    )

    in_person_capacity = models.PositiveIntegerField(_("places in person"), default=0)
    online_capacity = models.PositiveIntegerField(_("places online"), default=0)
    places_limit = models.PositiveSmallIntegerField(
        _("places one person may book"),
        default=1,
        help_text=_("For example 4, so someone can bring their family."),
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Leave empty to keep registration open until the event starts."),
    )

    # What the event belongs to: a consultation, a debate or a budget process (PART_OF_MODELS).
    part_of_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    part_of_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancellation_reason = models.TextField(_("why it is cancelled"), blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When an officer last saved the event: calendars read it (LAST-MODIFIED, SEQUENCE) to know
    # that an event they hold has changed (events.calendar).
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [
            ("publish_event", "Can publish an event"),
            ("cancel_event", "Can cancel an event"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="event_status_starts")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(places_limit__gte=1), name="event_places_limit_one_or_more"
            ),
            models.CheckConstraint(
                condition=Q(part_of_type__isnull=True, part_of_id__isnull=True)
                | Q(part_of_type__isnull=False, part_of_id__isnull=False),
                name="event_part_of_type_and_id_together",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"Event #{self.pk}"

    @property
    def organisation(self) -> Organisation:
        return self.department.organisation

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id

    @property
    def in_person(self) -> bool:
        return self.kind in (self.Kind.IN_PERSON, self.Kind.HYBRID)

    @property
    def online(self) -> bool:
        return self.kind in (self.Kind.ONLINE, self.Kind.HYBRID)

    def capacity(self, attendance: str) -> int:
        """The places there are for one way of attending."""
        if attendance == Registration.Attendance.ONLINE:
            return self.online_capacity if self.online else 0
        return self.in_person_capacity if self.in_person else 0

    def stage_at(self, now=None) -> str:
        if self.status == self.Status.DRAFT:
            return self.Stage.DRAFT
        if self.status == self.Status.CANCELLED:
            return self.Stage.CANCELLED
        return self.Stage(self.SCHEDULE.at(self, now or timezone.now()).key)

    def allows(self, action: str, now=None) -> bool:
        """Whether the event is published (not cancelled) and its phase now allows `action`."""
        return self.status == self.Status.PUBLISHED and self.SCHEDULE.allows(
            self, action, now or timezone.now()
        )

    def access_features(self) -> list[tuple[str, bool]]:
        """Each piece of access information as (field name, whether the venue has it)."""
        return [(name, getattr(self, name)) for name in ACCESS_FIELDS]


ACCESS_FIELDS = ["step_free_access", "hearing_loop", "bsl_interpretation", "quiet_room", "parking"]


class EventQuestion(InDepartmentsItem, models.Model):
    """A question asked when registering: access needs, dietary needs, any other question in
    free text, or a choice of one answer from a list."""

    item_path = "event"

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access needs")
        DIETARY = "dietary", _("Dietary needs")
        TEXT = "text", _("Free text")
        CHOICE = "choice", _("One choice from a list")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    text = models.CharField(
        _("question"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty for access and dietary needs: they have their own wording."),
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For one choice from a list: one choice a line.")
    )
    required = models.BooleanField(_("an answer is needed"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["event", "position", "pk"]
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")

    def __str__(self) -> str:
        return self.wording

    def audit_label(self) -> str:
        return f"Question #{self.pk} of event #{self.event_id}"

    @property
    def wording(self) -> str:
        if self.text:
            return self.text
        if self.kind == self.Kind.ACCESS:
            return str(_("Do you have any access needs we should know about?"))
        if self.kind == self.Kind.DIETARY:
            return str(_("Do you have any dietary needs?"))
        return str(self.get_kind_display())

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class RegistrationQuerySet(models.QuerySet):
    def holding_places(self) -> RegistrationQuerySet:
        """Registrations that hold places: confirmed, or offered a place not yet taken up."""
        return self.filter(status__in=[Registration.Status.CONFIRMED, Registration.Status.OFFERED])

    def waiting(self) -> RegistrationQuerySet:
        return self.filter(status=Registration.Status.WAITING).order_by("arrival")


class Registration(InDepartmentsItem, models.Model):
    """One booking of one or more places, in person or online, made without an account.

    `arrival` is the order the event's registrations arrived in, given while the event row is
    locked, so the waiting list is in the order people registered."""

    item_path = "event"

    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING = "waiting", _("On the waiting list")
        OFFERED = "offered", _("Offered a place")
        CANCELLED = "cancelled", _("Cancelled")

    lifecycle = Lifecycle(
        Status,
        {
            Status.CONFIRMED: {Status.CANCELLED},
            Status.WAITING: {Status.OFFERED, Status.CONFIRMED, Status.CANCELLED},
            Status.OFFERED: {Status.CONFIRMED, Status.WAITING, Status.CANCELLED},
            Status.CANCELLED: set(),
        },
        refusals={Status.CANCELLED: _("This booking is already cancelled.")},
    )

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail address"), max_length=254)
    # Lower case: one live booking per address per event (registration_one_live_per_email).
    email_key = models.CharField(max_length=254, editable=False)
    postcode = PostcodeField()
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    places = models.PositiveSmallIntegerField(_("places"), default=1)
    attendance = models.CharField(
        _("attending"), max_length=12, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    arrival = models.PositiveIntegerField(_("arrival"))
    check_in_code = models.CharField(_("check-in code"), max_length=8)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # The answers to the event's questions, by question id: {"12": "Wheelchair user"}.
    answers = models.JSONField(default=dict, blank=True)
    hears_about_events = models.BooleanField(default=False)
    # E-mails sent to the address about registering again (at most REPEAT_NOTICES).
    repeat_notices = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Added at the door on the day (events.services.checkin.walk_in_add), already there.
    walk_in = models.BooleanField(default=False, editable=False)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["event", "arrival"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["event", "status", "arrival"], name="registration_event_status"),
            # Beat's sweep of offers past their time (events.services.waiting.offers_expire).
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="registration_offers_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "arrival"], name="registration_arrival_once"),
            models.UniqueConstraint(
                fields=["event", "check_in_code"], name="registration_code_unique_per_event"
            ),
            models.UniqueConstraint(
                fields=["event", "email_key"],
                condition=~Q(status="cancelled"),
                name="registration_one_live_per_email",
            ),
            models.CheckConstraint(
                condition=Q(places__gte=1), name="registration_places_one_or_more"
            ),
        ]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        """By number: a resident wrote the name."""
        return f"Registration #{self.pk}"


class ReminderSent(models.Model):
    """A reminder ("1d", "1h": CIVIC_EVENT_REMINDERS) that a registration has been sent: the
    unique pair is what keeps a sweep run twice, or two at once, from sending it again."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="reminders_sent"
    )
    reminder = models.CharField(max_length=8)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "reminder"], name="reminder_sent_once")
        ]

    def __str__(self) -> str:
        return f"Reminder {self.reminder} of registration #{self.registration_id}"


class Outcome(InDepartmentsItem, models.Model):
    """What came of an event, written by its officers afterwards: a summary, the minutes and
    documents. Residents see it once published (events.services.outcomes.outcome_publish), and
    the attendees who said they want to hear from the council are thanked with it, once."""

    item_path = "event"

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="outcome")
    summary = models.TextField(
        _("summary"), help_text=_("What was said and what happens next, in a few sentences.")
    )
    minutes = models.TextField(
        _("minutes"), blank=True, help_text=_("The minutes of the meeting, if any. Markdown.")
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # How many attendees were sent the thank-you when it was published.
    thanked = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"Outcome of event #{self.event_id}"


def _outcome_document_path(document: OutcomeDocument, filename: str) -> str:
    return f"events/outcomes/{document.outcome.event_id}/{filename}"


class OutcomeDocument(InDepartmentsItem, models.Model):
    """A document published with an outcome (minutes as a PDF, the slides shown)."""

    item_path = "outcome.event"

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_outcome_document_path)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outcome document")
        verbose_name_plural = _("outcome documents")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"Document #{self.pk} of event #{self.outcome.event_id}"
