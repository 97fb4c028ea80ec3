"""Events' public pages: the list of events, an event's page (where, when, access information in
plain words, places left), registering, and the page a booking's e-mailed link opens.

Every rule is in events.services; these views read the request and draw the answer with plain
forms, so that everything works without JavaScript. The list and an event's page keep to a fixed
number of queries whatever they hold.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from civic import open_now
from civic.form_guard import Refused, refusal_status
from civic.formatting import markdown_to_html, when
from civic.models import Area
from civic.pagecache import shared_page
from civic.pagination import paginate
from civic.ratelimits import client_ip
from civic.selectors import published_or_run_by
from events import services
from events.forms import EventFilterForm, RegistrationForm
from events.models import Event, Registration
from events.services.registering import venue_line
from events.views_calendar import subscribe_links

PER_PAGE = 20
Stage = Event.Stage
STAGE_TAGS = {
    Stage.DRAFT: "govuk-tag--grey",
    Stage.CANCELLED: "govuk-tag--red",
    Stage.ANNOUNCED: "govuk-tag--grey",
    Stage.REGISTERING: "govuk-tag--green",
    Stage.CLOSED: "govuk-tag--yellow",
    Stage.UNDER_WAY: "govuk-tag--blue",
    Stage.PAST: "govuk-tag--purple",
}

# Each piece of access information in plain words: (what there is, what there is not).
ACCESS_WORDS = {
    "step_free_access": (
        gettext_lazy("There is step-free access to the venue and the room."),
        gettext_lazy("There is no step-free access."),
    ),
    "hearing_loop": (
        gettext_lazy("There is a hearing loop."),
        gettext_lazy("There is no hearing loop."),
    ),
    "bsl_interpretation": (
        gettext_lazy("A British Sign Language (BSL) interpreter will be there."),
        gettext_lazy("There is no British Sign Language (BSL) interpreter."),
    ),
    "quiet_room": (
        gettext_lazy("There is a quiet room you can use at any time."),
        gettext_lazy("There is no quiet room."),
    ),
    "parking": (
        gettext_lazy("There is parking at the venue."),
        gettext_lazy("There is no parking at the venue."),
    ),
}


def state_words(event: Event, now) -> str:
    """What residents can do about the event now, and until when, in a sentence."""
    stage = event.stage_at(now)
    if stage == Stage.DRAFT:
        return _("This event is a draft: only the council's staff can see it.")
    if stage == Stage.CANCELLED:
        return _("This event is cancelled.")
    phase = Event.SCHEDULE.at(event, now)
    if stage == Stage.ANNOUNCED:
        if phase.until:
            return _("Registration opens on %(date)s.") % {"date": when(phase.until)}
        return _("Registration is not open yet.")
    if stage == Stage.REGISTERING:
        return _("Registration is open until %(date)s.") % {"date": when(phase.until)}
    if stage == Stage.CLOSED:
        return _("Registration has closed.")
    if stage == Stage.UNDER_WAY:
        return _("This event is happening now.")
    return _("This event took place on %(date)s.") % {"date": when(event.starts_at)}


def _describe(event: Event, now) -> Event:
    event.current_stage = event.stage_at(now)
    event.stage_label = Stage(event.current_stage).label
    event.stage_tag = STAGE_TAGS[event.current_stage]
    event.state_words = state_words(event, now)
    event.starts_words = when(event.starts_at)
    event.ends_words = when(event.ends_at)
    event.where = venue_line(event) if event.in_person else ""
    return event


@require_safe
@shared_page
def event_list(request: HttpRequest) -> HttpResponse:
    """Three queries whatever it lists: the areas for the filter, the count and the page (one
    more to find the wards of a postcode)."""
    now = timezone.now()
    areas = list(
        Area.objects.filter(pk__in=Event.objects.published().values("area"))
        .select_related("organisation")
        .order_by("name")
    )
    form = EventFilterForm(request.GET or None, areas=areas)
    chosen = form.chosen
    events = Event.objects.select_related("department__organisation", "area", "outcome")
    if chosen.get("when") == "past":
        events = events.past(now).order_by("-starts_at", "-pk")
    else:
        events = events.upcoming(now).order_by("starts_at", "pk")
    if chosen.get("area"):
        events = events.filter(area_id=chosen["area"])
    if chosen.get("kind"):
        events = events.filter(kind=chosen["kind"])
    if chosen.get("postcode"):
        events = events.filter(area__in=form.near_areas)
    pages = paginate(request, events, per_page=PER_PAGE)
    for event in pages["page"].object_list:
        _describe(event, now)
        event.published_outcome = published_outcome(event)
    return render(
        request,
        "events/list.html",
        {
            "heading": _("Events"),
            "form": form,
            **pages,
            "past": chosen.get("when") == "past",
            "near_areas": form.near_areas if chosen.get("postcode") else [],
            "filtered": form.filtered,
            **subscribe_links(area_id=chosen.get("area")),
        },
    )


def _event(request: HttpRequest, event_id: int) -> Event:
    event = (
        published_or_run_by(
            Event.objects.select_related("department__organisation", "area", "outcome"),
            request.user,
            published=Q(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED]),
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise Http404(_("There is no event here."))
    return event


def published_outcome(event: Event):
    """The event's outcome once published (read with the event: no query of its own)."""
    try:
        outcome = event.outcome
    except Event.outcome.RelatedObjectDoesNotExist:
        return None
    return outcome if outcome.published_at else None


def places_left(event: Event) -> dict[str, int]:
    """Free places by way of attending, counted from the rows in one query."""
    held = dict(
        Registration.objects.filter(event=event)
        .holding_places()
        .values("attendance")
        .annotate(total=Sum("places"))
        .values_list("attendance", "total")
    )
    return {
        attendance: max(event.capacity(attendance) - (held.get(attendance) or 0), 0)
        for attendance in Registration.Attendance.values
    }


@require_safe
@shared_page
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    """Three queries: the event (with its department and area), its places held, and what it
    belongs to (when it belongs to something)."""
    now = timezone.now()
    event = _describe(_event(request, event_id), now)
    left = places_left(event)
    access = [ACCESS_WORDS[name][0 if present else 1] for name, present in event.access_features()]
    outcome = published_outcome(event)
    return render(
        request,
        "events/event.html",
        {
            "event": event,
            "description": markdown_to_html(event.description),
            "access": access,
            "in_person_left": left[Registration.Attendance.IN_PERSON],
            "online_left": left[Registration.Attendance.ONLINE],
            "can_register": event.allows("register", now),
            "part_of": services.part_of_link(event),
            **subscribe_links(organisation_id=event.department.organisation_id),
            "outcome": outcome,
            "minutes": markdown_to_html(outcome.minutes) if outcome else "",
            "documents": list(outcome.documents.all()) if outcome else [],
        },
    )


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, event_id: int) -> HttpResponse:
    now = timezone.now()
    event = _describe(_event(request, event_id), now)
    questions = list(event.questions.all())
    refusal = None
    if request.method == "POST":
        form = RegistrationForm(request.POST, event=event, questions=questions)
        if form.is_valid():
            try:
                services.registration_make(
                    event=event,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    postcode=form.cleaned_data["postcode"],
                    places=form.cleaned_data["places"],
                    attendance=form.cleaned_data.get("attendance") or "",
                    answers=form.answers(),
                    hears_about_events=form.cleaned_data["hears_about_events"],
                    started=request.POST.get("started", ""),
                    honeypot=request.POST.get("website", ""),
                    ip=client_ip(request),
                    now=now,
                )
            except Refused as error:
                if error.looks_like_success:
                    return redirect("events:registered", event.pk)
                refusal = error
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("events:registered", event.pk)
    else:
        form = RegistrationForm(event=event, questions=questions)
    status = refusal_status(refusal)
    return render(
        request,
        "events/register.html",
        {
            "event": event,
            "form": form,
            "refusal": refusal,
            "open": event.allows("register", now),
            "token": services.register_token(),
        },
        status=status,
    )


@require_safe
@shared_page
def registered(request: HttpRequest, event_id: int) -> HttpResponse:
    """The same page for every registration (a repeat too), so it tells nobody who else has
    registered: the e-mail says whether there is a place."""
    event = _event(request, event_id)
    return render(request, "events/registered.html", {"event": event})


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The page a booking's e-mailed link opens: the booking, a button to accept a place offered
    from the waiting list, and one to cancel (or decline, or leave the waiting list). Only a
    POST changes anything, so a link scanner that follows the link changes nothing."""
    registration = services.registration_for_token(token)
    if registration is None:
        raise Http404(_("This link does not work. Check it is the whole link from the e-mail."))
    now = timezone.now()
    event = _describe(registration.event, now)
    done = ""
    refusal = None
    if request.method == "POST":
        registration, done, refusal = _manage_post(request, registration, now)
        registration.event = event
    status = registration.status
    offered = status == Registration.Status.OFFERED
    if offered and registration.offer_expires_at <= now:
        # Past its time but not yet swept: nothing changes on a GET, but it cannot be accepted.
        refusal, offered = Refused(_("The offer of a place has passed."), code="passed"), False
    return render(
        request,
        "events/manage.html",
        {
            "event": event,
            "registration": registration,
            "cancelled_now": done == "cancelled",
            "accepted_now": done == "accepted",
            "refusal": refusal,
            "cancelled": status == Registration.Status.CANCELLED,
            "offered": offered,
            "offer_expires": when(registration.offer_expires_at) if offered else "",
            "joining_link": (
                event.joining_link
                if status == Registration.Status.CONFIRMED
                and registration.attendance == Registration.Attendance.ONLINE
                else ""
            ),
            "live": event.status == Event.Status.PUBLISHED and event.current_stage != Stage.PAST,
        },
    )


def _manage_post(request: HttpRequest, registration: Registration, now):
    """Accept (the button named "action" with the value "accept") or cancel (any other POST).
    Returns the booking as it now is, what was done, and a refusal to show, if any."""
    if registration.status == Registration.Status.CANCELLED:
        return registration, "", None
    if request.POST.get("action") == "accept":
        try:
            accepted = services.offer_accept(registration=registration, now=now)
        except Refused as refusal:
            registration.refresh_from_db()  # an offer that passed has ended the booking
            return registration, "", refusal
        return accepted, "accepted", None
    return services.registration_cancel(registration=registration, now=now), "cancelled", None


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Events taking registrations now, soonest first, for the home page (one query)."""
    now = timezone.now()
    events = (
        Event.objects.registering_at(now)
        .select_related("department__organisation")
        .order_by("starts_at", "pk")
    )
    if organisation is not None:
        events = events.filter(department__organisation=organisation)
    return [
        open_now.OpenItem(
            title=event.title,
            url=reverse("events:event", args=[event.pk]),
            organisation=event.department.organisation.name,
            summary=event.summary,
            status=_("%(date)s. %(state)s")
            % {"date": when(event.starts_at), "state": state_words(event, now)},
        )
        for event in events[:limit]
    ]
