"""Demo data of debates, run by `manage.py seed_demo` (safe to run again).

Northbridge's Transport and Highways team (the demo officer, Priya Shah, works in it) runs an
open debate that informs the riverside cycle lanes consultation, and one that has closed. A
debate is looked up by its web address and left alone if it exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civic import demo
from civic.models import Department, User
from debates.models import Debate, Endorsement, Point

# A few points for and against the open debate: side, text, how many endorse it.
POINTS = [
    (Point.Side.FOR, "Fewer cars would make the street safer for children.", 5),
    (Point.Side.FOR, "Cafés could put tables outside on Saturdays.", 2),
    (Point.Side.AGAINST, "Older people who drive into town would stay away.", 4),
    (Point.Side.AGAINST, "Buses diverted along Canal Street would be slower.", 1),
]

# slug, question, summary, background, days from now to opening and closing, linked consultation
DEBATES = [
    (
        "car-free-saturdays",
        "Should the high street be closed to cars on Saturdays?",
        "A trial would close the high street to cars from 10am to 6pm on Saturdays for a year.",
        "Shops, bus routes and blue badge holders would all be affected. The council wants to "
        "hear the arguments **for and against** before it decides whether to run a trial.\n\n"
        "- Buses would be diverted along Canal Street.\n"
        "- Blue badge parking would move to the ends of the street.",
        (-7, 21),
        "riverside-cycle-lanes",
    ),
    (
        "twenty-mph-limit",
        "Should every residential street have a 20mph limit?",
        "Most residential streets are 30mph today.",
        "Slower traffic makes streets safer, but some journeys would take longer. This debate "
        "has closed; the council is considering what residents said.",
        (-60, -30),
        None,
    ),
]


def seed_debates(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    team = Department.objects.filter(organisation=organisation, slug="transport").first()
    if team is None:
        return
    Consultation = Debate.consultation.field.related_model  # by name: no import of consultations
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for slug, question, summary, background, (opens, closes), consultation in DEBATES:
        if Debate.objects.filter(slug=slug).exists():
            continue
        debate = Debate.objects.create(
            department=team,
            slug=slug,
            question=question,
            summary=summary,
            background=background,
            consultation=Consultation.objects.filter(slug=consultation or "").first(),
            opens_at=now + timedelta(days=opens),
            closes_at=now + timedelta(days=closes),
            status=Debate.Status.PUBLISHED,
            published_at=now + timedelta(days=opens - 1),
        )
        if debate.stage_at(now) == Debate.Stage.OPEN:
            _points(debate, now)


def _points(debate: Debate, now) -> None:
    """The open debate's points, each by a demo resident and endorsed by others: the demo's
    residents who take part (the same addresses budgets' demo uses, so there is one set)."""
    people = []
    for number in range(6):
        user, created = User.objects.get_or_create(
            email=f"supporter{number}@northbridge.example", defaults={"name": f"Supporter {number}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    for number, (side, text, endorsements) in enumerate(POINTS):
        point = Point.objects.create(
            debate=debate,
            side=side,
            text=text,
            author=people[number],
            created_at=debate.opens_at + timedelta(hours=number + 1),
        )
        Endorsement.objects.bulk_create(
            [Endorsement(point=point, user=user) for user in people[:endorsements]]
        )


demo.register(seed_debates, order=50)
