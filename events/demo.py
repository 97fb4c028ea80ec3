"""Demo data of events, run by `manage.py seed_demo` (safe to run again).

Northbridge's Transport and Highways team runs a series of cycle lanes drop-ins, one per ward
(registration open, belonging to the riverside cycle lanes consultation), a budget workshop that
is full with a waiting list, an online briefing, a public meeting that has happened (with who
came and its published outcome), and a walkabout that was cancelled. An event is looked up by its
title and left alone if it exists; the past meeting's outcome is added if it is missing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from civic import demo
from civic.models import Area, Department
from events.models import Event, EventQuestion, EventSeries, Outcome, Registration
from events.services.registering import check_in_code

SERIES = "Riverside cycle lanes drop-in"
PAST_MEETING = "High street public meeting"
OUTCOME = {
    "summary": (
        "About 60 people came. Most wanted the high street closed to cars on Saturdays, as long "
        "as blue badge holders can still reach the shops. The council will run a six-month trial "
        "from the spring and ask again at the end of it."
    ),
    "minutes": (
        "1. **Welcome** from the chair of the transport committee.\n"
        "2. **The proposal**: officers showed the plans and the traffic counts.\n"
        "3. **Questions**: deliveries, blue badge parking and the Saturday market.\n"
        "4. **Next steps**: a six-month trial, then a consultation on making it permanent."
    ),
}
VENUES = {
    "E05000001": ("Ancoats Library", "1 Old Mill Street\nNorthbridge", "Bus 216 stops outside."),
    "E05000002": ("Castlefield Community Centre", "12 Potato Wharf\nNorthbridge",
                  "Deansgate-Castlefield tram stop is a 4 minute walk."),
    "E05000003": ("Riverside Hall", "3 Bridge Street\nNorthbridge",
                  "Buses 85 and 86 stop on Bridge Street."),
}  # fmt: skip

# title, kind, days from now to the start, hours long, in person and online places, status,
# how many registrations and of how many places each (a full one has more than its places)
EVENTS = [
    {
        "title": "Neighbourhood budget workshop",
        "summary": "Work out together which projects your ward's share of the budget should fund.",
        "kind": Event.Kind.IN_PERSON,
        "days": 9,
        "in_person_capacity": 12,
        "registrations": 16,
        "area": "E05000003",
    },
    {
        "title": "Bus network review: online briefing",
        "summary": "Officers explain the proposed bus network and answer your questions.",
        "kind": Event.Kind.ONLINE,
        "days": 6,
        "online_capacity": 200,
        "registrations": 5,
    },
    {
        "title": "High street public meeting",
        "summary": "A public meeting about closing the high street to cars on Saturdays.",
        "kind": Event.Kind.HYBRID,
        "days": -12,
        "in_person_capacity": 80,
        "online_capacity": 100,
        "registrations": 7,
        "area": "E05000001",
    },
    {
        "title": "Park improvements walkabout",
        "summary": "Walk round Castlefield Park with the parks team and point out what to fix.",
        "kind": Event.Kind.IN_PERSON,
        "days": 4,
        "in_person_capacity": 20,
        "registrations": 3,
        "area": "E05000002",
        "cancelled": "The parks team cannot run the walkabout on this date. We will set a new one.",
    },
]


def seed_events(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    team = Department.objects.filter(organisation=organisation, slug="transport").first()
    if team is None:
        return
    randomness = random.Random(17)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    areas = {area.code: area for area in Area.objects.filter(organisation=organisation)}
    _series(team, areas, now, randomness)
    for spec in EVENTS:
        if Event.objects.filter(department=team, title=spec["title"]).exists():
            continue
        event = _event(team, spec, areas.get(spec.get("area", "")), now)
        _registrations(event, spec["registrations"], randomness)
    _outcome(team)


def _outcome(team) -> None:
    """Who came to the past meeting (most of those booked, and a walk-in) and what came of it,
    written straight into the tables: the demo sends no thank-you."""
    event = Event.objects.filter(department=team, title=PAST_MEETING).first()
    if event is None or Outcome.objects.filter(event=event).exists():
        return
    confirmed = list(event.registrations.filter(status=Registration.Status.CONFIRMED))
    for number, registration in enumerate(confirmed):
        if number % 4 != 3:  # one in four did not come
            Registration.objects.filter(pk=registration.pk).update(
                checked_in_at=event.starts_at + timedelta(minutes=5 + number)
            )
    arrival = max((registration.arrival for registration in confirmed), default=0) + 1
    Registration.objects.create(
        event=event,
        name="Walk-in visitor",
        email="",
        email_key=f"walk-in-{arrival}",
        postcode="",
        places=1,
        attendance=Registration.Attendance.IN_PERSON,
        status=Registration.Status.CONFIRMED,
        arrival=arrival,
        check_in_code=check_in_code(),
        created_at=event.starts_at + timedelta(minutes=10),
        checked_in_at=event.starts_at + timedelta(minutes=10),
        walk_in=True,
    )
    Outcome.objects.create(
        event=event,
        published_at=event.ends_at + timedelta(days=3),
        updated_at=event.ends_at + timedelta(days=3),
        **OUTCOME,
    )


def _event(team, spec: dict, area, now) -> Event:
    starts = (now + timedelta(days=spec["days"])).replace(hour=18)
    venue = VENUES.get(area.code if area else "", ("", "", ""))
    in_person = spec["kind"] != Event.Kind.ONLINE
    event = Event.objects.create(
        department=team,
        title=spec["title"],
        summary=spec["summary"],
        description=spec["summary"] + "\n\nTea and coffee are provided.",
        kind=spec["kind"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue_name=venue[0] if in_person else "",
        address=venue[1] if in_person else "",
        postcode=(
            area.postcodes.order_by("postcode").first().postcode if area and in_person else ""
        ),
        area=area if in_person else None,
        step_free_access=in_person,
        hearing_loop=in_person,
        bsl_interpretation=spec["kind"] == Event.Kind.HYBRID,
        public_transport=venue[2] if in_person else "",
        joining_link="https://meet.northbridge.example/briefing"
        if not in_person or spec["kind"] == Event.Kind.HYBRID
        else "",
        in_person_capacity=spec.get("in_person_capacity", 0),
        online_capacity=spec.get("online_capacity", 0),
        places_limit=2,
        registration_opens_at=starts - timedelta(days=28),
        status=Event.Status.CANCELLED if spec.get("cancelled") else Event.Status.PUBLISHED,
        published_at=starts - timedelta(days=29),
        cancelled_at=now - timedelta(days=1) if spec.get("cancelled") else None,
        cancellation_reason=spec.get("cancelled", ""),
    )
    EventQuestion.objects.create(event=event, kind=EventQuestion.Kind.ACCESS, position=1)
    return event


def _series(team, areas: dict, now, randomness) -> None:
    if EventSeries.objects.filter(department=team, title=SERIES).exists():
        return
    series = EventSeries.objects.create(department=team, title=SERIES)
    Consultation = ContentType.objects.get_by_natural_key("consultations", "consultation")
    consultation = Consultation.model_class().objects.filter(slug="riverside-cycle-lanes").first()
    for number, code in enumerate(sorted(VENUES)):
        area = areas.get(code)
        if area is None:
            continue
        event = _event(
            team,
            {
                "title": f"{SERIES}: {area.name}",
                "summary": "See the plans for the cycle lanes and tell us what you think.",
                "kind": Event.Kind.IN_PERSON,
                "days": 10 + 7 * number,
                "in_person_capacity": 40,
            },
            area,
            now,
        )
        Event.objects.filter(pk=event.pk).update(
            series=series,
            part_of_type=Consultation if consultation else None,
            part_of_id=consultation.pk if consultation else None,
        )
        EventQuestion.objects.create(
            event=event,
            kind=EventQuestion.Kind.CHOICE,
            text="How do you usually travel in the area?",
            choices="Walking\nCycling\nBus or tram\nCar",
            position=2,
        )
        _registrations(event, 4 + number, randomness)


def _registrations(event: Event, count: int, randomness) -> None:
    """Demo residents' bookings in arrival order: confirmed while places last, then waiting."""
    attendance = (
        Registration.Attendance.ONLINE
        if event.kind == Event.Kind.ONLINE
        else Registration.Attendance.IN_PERSON
    )
    held = 0
    rows = []
    for number in range(count):
        places = randomness.choice([1, 1, 1, 2])
        fits = held + places <= event.capacity(attendance) and not any(
            row.status == Registration.Status.WAITING for row in rows
        )
        held += places if fits else 0
        email = f"supporter{number}@northbridge.example"
        rows.append(
            Registration(
                event=event,
                name=f"Supporter {number}",
                email=email,
                email_key=email,
                postcode=event.postcode or "M4 6AA",
                area=event.area,
                places=places,
                attendance=attendance,
                status=Registration.Status.CONFIRMED if fits else Registration.Status.WAITING,
                arrival=number + 1,
                check_in_code=check_in_code(),
                created_at=event.registration_opens_at + timedelta(hours=number * 3 + 1),
            )
        )
    Registration.objects.bulk_create(rows)


demo.register(seed_events, order=60)
