"""civic's winners equal pabutools' (the research reference) for greedy and for the Method of
Equal Shares alone, completed by greedy and completed by raising the budget: on generated
elections of every shape (many ties, equal costs, identical ballots, no voters, a budget below
every cost or above them all) and on a real Pabulib file. Both sides break ties the same way
(more votes, then lower cost, then ballot order), and the order of funding is compared too."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from budgets.allocation import Completion, Election, Project, equal_shares, greedy, read_pabulib
from tests.budgets.pabutools_reference import reference_election, reference_winners

DATA = Path(__file__).parent / "data"
WARSAW = DATA / "poland_warszawa_2017_wesola-plac-wojska-polskiego.pb"
METHODS = ("greedy", "equal_shares", "equal_shares_greedy", "equal_shares_raised")


def civic_winners(election: Election, method: str) -> list[str]:
    if method == "greedy":
        return list(greedy(election).funded)
    completion = {
        "equal_shares": Completion.NONE,
        "equal_shares_greedy": Completion.GREEDY,
        "equal_shares_raised": Completion.RAISED_BUDGET,
    }[method]
    return list(equal_shares(election, completion=completion).funded)


def assert_same_winners(election: Election, label: str) -> None:
    prepared = reference_election(election)
    for method in METHODS:
        expected = reference_winners(election, method, prepared=prepared)
        assert civic_winners(election, method) == expected, (label, method, election)


def generated(chance, *, projects: int, voters: int, costs: list[int], budget: int, size=None):
    """An election with `voters` random ballots over `projects` projects whose costs are drawn
    from `costs`; `size` draws how many projects each ballot holds (default: any number)."""
    listed = [Project(id=str(number + 1), cost=chance.choice(costs)) for number in range(projects)]
    ballots = []
    for _ in range(voters):
        count = size(chance) if size else chance.randint(0, projects)
        ballots.append(chance.sample([project.id for project in listed], min(count, projects)))
    return Election.from_ballots(projects=listed, budget=budget, ballots=ballots)


def test_greedy_and_equal_shares_match_pabutools_on_varied_elections(chance):
    for number in range(60):
        projects = chance.randint(1, 9)
        costs = [chance.randint(1, 60) * 10 for _ in range(3)]
        budget = chance.randint(1, projects * 40) * 10
        election = generated(
            chance, projects=projects, voters=chance.randint(1, 25), costs=costs, budget=budget
        )
        assert_same_winners(election, f"varied #{number}")


def test_they_match_pabutools_with_many_ties_and_equal_costs(chance):
    # Every project costs the same and ballots are short, so vote counts and prices tie often:
    # the tie-breaking decides much of the outcome, on both sides alike.
    for number in range(60):
        projects = chance.randint(2, 8)
        cost = chance.choice([1, 7, 100, 333])
        election = generated(
            chance,
            projects=projects,
            voters=chance.randint(1, 20),
            costs=[cost],
            budget=cost * chance.randint(1, projects) + chance.choice([0, 0, cost // 2]),
            size=lambda chance: chance.randint(1, 2),
        )
        assert_same_winners(election, f"equal costs #{number}")


def test_they_match_pabutools_when_costs_tie_in_pairs_and_voters_vote_alike(chance):
    for number in range(40):
        projects = chance.randint(2, 7)
        ids = [str(p + 1) for p in range(projects)]
        shapes = [chance.sample(ids, chance.randint(1, min(3, projects))) for _ in range(2)]
        listed = [Project(id=str(p + 1), cost=(p // 2 + 1) * 50) for p in range(projects)]
        ballots = [chance.choice(shapes) for _ in range(chance.randint(2, 30))]
        budget = chance.randint(1, projects * 3) * 25
        election = Election.from_ballots(projects=listed, budget=budget, ballots=ballots)
        assert_same_winners(election, f"alike #{number}")


@pytest.mark.parametrize(
    ("label", "budget", "ballots"),
    [
        ("no voters", 100, []),
        ("only empty ballots", 100, [[], []]),
        ("budget below every cost", 5, [["1"], ["1", "2"], ["3"]]),
        ("budget above every cost", 10_000, [["1"], ["2"], ["2", "3"]]),
        ("a project nobody chose fits", 70, [["1"], ["1"], ["2"]]),
        ("one voter", 60, [["1", "2", "3"]]),
    ],
)
def test_they_match_pabutools_at_the_edges(label, budget, ballots):
    listed = [Project(id="1", cost=30), Project(id="2", cost=20), Project(id="3", cost=45)]
    election = Election.from_ballots(projects=listed, budget=budget, ballots=ballots)
    assert_same_winners(election, label)


def test_they_match_pabutools_with_pence_in_the_costs(chance):
    for number in range(20):
        listed = [
            Project(id=str(p + 1), cost=Decimal(chance.randint(100, 9999)) / 100) for p in range(5)
        ]
        ballots = [chance.sample([p.id for p in listed], chance.randint(1, 3)) for _ in range(15)]
        election = Election.from_ballots(projects=listed, budget=Decimal("123.45"), ballots=ballots)
        assert_same_winners(election, f"pence #{number}")


def test_the_real_warsaw_election_gives_pabutools_winners():
    with WARSAW.open(newline="", encoding="utf-8") as lines:
        election = read_pabulib(lines)
    assert_same_winners(election, WARSAW.name)
    # What pabutools 1.2.3 gives for this file (with its own tie-breaking too: there is no tie).
    assert set(greedy(election).funded) == {"427", "915", "2567", "1623"}
    assert set(equal_shares(election, completion=Completion.NONE).funded) == {"427", "915", "1623"}
    assert set(equal_shares(election).funded) == {"427", "915", "2567", "1623"}


def test_the_real_warsaw_election_matches_pabutools_own_reading_of_the_file():
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

    instance, profile = parse_pabulib(str(WARSAW))
    with WARSAW.open(newline="", encoding="utf-8") as lines:
        election = read_pabulib(lines)
    assert election.voters == profile.num_ballots() == 27
    assert election.budget == instance.budget_limit == 51195
    assert {(p.name, p.cost) for p in instance} == {(p.id, p.cost) for p in election.projects}
    mes = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    assert [p.name for p in mes] == list(equal_shares(election, completion=Completion.NONE).funded)
    assert sorted(
        p.name for p in greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    ) == sorted(greedy(election).funded)
