"""Demo data of debates, run by `manage.py seed_demo` (safe to run again).

Northbridge's Transport and Highways team (the demo officer, Priya Shah, works in it) runs an
open debate that informs the riverside cycle lanes consultation, and one that has closed. A
debate is looked up by its web address and left alone if it exists. The same team runs an open
conversation about sharing the high street, with a few hundred anonymous participants whose
votes fall into three opinion groups.

The open debate has a few hundred comments for, against and neutral, threaded to three levels,
some edited or deleted, with votes: drawn from a fixed seed, by the demo's residents (budgets'
online voters where that demo has run, else the supporters), and only while it has none, so a
second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from civic import demo
from civic.models import Department, User
from debates.conversation_results import conversation_results_recompute
from debates.models import (
    Comment,
    CommentVote,
    Conversation,
    Debate,
    DebateSpace,
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
        existing = Debate.objects.filter(slug=slug).first()
        if existing is not None:
            if existing.stage_at(now) == Debate.Stage.OPEN and not existing.comments.exists():
                _comments(existing, now)
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
            _comments(debate, now)


def _supporters(count: int) -> list[User]:
    """The demo's residents who take part (the same addresses budgets' demo uses, so there is
    one set)."""
    people = []
    for number in range(count):
        user, created = User.objects.get_or_create(
            email=f"supporter{number}@northbridge.example", defaults={"name": f"Supporter {number}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    return people


def _points(debate: Debate, now) -> None:
    """The open debate's points, each by a demo resident and endorsed by others."""
    people = _supporters(6)
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


# Comments ----------------------------------------------------------------------------------------

THREADS = 120
# Sentences a comment is made of, by stance; a comment takes one or two of its stance's.
SAYINGS = {
    Comment.Stance.FOR: [
        "My children could walk to the library without dodging delivery vans.",
        "Every town that has tried this has seen **more** people on the high street, not fewer.",
        "The air outside the school on Mill Lane is awful on a Saturday morning.",
        "Cafés and the market would finally have room to spread out.",
        "Buses stuck behind parked cars are the slowest part of my journey into town.",
        "I cycle in with two children and Saturdays are the worst day for it.",
        "A year's trial is sensible: if it fails, we go back.",
        "Blue badge holders at both ends of the street is a fair compromise.",
        "People spend more when they can stroll, and *that* is what the shops need.",
        "Other towns did this years ago, for example [York](https://www.york.gov.uk).",
        "The pavements are too narrow for a pushchair and a wheelchair to pass.",
        "Quieter streets are better for everyone who lives above the shops.",
    ],
    Comment.Stance.AGAINST: [
        "My mother cannot walk from the car park, and the bus does not go near her house.",
        "Shops already struggle against the retail park, which has free parking.",
        "Diverting buses along Canal Street will make every journey longer.",
        "Deliveries before 10am do not work for a bakery that opens at 7.",
        "The side streets will fill with parked cars and nobody has asked the people there.",
        "Saturday is the only day many of us can get into town with the shopping.",
        "This should be decided by the traders, who **lose** money if it goes wrong.",
        "The car park on Station Road is full by 11 already.",
        "Where will taxis drop off people who cannot manage the bus?",
        "I'd rather see the money spent on fixing the potholes on Hill Street.",
        "A trial of a year is too long if it is hurting businesses.",
        "Emergency vehicles need a clear route through the middle of town.",
    ],
    Comment.Stance.NEUTRAL: [
        "What happens to the Saturday market's vans under this plan?",
        "Has the council counted how many people drive in on a Saturday now?",
        "I could support it if the buses ran every ten minutes.",
        "It depends on what happens to the disabled parking, which the plan is vague about.",
        "Could the trial run in summer only, and be looked at again in the autumn?",
        "Will residents on the high street still be able to get to their garages?",
        "I'd like to see the figures from Eastmoor, which tried something similar.",
        "Perhaps close it from 11 to 4 rather than all day.",
        "What about the church on the corner, which has weddings on Saturdays?",
        "There are good points on both sides. The detail matters more than the idea.",
    ],
}
REPLIES = {
    Comment.Stance.FOR: [
        "Agreed.",
        "Yes, and the same is true of Church Street.",
        "I felt the same until I tried it in another town.",
        "That matches what the traders' survey found.",
    ],
    Comment.Stance.AGAINST: [
        "I don't think that's right.",
        "That's not my experience of Saturdays at all.",
        "The figures I have seen say the opposite.",
        "That would not help anyone who uses a wheelchair.",
    ],
    Comment.Stance.NEUTRAL: [
        "Do you know where the figures come from?",
        "Good question: I'd like the council to answer it.",
        "Fair point, though it depends on the bus timetable.",
        "Has anyone asked the bus company?",
    ],
}
STANCE_WEIGHTS = [(Comment.Stance.FOR, 5), (Comment.Stance.AGAINST, 4), (Comment.Stance.NEUTRAL, 2)]


def _comments(debate: Debate, now) -> None:
    """A few hundred comments in about a hundred threads, from the debate's opening until an
    hour ago, and the residents' votes on them. Written in a handful of INSERTs."""
    randomness = random.Random(16)
    voters = list(
        User.objects.filter(email__endswith="@residents.northbridge.example").order_by("email")[
            :300
        ]
    )
    people = voters or _supporters(12)
    stances = [stance for stance, weight in STANCE_WEIGHTS for _weight in range(weight)]
    start, end = debate.opens_at, now - timedelta(hours=1)
    span = (end - start).total_seconds()

    def said(stance: str, pool: dict, most: int) -> str:
        return " ".join(randomness.sample(pool[stance], randomness.randint(1, most)))

    def made(parent: Comment | None, at) -> Comment:
        stance = randomness.choice(stances)
        author = randomness.choice(people)
        deleted = randomness.random() < 0.03
        edited = not deleted and randomness.random() < 0.06
        pool, most = (SAYINGS, 2) if parent is None or randomness.random() < 0.5 else (REPLIES, 1)
        return Comment(
            debate=debate,
            parent=parent,
            thread_id=None if parent is None else parent.thread_id,
            depth=1 if parent is None else parent.depth + 1,
            stance=stance,
            text="" if deleted else said(stance, pool, most),
            author=author,
            created_at=at,
            edited_at=at + timedelta(minutes=randomness.randint(1, 14)) if edited else None,
            deleted_at=min(end, at + timedelta(hours=randomness.randint(1, 30)))
            if deleted
            else None,
        )

    def later(after) -> object:
        left = (end - after).total_seconds()
        return after + timedelta(seconds=int(left * randomness.random() ** 3) + 60)

    tops = [made(None, start + timedelta(seconds=int(span * number / THREADS) + 600))
            for number in range(THREADS)]  # fmt: skip
    Comment.objects.bulk_create(tops)
    Comment.objects.filter(pk__in=[top.pk for top in tops]).update(thread_id=F("pk"))
    for top in tops:
        top.thread_id = top.pk
    seconds = [
        made(top, later(top.created_at))
        for top in tops
        for _number in range(randomness.choice([0, 0, 1, 1, 1, 2, 2, 3, 4]))
    ]
    Comment.objects.bulk_create(seconds)
    thirds = [
        made(reply, later(reply.created_at))
        for reply in seconds
        for _number in range(randomness.choice([0, 0, 0, 1, 1, 2]))
    ]
    Comment.objects.bulk_create(thirds)
    _comment_votes([*tops, *seconds, *thirds], people, randomness)


def _comment_votes(comments: list[Comment], people: list[User], randomness) -> None:
    """Most comments get a few votes, some many; a comment's votes lean one way or the other."""
    rows = []
    for comment in comments:
        if comment.deleted_at is not None:
            continue
        count = min(len(people), 60, int(randomness.paretovariate(1.3)) - 1)
        liking = randomness.random()
        rows.extend(
            CommentVote(
                comment=comment,
                user=voter,
                value=1 if randomness.random() < liking else -1,
                created_at=comment.created_at + timedelta(hours=1),
            )
            for voter in randomness.sample(people, count)
        )
    CommentVote.objects.bulk_create(rows)


SPACE_SLUG = "town-centre-ideas"


def seed_debate_space(*, organisations: dict) -> None:
    """A space where residents propose debates (debates.proposals), with one proposal the
    council published and one from a demo resident waiting for a decision."""
    organisation = organisations["northbridge"]
    team = Department.objects.filter(organisation=organisation, slug="transport").first()
    if team is None or DebateSpace.objects.filter(slug=SPACE_SLUG).exists():
        return
    space = DebateSpace.objects.create(
        department=team,
        slug=SPACE_SLUG,
        title="Ideas for the town centre",
        description=(
            "Propose a question about getting into and around the town centre. The Transport "
            "and Highways team reads every proposal, and publishes those that others can argue "
            "for and against."
        ),
    )
    (proposer,) = _supporters(1)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    Debate.objects.create(
        department=team,
        space=space,
        proposed_by=proposer,
        slug="bus-shelters-with-seats",
        question="Should every bus stop in the town centre have a shelter with seats?",
        summary="Should every bus stop in the town centre have a shelter with seats?",
        background="Several stops on the high street have no shelter, and older people wait "
        "standing in the rain.",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=26),
        status=Debate.Status.PUBLISHED,
        published_at=now - timedelta(days=2),
    )
    Debate.objects.create(
        department=team,
        space=space,
        proposed_by=proposer,
        slug="late-night-buses",
        question="Should buses run from the town centre until 1am on Fridays?",
        summary="Should buses run from the town centre until 1am on Fridays?",
        background="The last bus leaves at 11pm, before most shifts in the town end.",
        status=Debate.Status.DRAFT,
    )


demo.register(seed_debates, order=50)
demo.register(seed_debate_space, order=52)
demo.register(seed_conversation, order=51)
