"""Demo data of participatory budgets, run by `manage.py seed_demo` (safe to run again).

Northbridge's Community Budgets team (the demo officer, Priya Shah, works in it) runs a process
in each phase: one starting soon, one collecting ideas now, one checking them, one voting, one
with results and one building its projects. Each has a citywide budget and one per ward, a few
categories, and ideas in every status, supported by a dozen demo residents. A process is looked
up by its web address and left alone if it exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from budgets.models import Budget, Category, Idea, Process, Support
from civic import demo
from civic.models import Area, Department, Role, User

CATEGORIES = ["Parks and green spaces", "Streets and transport", "Young people", "Community"]
IDEAS = [
    ("A play area in the park", "A fenced play area with swings and a climbing frame.", 45000),
    ("Benches along the canal", "Ten benches between the lock and the bridge.", 8000),
    (
        "A community fridge",
        "A shared fridge where shops leave food that would be thrown away.",
        6000,
    ),
    (
        "Safer crossing by the school",
        "A zebra crossing with lights outside the primary school.",
        60000,
    ),
    ("Trees on the high street", "Twenty street trees with seats around them.", 30000),
    (
        "Free holiday football",
        "Coaching for under-16s every weekday of the summer holidays.",
        12000,
    ),
    ("Cycle parking at the station", "Covered, secure parking for fifty bicycles.", 25000),
    ("A mural on the underpass", "Local young people paint the underpass with an artist.", 7000),
    ("Bulb planting on verges", "Daffodils and crocuses on the ring road verges.", 4000),
    ("A youth club evening", "A second weekly evening at the youth club, with staff.", 18000),
]
# slug, title, days from now to each date (ideas, review, voting, voting closes, building)
PROCESSES = [
    ("northbridge-decides-2028", "Northbridge decides 2028", (30, 90, 120, 150, 200)),
    ("northbridge-decides-2027", "Northbridge decides 2027", (-10, 20, 50, 80, 130)),
    ("green-streets-fund", "Green streets fund", (-40, -5, 25, 55, 100)),
    ("young-northbridge", "Young Northbridge", (-80, -40, -3, 30, 80)),
    ("neighbourhood-fund-2026", "Neighbourhood fund 2026", (-200, -150, -110, -70, 40)),
    ("northbridge-decides-2025", "Northbridge decides 2025", (-500, -440, -400, -370, -300)),
]
# The status of each idea, in order, by the process's phase: what review will have decided.
STATUSES = {
    Process.Stage.UPCOMING: [],
    Process.Stage.IDEAS: [Idea.Status.PROPOSED] * 6 + [Idea.Status.FEASIBLE],
    Process.Stage.REVIEW: [
        Idea.Status.PROPOSED,
        Idea.Status.FEASIBLE,
        Idea.Status.FEASIBLE,
        Idea.Status.NOT_FEASIBLE,
        Idea.Status.MERGED,
        Idea.Status.WITHDRAWN,
        Idea.Status.ON_BALLOT,
        Idea.Status.ON_BALLOT,
    ],
}
LATER = [Idea.Status.ON_BALLOT] * 6 + [Idea.Status.NOT_FEASIBLE, Idea.Status.MERGED]


def seed_budgets(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    team, _created = Department.objects.get_or_create(
        organisation=organisation, slug="community-budgets", defaults={"name": "Community Budgets"}
    )
    for role in Role.objects.filter(
        organisation=organisation, kind=Role.Kind.OFFICER, user__email="officer@northbridge.example"
    ):
        role.departments.add(team)
    areas = list(Area.objects.filter(organisation=organisation).order_by("name"))
    supporters = _supporters()
    randomness = random.Random(15)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for slug, title, days in PROCESSES:
        if Process.objects.filter(slug=slug).exists():
            continue
        _process(team, areas, supporters, randomness, now, slug, title, days)


def _supporters() -> list[User]:
    people = []
    for number in range(12):
        user, created = User.objects.get_or_create(
            email=f"supporter{number}@northbridge.example", defaults={"name": f"Supporter {number}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    resident = User.objects.filter(email="resident@example.org").first()
    return people + ([resident] if resident else [])


def _process(team, areas, supporters, randomness, now, slug, title, days) -> None:
    dates = [now + timedelta(days=offset) for offset in days]
    process = Process.objects.create(
        department=team,
        title=title,
        slug=slug,
        summary=f"Residents of Northbridge decide how to spend £{100_000 + 60_000 * len(areas):,} "
        "on projects they propose.",
        description=(
            "Propose a project for your ward or for the whole city, support the ideas you like, "
            "and vote for the projects you want. The council checks every idea and works out "
            "its cost before the vote.\n\n"
            "**Who can vote:** everyone who lives in Northbridge, aged 16 or over."
        ),
        ideas_open_at=dates[0],
        review_starts_at=dates[1],
        voting_opens_at=dates[2],
        voting_closes_at=dates[3],
        implementation_starts_at=dates[4],
        status=Process.Status.PUBLISHED,
        published_at=dates[0] - timedelta(days=20),
    )
    budgets = [
        Budget.objects.create(process=process, area=None, amount=100_000, min_spend_percent=50)
    ]
    for index, area in enumerate(areas):
        style = Budget.Style.APPROVAL if index % 2 else Budget.Style.KNAPSACK
        budgets.append(
            Budget.objects.create(
                process=process,
                area=area,
                amount=60_000,
                style=style,
                min_projects=1 if style == Budget.Style.APPROVAL else None,
                max_projects=3 if style == Budget.Style.APPROVAL else None,
            )
        )
    categories = [Category.objects.create(process=process, name=name) for name in CATEGORIES]
    stage = process.stage_at(now)
    statuses = STATUSES.get(stage, LATER)
    made: list[Idea] = []
    for number, status in enumerate(statuses):
        name, description, cost = IDEAS[number % len(IDEAS)]
        budget = budgets[number % len(budgets)]
        idea = Idea(
            process=process,
            budget=budget,
            category=categories[number % len(categories)],
            title=f"{name} ({budget.name})",
            description=description,
            estimated_cost=min(cost, budget.amount),
            proposer=supporters[number % len(supporters)],
            created_at=dates[0] + timedelta(days=1 + number),
            status=status,
        )
        if status != Idea.Status.PROPOSED:
            idea.reviewed_at = dates[1] + timedelta(days=number)
        if status in (Idea.Status.FEASIBLE, Idea.Status.ON_BALLOT):
            idea.final_cost = min(round(idea.estimated_cost * 1.1), budget.amount)
            idea.reason = "The council can do this on council land, and has checked the cost."
        if status == Idea.Status.NOT_FEASIBLE:
            idea.reason = "The land belongs to Network Rail, so the council cannot build there."
        if status == Idea.Status.WITHDRAWN:
            idea.reason = "Its proposer withdrew it."
        if status == Idea.Status.MERGED:
            idea.merged_into = made[0]
            idea.reason = "The same as another idea for this ward."
        idea.save()
        made.append(idea)
        chosen = randomness.sample(supporters, randomness.randint(0, len(supporters)))
        Support.objects.bulk_create(
            [Support(idea=idea, user=user, created_at=idea.created_at) for user in chosen],
            ignore_conflicts=True,
        )


demo.register(seed_budgets, order=40)


# Building the winning projects: its seeder registers itself, after this one.
from budgets import demo_delivery  # noqa: E402, F401
