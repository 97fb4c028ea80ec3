"""Demo data of participatory budgets, run by `manage.py seed_demo` (safe to run again).

Northbridge's Community Budgets team (the demo officer, Priya Shah, works in it) runs a process
in each phase: one starting soon, one collecting ideas now, one checking them, one voting, one
with results and one building its projects. Each has a citywide budget and one per ward, a few
categories, and ideas for real-sounding council projects in the wards' streets and parks: some
proposed, some found feasible or not (with the council's reason), one merged into another, one
withdrawn, supported by demo residents. A process is looked up by its web address and left
alone if it exists.

The three processes that have reached voting have ballots from all three channels: online, by
demo residents with accounts (voter0001@residents.northbridge.example ...), each voting as the
ward they live in; by voting code, from batches the demo officer printed; and on paper, keyed in
by the demo officer from named batches. "Neighbourhood fund 2026" has thousands of ballots
across the wards. Each budget's ballot paper has projects most voters want, which between them
cost its whole amount, and projects a smaller group wants (young people's and community ones):
by most votes first (greedy) the larger group takes the whole budget, while under the Method of
Equal Shares the smaller group's shares pay for some of theirs, so the two results differ.

Ballots are rows made in bulk, not cast one by one through budgets.voting, so that the seed
stays fast; every ballot is made to keep its budget's rules (spend within the amount and at
least its minimum, or choose between the least and most number of projects), and the tests
check each one with budgets.voting.ballot_problems. Contacts records no participation for them.

The voting process keeps some of its codes unused, so that anyone can try voting by code with
one of `TRY_CODES`.

`seed_budgets` returns the processes whose voting has closed and that it made in this run;
`seed_budgets_and_results`, the seeder `seed_demo` runs, works their results out at once, as the
worker would at the close of voting (`make run` runs no scheduler).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import NamedTuple

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from budgets.allocation.wording import pounds
from budgets.codes import code_digest
from budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    Category,
    CodeBatch,
    Elector,
    Idea,
    Process,
    Support,
    VotingCode,
)
from budgets.results import process_results_compute
from civic import demo
from civic.models import Area, Department, Role, User

PARKS = "Parks and green spaces"
STREETS = "Streets and transport"
YOUNG = "Young people"
COMMUNITY = "Community"
CATEGORIES = [PARKS, STREETS, YOUNG, COMMUNITY]

# Who is most likely to choose a project: the larger group of voters, the smaller one, or either.
MANY, FEW, EITHER = "many", "few", ""
CITYWIDE = "citywide"


class DemoProject(NamedTuple):
    title: str
    description: str
    cost: int
    category: str
    wanted_by: str = EITHER


# The ballot paper of each budget, by its area's name. The projects MANY want cost the budget's
# whole amount together (£100,000 citywide, £60,000 a ward), so greedy funds them alone.
PROJECTS: dict[str, list[DemoProject]] = {
    CITYWIDE: [
        DemoProject(
            "Light the Riverside towpath",
            "Solar lights along the towpath from the station to Riverside Park, so that it is "
            "safe to walk home after dark.",
            40_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "Resurface the Oxford Road cycle lane",
            "Fill the potholes and repaint the cycle lane from the university to St Peter's "
            "Square, with bollards where cars park in it.",
            35_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "New benches and bins in Piccadilly Gardens",
            "Twenty benches with backs and arms, and bins that separate recycling.",
            25_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "Free holiday activities for children",
            "Sport, arts and a hot lunch every weekday of the summer holidays at six schools, "
            "for children who get free school meals.",
            30_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "A music studio for young people",
            "A recording studio with instruments in the Central Library basement, free for "
            "under-19s, with a youth worker three evenings a week.",
            20_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "Warm spaces in community centres",
            "Heating, hot drinks and Wi-Fi in four community centres on winter evenings.",
            15_000,
            COMMUNITY,
            FEW,
        ),
        DemoProject(
            "Drinking fountains in parks",
            "Six drinking fountains with bottle fillers in the city's busiest parks.",
            12_000,
            PARKS,
        ),
        DemoProject(
            "Defibrillators at community centres",
            "A defibrillator on the outside wall of every community centre, with free training.",
            9_000,
            COMMUNITY,
        ),
    ],
    "Ancoats Ward": [
        DemoProject(
            "A zebra crossing by St Anne's school",
            "A zebra crossing with flashing lights on Great Ancoats Street outside the primary "
            "school, where children cross four lanes of traffic.",
            30_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "Street trees on Jersey Street",
            "Twelve street trees with guards and watering bags along Jersey Street.",
            18_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "Planters and seats on Cutting Room Square",
            "Large planters with seats built in, to make the square somewhere to stop.",
            12_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "A food-growing garden at the Ancoats Dispensary",
            "Raised beds, a shed and a water butt, run by local volunteers and the school.",
            14_000,
            COMMUNITY,
            FEW,
        ),
        DemoProject(
            "Free football coaching in Ancoats",
            "Coaching for under-16s on the playing fields every Saturday, with kit to borrow.",
            10_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "Cycle parking at New Islington tram stop",
            "Covered stands for forty bicycles beside the tram stop.",
            8_000,
            STREETS,
        ),
        DemoProject(
            "Bulbs on the Rochdale Canal banks",
            "Daffodils and crocuses planted by volunteers along the canal.",
            4_000,
            PARKS,
        ),
    ],
    "Castlefield Ward": [
        DemoProject(
            "Resurface the towpath under the viaducts",
            "A smooth, drained surface on the Bridgewater Canal towpath, which floods after "
            "rain and is hard going with a pushchair or a wheelchair.",
            25_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "A new play area in St John's Gardens",
            "Swings, a climbing frame and soft ground for children under eight.",
            20_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "Lights on the Bridgewater Canal basin",
            "Low lights around the canal basin, which is dark from four o'clock in winter.",
            15_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "A community garden on Liverpool Road",
            "Turn the empty plot by the museum into a garden that residents look after.",
            12_000,
            COMMUNITY,
            FEW,
        ),
        DemoProject(
            "Free rowing sessions on the canal basin",
            "Taster sessions with a rowing club for young people aged 11 to 18.",
            8_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "Benches along the Bridgewater Canal",
            "Ten benches between the lock and the bridge.",
            8_000,
            PARKS,
        ),
    ],
    "Riverside Ward": [
        DemoProject(
            "Paths in Riverside Park that do not flood",
            "Raise and drain the main paths, which are under water for weeks each winter.",
            28_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "Traffic calming on Riverside Road",
            "Speed cushions and a raised crossing by the shops, where drivers speed.",
            22_000,
            STREETS,
            MANY,
        ),
        DemoProject(
            "Flowers and planters on Riverside high street",
            "Hanging baskets and planters, watered through the summer.",
            10_000,
            PARKS,
            MANY,
        ),
        DemoProject(
            "An outdoor gym and table tennis in Riverside Park",
            "Six outdoor gym machines and two concrete table tennis tables.",
            9_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "A homework club at Riverside library",
            "Two evenings a week with volunteers, laptops and something to eat.",
            6_000,
            YOUNG,
            FEW,
        ),
        DemoProject(
            "Litter pickers for volunteer groups",
            "Litter pickers, gloves and bags that volunteer groups can borrow from the library.",
            3_000,
            COMMUNITY,
        ),
    ],
}
# For a ward the demo has no projects for: the same kinds of project, in its own name.
ANY_WARD: list[DemoProject] = [
    DemoProject(
        "Safer crossing by the school in {place}",
        "A zebra crossing with flashing lights outside the primary school.",
        30_000,
        STREETS,
        MANY,
    ),
    DemoProject("Street trees in {place}", "Twelve street trees with guards.", 18_000, PARKS, MANY),
    DemoProject(
        "Planters and seats in {place}", "Large planters with seats built in.", 12_000, PARKS, MANY
    ),
    DemoProject(
        "A community garden in {place}",
        "Raised beds and a shed, run by volunteers.",
        12_000,
        COMMUNITY,
        FEW,
    ),
    DemoProject(
        "Free holiday football in {place}",
        "Coaching for under-16s every weekday of the summer holidays.",
        8_000,
        YOUNG,
        FEW,
    ),
    DemoProject("Benches in {place}", "Ten benches on the main paths.", 6_000, PARKS),
]
# Ideas the council turns down, with its public reason, by budget (citywide or any ward).
NOT_FEASIBLE = [
    (
        CITYWIDE,
        DemoProject(
            "A new swimming pool",
            "An indoor pool in the city centre, open to everyone.",
            95_000,
            COMMUNITY,
        ),
        "A new pool would cost about £8 million to build and £300,000 a year to run, far more "
        "than this fund can pay for.",
    ),
    (
        "ward",
        DemoProject(
            "A tram stop in {place}",
            "A stop on the tram line so that people do not have to walk to the next one.",
            60_000,
            STREETS,
        ),
        "The tram network is run by the regional transport authority, not the council, and "
        "a new stop costs several million pounds.",
    ),
    (
        CITYWIDE,
        DemoProject(
            "Free parking in the city centre",
            "Make every council car park free on Saturdays.",
            80_000,
            STREETS,
        ),
        "Parking charges are set each year in the council's budget and pay for mending roads, "
        "so a one-off fund cannot make parking free.",
    ),
]
# A duplicate, merged into the first project of its budget's ballot paper.
MERGED = DemoProject(
    "Lights for the towpath",
    "It is too dark to walk along the canal in the evening. Please put some lights up.",
    30_000,
    STREETS,
)
WITHDRAWN = DemoProject(
    "A dog park in Riverside Park",
    "A fenced area where dogs can run off the lead.",
    15_000,
    PARKS,
)


class Turnout(NamedTuple):
    """Voters in each ward, by channel, and how likely a voter is to vote citywide too."""

    online: int
    code: int
    paper: int
    citywide: float = 0.85


# slug, title, days from now to each date (ideas, review, voting, voting closes, building),
# how the result is worked out, and who voted (None before voting opens)
PROCESSES = [
    ("northbridge-decides-2028", "Northbridge decides 2028", (30, 90, 120, 150, 200), None, None),
    ("northbridge-decides-2027", "Northbridge decides 2027", (-10, 20, 50, 80, 130), None, None),
    ("green-streets-fund", "Green streets fund", (-40, -5, 25, 55, 100), None, None),
    (
        "young-northbridge",
        "Young Northbridge",
        (-80, -40, -3, 30, 80),
        Process.Method.EQUAL_SHARES,
        Turnout(online=40, code=0, paper=10),
    ),
    (
        "neighbourhood-fund-2026",
        "Neighbourhood fund 2026",
        (-200, -150, -110, -70, 40),
        Process.Method.EQUAL_SHARES,
        Turnout(online=450, code=5, paper=250),
    ),
    (
        "northbridge-decides-2025",
        "Northbridge decides 2025",
        (-500, -440, -400, -370, -300),
        Process.Method.GREEDY,
        Turnout(online=100, code=0, paper=30),
    ),
]
# The share of each ward's voters (in turn) who are in the smaller group: more of them live in
# some wards than in others, as in real neighbourhoods.
FEW_SHARE = [0.40, 0.33, 0.27]
VOTERS_PER_WARD = 450  # demo residents with accounts, in each ward
PAPER_BATCHES = ["library ballot box", "community centre ballot box"]
# Codes of the voting process's drop-in batch that nobody has used: try them at its code page.
TRY_CODES = ("TRYK7QM4XP2W", "TRYH9VN3CT6R", "TRYB4JD8FS5M")
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # none that reads as another (0 and O, 1 and I)

FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ewa",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jon",
    "Kasia",
    "Liam",
    "Maya",
    "Nadia",
    "Owen",
    "Priya",
    "Rhys",
    "Sana",
    "Tom",
    "Zara",
]
SURNAMES = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fox",
    "Green",
    "Hughes",
    "Khan",
    "Lewis",
    "Murphy",
    "Nowak",
    "Okafor",
    "Patel",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Wood",
]


def seed_budgets(*, organisations: dict) -> list[Process]:
    """Make the demo processes that do not exist yet; returns those of them whose voting has
    closed (results and building), whose results are still to be worked out."""
    organisation = organisations["northbridge"]
    team, _created = Department.objects.get_or_create(
        organisation=organisation, slug="community-budgets", defaults={"name": "Community Budgets"}
    )
    for role in Role.objects.filter(
        organisation=organisation, kind=Role.Kind.OFFICER, user__email="officer@northbridge.example"
    ):
        role.departments.add(team)
    officer = User.objects.filter(email="officer@northbridge.example").first()
    areas = list(Area.objects.filter(organisation=organisation).order_by("name"))
    supporters = _supporters()
    randomness = random.Random(15)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    voters: dict[int, list[User]] = {}
    closed = []
    for slug, title, days, method, turnout in PROCESSES:
        if Process.objects.filter(slug=slug).exists():
            continue
        process = _process(team, areas, supporters, randomness, now, slug, title, days, method)
        if turnout is not None:
            voters = voters or _voters(areas)
            _ballots(process, areas, voters, officer, turnout, randomness, now)
        if process.voting_closes_at and process.voting_closes_at <= now:
            closed.append(process)
    return closed


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


# Processes and ideas ---------------------------------------------------------------------------


def _process(team, areas, supporters, randomness, now, slug, title, days, method) -> Process:
    dates = [now + timedelta(days=offset) for offset in days]
    process = Process.objects.create(
        department=team,
        title=title,
        slug=slug,
        summary=f"Residents of Northbridge decide how to spend "
        f"{pounds(100_000 + 60_000 * len(areas))} on projects they propose.",
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
        method=method or Process.Method.EQUAL_SHARES,
        min_age=16,
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
    categories = {name: Category.objects.create(process=process, name=name) for name in CATEGORIES}
    stage = process.stage_at(now)
    if stage == Process.Stage.UPCOMING:
        return process
    ideas = _ideas(process, budgets, categories, supporters, stage, dates)
    for number, idea in enumerate(ideas):
        idea.proposer = supporters[number % len(supporters)]
        idea.created_at = dates[0] + timedelta(days=1 + number % 25, hours=number)
        if idea.status != Idea.Status.PROPOSED:
            idea.reviewed_at = dates[1] + timedelta(days=1 + number % 20)
    Idea.objects.bulk_create([idea for idea in ideas if idea.merged_into is None])
    for idea in ideas:
        if idea.merged_into is not None:
            idea.merged_into_id = idea.merged_into.pk
    Idea.objects.bulk_create([idea for idea in ideas if idea.merged_into is not None])
    supports = []
    for idea in ideas:
        if idea.status in (Idea.Status.MERGED, Idea.Status.WITHDRAWN):
            continue  # a merged idea's supporters moved to the one that carries on
        liked = 0.7 if idea.status == Idea.Status.ON_BALLOT else 0.4
        for user in supporters:
            if randomness.random() < liked:
                supports.append(
                    Support(
                        idea=idea,
                        user=user,
                        created_at=idea.created_at + timedelta(hours=randomness.randint(1, 200)),
                    )
                )
    Support.objects.bulk_create(supports, ignore_conflicts=True)
    return process


def _paper(budget: Budget) -> list[DemoProject]:
    if budget.area_id is None:
        return PROJECTS[CITYWIDE]
    if budget.area.name in PROJECTS:
        return PROJECTS[budget.area.name]
    place = budget.area.name.removesuffix(" Ward")
    return [project._replace(title=project.title.format(place=place)) for project in ANY_WARD]


def _idea(process, budget, categories, project: DemoProject, status, **more) -> Idea:
    place = budget.area.name.removesuffix(" Ward") if budget.area_id else "Northbridge"
    decided = status in (Idea.Status.FEASIBLE, Idea.Status.ON_BALLOT)
    # Residents guess; the council's final cost is what the ballot shows.
    estimate = round(project.cost * 0.9, -3) if decided else project.cost
    return Idea(
        process=process,
        budget=budget,
        category=categories[project.category],
        title=project.title.format(place=place),
        description=project.description.format(place=place),
        estimated_cost=min(max(estimate, 1000), budget.amount),
        final_cost=min(project.cost, budget.amount) if decided else None,
        status=status,
        **more,
    )


FEASIBLE_REASON = "The council can do this on its own land, and has checked what it would cost."


def _ideas(process, budgets, categories, supporters, stage, dates) -> list[Idea]:
    """The process's ideas, as far as review has got by its phase."""
    Status = Idea.Status
    ideas = []
    for budget in budgets:
        paper = _paper(budget)
        if stage == Process.Stage.IDEAS:
            # Ideas are still coming in: a few of each budget's, one already checked.
            for number, project in enumerate(paper[:3]):
                status = Status.FEASIBLE if number == 2 and budget.area_id is None else None
                idea = _idea(process, budget, categories, project, status or Status.PROPOSED)
                if status:
                    idea.reason = FEASIBLE_REASON
                ideas.append(idea)
            continue
        reviewing = stage == Process.Stage.REVIEW
        for number, project in enumerate(paper):
            status = Status.ON_BALLOT
            if reviewing:
                status = [Status.ON_BALLOT, Status.FEASIBLE, Status.PROPOSED][number % 3]
            idea = _idea(process, budget, categories, project, status)
            if status != Status.PROPOSED:
                idea.reason = FEASIBLE_REASON
            ideas.append(idea)
        first = ideas[-len(paper)]
        if budget.area_id is None or budget.area.name == "Castlefield Ward":
            ideas.append(
                _idea(
                    process,
                    budget,
                    categories,
                    MERGED,
                    Status.MERGED,
                    merged_into=first,
                    reason=f"The same as “{first.title}”, which carries on with the "
                    "support of both.",
                )
            )
        for where, project, reason in NOT_FEASIBLE:
            if (where == CITYWIDE) == (budget.area_id is None):
                ideas.append(
                    _idea(process, budget, categories, project, Status.NOT_FEASIBLE, reason=reason)
                )
        if budget.area_id and budget.area.name == "Riverside Ward":
            ideas.append(
                _idea(
                    process,
                    budget,
                    categories,
                    WITHDRAWN,
                    Status.WITHDRAWN,
                    reason="Its proposer withdrew it: the park's friends group is making one.",
                )
            )
    return ideas


# Voters and their ballots ----------------------------------------------------------------------


def _voters(areas: list[Area]) -> dict[int, list[User]]:
    """Demo residents with an account and a verified e-mail address, VOTERS_PER_WARD living in
    each ward (by area id), the same people in every process."""
    wanted = {}
    for number in range(VOTERS_PER_WARD * len(areas)):
        email = f"voter{number + 1:04d}@residents.northbridge.example"
        name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {SURNAMES[number // 7 % len(SURNAMES)]}"
        wanted[email] = (name, areas[number % len(areas)].pk)
    existing = set(User.objects.filter(email__in=list(wanted)).values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(email=email, name=name, password=make_password(None))
            for email, (name, _area) in wanted.items()
            if email not in existing
        ],
        batch_size=500,
    )
    users = {user.email: user for user in User.objects.filter(email__in=list(wanted))}
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=users[email], email=email, verified=True, primary=True)
            for email in wanted
            if email not in existing
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    by_area: dict[int, list[User]] = {area.pk: [] for area in areas}
    for email, (_name, area_id) in wanted.items():
        by_area[area_id].append(users[email])
    return by_area


def _code_batch(process, officer, randomness, *, name, area, codes: list[str]) -> list[VotingCode]:
    batch = CodeBatch.objects.create(
        process=process,
        name=name,
        area=area,
        salt=randomness.randbytes(16),
        created_by=officer,
        created_at=process.voting_opens_at - timedelta(days=7),
    )
    # Hashed as budgets.codes hashes every code, so the code page finds them.
    return VotingCode.objects.bulk_create(
        [VotingCode(batch=batch, digest=code_digest(code, batch.salt)) for code in codes]
    )


def _new_code(randomness) -> str:
    return "".join(randomness.choice(CODE_LETTERS) for _letter in range(12))


def _ballots(process, areas, voters, officer, turnout: Turnout, randomness, now) -> None:
    """Ballots from every channel, voters of each ward in both their ward's budget and, most of
    them, the citywide one. Electors, ballots and their choices are made in bulk."""
    budgets = list(process.budgets.select_related("area"))
    citywide = next(budget for budget in budgets if budget.area_id is None)
    ward_budget = {budget.area_id: budget for budget in budgets if budget.area_id is not None}
    papers = {
        budget.pk: [
            (idea, wanted)
            for idea, wanted in _ballot_paper(budget)
            if idea.status == Idea.Status.ON_BALLOT
        ]
        for budget in budgets
    }
    opens = process.voting_opens_at
    closes = min(process.voting_closes_at, now)
    seconds = max(int((closes - opens).total_seconds()) - 3600, 60)

    electors: list[Elector] = []
    ballots: list[Ballot] = []
    choices: list[list[Idea]] = []

    def vote(area_index: int, **who) -> datetime:
        """One voter's ballots (their ward's, and most often the citywide one); returns when
        they voted."""
        few = randomness.random() < FEW_SHARE[area_index % len(FEW_SHARE)]
        voted = [ward_budget[areas[area_index].pk]]
        if randomness.random() < turnout.citywide:
            voted.append(citywide)
        when = opens + timedelta(seconds=randomness.randrange(seconds))
        for number, budget in enumerate(voted):
            ballots.append(
                Ballot(budget=budget, submitted_at=when + timedelta(minutes=number), **who)
            )
            choices.append(_choose(budget, papers[budget.pk], few, randomness))
        return when

    def elector(area_index: int, *, user: User | None = None, code=None) -> None:
        """An online voter (`user`) or a code's, who votes as the ward they live in."""
        if user is not None:
            when = vote(area_index, channel=Ballot.Channel.ONLINE, voter=user)
        else:
            when = vote(area_index, channel=Ballot.Channel.CODE, code=code)
        electors.append(
            Elector(
                process=process,
                user=user,
                code=code,
                area=areas[area_index],
                age_confirmed=True,
                created_at=when,
            )
        )

    # Online: demo residents of each ward, a different sample of them in each process.
    for area_index, area in enumerate(areas):
        for user in randomness.sample(voters[area.pk], min(turnout.online, len(voters[area.pk]))):
            elector(area_index, user=user)

    # By code: where many voted by code, a batch for each ward's libraries, one code of each
    # not used; and a batch for drop-in sessions whose voters choose their area, with one code
    # not used or, while voting is open, the codes anyone may try (TRY_CODES).
    for area_index, area in enumerate(areas if turnout.code else []):
        codes = _code_batch(
            process,
            officer,
            randomness,
            name=f"{area.name} libraries",
            area=area,
            codes=[_new_code(randomness) for _code in range(turnout.code + 1)],
        )
        for code in codes[: turnout.code]:
            elector(area_index, code=code)
    unused = list(TRY_CODES) if process.voting_closes_at > now else [_new_code(randomness)]
    codes = _code_batch(
        process,
        officer,
        randomness,
        name="Drop-in sessions",
        area=None,
        codes=[_new_code(randomness) for _code in range(2)] + unused,
    )
    for number, code in enumerate(codes[:2]):
        elector(number % len(areas), code=code)

    # On paper: keyed in by the demo officer from each ward's ballot boxes.
    for area_index, area in enumerate(areas):
        place = area.name.removesuffix(" Ward")
        for number in range(turnout.paper):
            batch = f"{place} {PAPER_BATCHES[number % len(PAPER_BATCHES)]}"
            vote(area_index, channel=Ballot.Channel.PAPER, keyed_by=officer, paper_batch=batch)

    Elector.objects.bulk_create(electors, batch_size=500)
    Ballot.objects.bulk_create(ballots, batch_size=500)
    BallotChoice.objects.bulk_create(
        [
            BallotChoice(ballot=ballot, idea=idea)
            for ballot, chosen in zip(ballots, choices, strict=True)
            for idea in chosen
        ],
        batch_size=2000,
    )


def _ballot_paper(budget: Budget) -> list[tuple[Idea, str]]:
    """The budget's ideas with who is most likely to choose each, matched by title."""
    wanted = {}
    place = budget.area.name.removesuffix(" Ward") if budget.area_id else "Northbridge"
    for project in _paper(budget):
        wanted[project.title.format(place=place)] = project.wanted_by
    ideas = Idea.objects.filter(budget=budget).order_by("pk")
    return [(idea, wanted.get(idea.title, EITHER)) for idea in ideas]


def _choose(budget: Budget, paper: list[tuple[Idea, str]], few: bool, randomness) -> list[Idea]:
    """A ballot that keeps the budget's rules: mostly the projects the voter's group wants, now
    and then one the other group wants or one anybody might."""
    own, other = (FEW, MANY) if few else (MANY, FEW)
    liked = [idea for idea, wanted in paper if wanted == own and randomness.random() < 0.85]
    randomness.shuffle(liked)
    extra = [
        idea
        for idea, wanted in paper
        if randomness.random() < (0.35 if wanted == EITHER else 0.1 if wanted == other else 0)
    ]
    order = liked + extra
    if budget.style == Budget.Style.APPROVAL:
        chosen = order[: budget.max_projects or len(order)]
        least = budget.min_projects or 1
        for idea, _wanted in paper:
            if len(chosen) >= least:
                break
            if idea not in chosen:
                chosen.append(idea)
        return chosen
    chosen, total = [], 0
    least = -(-budget.amount * (budget.min_spend_percent or 0) // 100)
    fallback = [idea for idea, wanted in paper if wanted == own] + [idea for idea, _w in paper]
    for idea in order + ([] if order else fallback):
        if total + idea.cost <= budget.amount and idea not in chosen:
            chosen.append(idea)
            total += idea.cost
    # Short of the least a ballot must spend, or empty: add what still fits, own group's first.
    for idea in fallback:
        if total >= max(least, 1):
            break
        if idea not in chosen and total + idea.cost <= budget.amount:
            chosen.append(idea)
            total += idea.cost
    return chosen


def seed_budgets_and_results(*, organisations: dict) -> None:
    for process in seed_budgets(organisations=organisations):
        process_results_compute(process_id=process.pk)


demo.register(seed_budgets_and_results, order=40)


# Building the winning projects: its seeder registers itself, after this one.
from budgets import demo_delivery  # noqa: E402, F401
