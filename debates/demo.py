"""Demo data of debates, run by `manage.py seed_demo` (safe to run again).

Northbridge's Transport and Highways team (the demo officer, Priya Shah, works in it) runs an
open debate that informs the riverside cycle lanes consultation, and one that has closed. A
debate is looked up by its web address and left alone if it exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civic import demo
from civic.models import Department
from debates.models import Debate

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
        Debate.objects.create(
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


demo.register(seed_debates, order=50)
