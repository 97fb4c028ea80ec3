"""Demo data of debates, run by `manage.py seed_demo` (safe to run again).

Northbridge's Transport and Highways team (the demo officer, Priya Shah, works in it) runs an
open debate that informs the riverside cycle lanes consultation, and one that has closed. A
debate is looked up by its web address and left alone if it exists. The same team runs an open
conversation about sharing the high street, with a few hundred anonymous participants whose
votes fall into three opinion groups.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from civic import demo
from civic.models import Department, User
from debates.conversation_results import conversation_results_recompute
from debates.models import (
    Conversation,
    Debate,
    Endorsement,
    Participant,
    Point,
    Statement,
    StatementVote,
)

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


# A conversation whose votes hold three opinion groups, planted so the groups' computation has
# something to find: people who want fewer cars, people who drive in to shop or work, and people
# who rely on the buses. Each statement gives, for each group in that order, how likely its
# members are to agree, and to disagree; the rest pass or skip it.
CONVERSATION_SLUG = "sharing-the-high-street"
STATEMENTS = [
    ("The high street should be free of cars on Saturdays.", (0.9, 0.05), (0.1, 0.8), (0.4, 0.3)),
    ("Parking on the high street keeps the shops going.", (0.1, 0.8), (0.9, 0.05), (0.3, 0.3)),
    ("Buses should always be able to use the high street.", (0.5, 0.3), (0.3, 0.4), (0.95, 0.0)),
    ("Wider pavements would make the street more pleasant.", (0.9, 0.0), (0.3, 0.5), (0.6, 0.1)),
    ("Blue badge holders must be able to park near the shops.", (0.5, 0.2), (0.8, 0.1),
     (0.9, 0.0)),
    ("A cycle lane along the high street is worth losing parking for.", (0.9, 0.05), (0.05, 0.9),
     (0.2, 0.5)),
    ("Bus fares into town should be cheaper on market days.", (0.6, 0.1), (0.2, 0.3),
     (0.95, 0.0)),
    ("Delivery vans should only come before 10am.", (0.8, 0.1), (0.1, 0.8), (0.5, 0.2)),
    ("The council should try any change for a year before deciding.", (0.7, 0.1), (0.6, 0.2),
     (0.7, 0.1)),
    ("A park and ride would bring more people into town.", (0.4, 0.3), (0.7, 0.1), (0.3, 0.4)),
    ("Traffic lights at Market Cross should give more time to people walking.", (0.8, 0.1),
     (0.2, 0.6), (0.8, 0.1)),
    ("Free short-stay parking would help the high street more than anything else.", (0.05, 0.9),
     (0.9, 0.05), (0.2, 0.5)),
]  # fmt: skip
# Statements residents added: two shown, one waiting for the council to check it.
RESIDENT_STATEMENTS = [
    ("More benches along the high street, please.", Statement.Status.SHOWN),
    ("The Saturday market should move onto the high street.", Statement.Status.SHOWN),
    ("Shops should get a say before anything changes.", Statement.Status.PENDING),
]
PARTICIPANTS = 300


def seed_conversation(*, organisations: dict) -> None:
    """The open conversation, with its votes: looked up by its web address and left alone if it
    exists."""
    organisation = organisations["northbridge"]
    team = Department.objects.filter(organisation=organisation, slug="transport").first()
    if team is None or Conversation.objects.filter(slug=CONVERSATION_SLUG).exists():
        return
    randomness = random.Random(16)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    opens = now - timedelta(days=10)
    conversation = Conversation.objects.create(
        department=team,
        slug=CONVERSATION_SLUG,
        title="Sharing the high street",
        question="How should the high street be shared between people walking, cycling, "
        "driving and taking the bus?",
        background="The council is looking at how the high street is used. Before it draws up "
        "any plan, it wants to know **which views people share** and where they differ.\n\n"
        "Vote on each statement, and add your own if something is missing.",
        opens_at=opens,
        closes_at=now + timedelta(days=20),
        statement_moderation=Conversation.Moderation.BEFORE,
        allow_anonymous=True,
        status=Conversation.Status.PUBLISHED,
        published_at=opens - timedelta(days=1),
    )
    seeds = Statement.objects.bulk_create(
        [
            Statement(
                conversation=conversation,
                text=text,
                is_seed=True,
                status=Statement.Status.SHOWN,
                created_at=opens,
            )
            for text, *_chances in STATEMENTS
        ]
    )
    people = Participant.objects.bulk_create(
        [
            Participant(
                conversation=conversation,
                anonymous_key=f"demo-{number:04d}",
                created_at=opens + timedelta(minutes=40 * number),
            )
            for number in range(PARTICIPANTS)
        ]
    )
    votes = []
    for number, participant in enumerate(people):
        group = number % 3
        for statement, (_text, *chances) in zip(seeds, STATEMENTS, strict=True):
            agree, disagree = chances[group]
            draw = randomness.random()
            if draw < agree:
                choice = StatementVote.Choice.AGREE
            elif draw < agree + disagree:
                choice = StatementVote.Choice.DISAGREE
            elif draw < agree + disagree + 0.05:
                choice = StatementVote.Choice.PASS
            else:
                continue
            votes.append(
                StatementVote(
                    participant=participant,
                    statement=statement,
                    choice=choice,
                    updated_at=participant.created_at,
                )
            )
    StatementVote.objects.bulk_create(votes, batch_size=2000)
    for number, (text, status) in enumerate(RESIDENT_STATEMENTS):
        Statement.objects.create(
            conversation=conversation,
            text=text,
            status=status,
            participant=people[number],
            created_at=opens + timedelta(days=number + 1),
        )
    # Its opinion groups, as a worker would work them out a few seconds after the votes.
    conversation_results_recompute(conversation_id=conversation.pk, now=now)


demo.register(seed_debates, order=50)
demo.register(seed_conversation, order=51)
