"""Pabulib files: written with anonymous voter ids and the format's quoting, read back as the same
election with the same results, and bad files refused with the line and what to do."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from budgets.allocation import (
    Completion,
    Election,
    PabulibError,
    Project,
    equal_shares,
    greedy,
    pabulib_text,
    read_pabulib,
    read_pabulib_text,
    write_pabulib,
)

WARSAW = Path(__file__).parent / "data" / "poland_warszawa_2017_wesola-plac-wojska-polskiego.pb"


def results(election: Election) -> list:
    return [greedy(election)] + [
        equal_shares(election, completion=completion) for completion in Completion
    ]


def test_writing_then_reading_gives_the_same_election_and_the_same_results(chance):
    projects = [
        Project(id=str(number), cost=chance.randint(1, 40) * 500, name=f"Project {number}")
        for number in range(1, 13)
    ]
    projects[3] = Project(id="4", cost=Decimal("1999.99"), name='Park; "the green one"')
    projects[5] = Project(id="6", cost=2500, name="Two\nlines", details={"category": "sport"})
    ballots = [
        chance.sample([project.id for project in projects], chance.randint(0, 5))
        for _ in range(300)
    ]
    election = Election.from_ballots(
        projects=projects, budget=30_000, ballots=ballots, meta={"description": "Northbridge"}
    )
    text = pabulib_text(election, meta={"country": "United Kingdom", "unit": "Northbridge"})
    again = read_pabulib_text(text)
    assert again == election
    assert [project.name for project in again.projects][3:6] == [
        'Park; "the green one"', "Project 5", "Two\nlines",
    ]  # fmt: skip
    assert again.projects[5].details == {"category": "sport"}
    assert again.meta["country"] == "United Kingdom"
    assert again.meta["description"] == "Northbridge"
    assert again.meta["num_votes"] == "300"
    assert results(again) == results(election)


def test_an_export_with_a_result_carries_each_project_s_votes_and_whether_it_was_selected():
    projects = [Project(id="1", cost=10), Project(id="2", cost=10), Project(id="3", cost=5)]
    election = Election.from_ballots(
        projects=projects, budget=15, ballots=[["1", "2"], ["1"], ["2", "3"], ["1"]]
    )
    text = pabulib_text(election, meta={"rule": "greedy"}, result=greedy(election))
    assert text.split("PROJECTS\n")[1].split("VOTES\n")[0].splitlines() == [
        "project_id;cost;name;votes;selected",
        "1;10;;3;1",
        "2;10;;2;0",
        "3;5;;1;1",
    ]
    again = read_pabulib_text(text)
    assert [p.details for p in again.projects] == [
        {"votes": "3", "selected": "1"},
        {"votes": "2", "selected": "0"},
        {"votes": "1", "selected": "1"},
    ]
    assert again.meta["rule"] == "greedy"
    assert greedy(again).funded == greedy(election).funded


def test_no_text_of_a_pabulib_file_runs_as_a_formula_in_a_spreadsheet():
    from tests.civic.test_exports import HOSTILE, PLAIN

    # A line break is written as a line feed, so that it stays in its quoted field.
    cells = [(value, cell.replace("\r", "\n")) for value, cell in HOSTILE + PLAIN]
    projects = [
        Project(id=str(number), cost=10, name=value, details={"category": value})
        for number, (value, _cell) in enumerate(cells, start=1)
    ]
    election = Election.from_ballots(projects=projects, budget=10, ballots=[["1"]])
    text = pabulib_text(election, meta={"description": HOSTILE[0][0]})

    again = read_pabulib_text(text)
    assert [project.name for project in again.projects] == [cell for _value, cell in cells]
    assert [project.details["category"] for project in again.projects] == [
        cell for _value, cell in cells
    ]
    assert again.meta["description"] == HOSTILE[0][1]


def test_voter_ids_are_numbers_from_one_that_say_nothing_of_the_order_of_voting():
    projects = [Project(id="1", cost=10), Project(id="2", cost=10)]
    election = Election.from_ballots(projects=projects, budget=10, ballots=[["2"], ["1"], ["2"]])
    votes = pabulib_text(election).split("VOTES\n")[1].splitlines()
    assert votes == ["voter_id;vote", "1;1", "2;2", "3;2"]


def test_the_real_warsaw_file_reads_as_pabulib_describes_it_and_writes_back_the_same():
    with WARSAW.open(newline="", encoding="utf-8") as lines:
        election = read_pabulib(lines)
    assert (election.voters, election.budget, len(election.projects)) == (27, 51195, 4)
    assert election.projects[0].name == "Akademia Szkraba"
    assert election.projects[0].details["category"] == "education"
    assert election.votes.tolist() == [16, 14, 12, 5]
    out = io.StringIO(newline="")
    write_pabulib(election, out)
    assert read_pabulib_text(out.getvalue()) == election


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;50\n"
            "VOTES\nvoter_id;vote\n1;1\n2;1,7\n",
            "Line 11: the vote names project 7, which is not in the PROJECTS section.",
        ),
        (
            "META\nkey;value\nbudget;100\nvote_type;cumulative\nPROJECTS\nproject_id;cost\n1;50\n"
            "VOTES\nvoter_id;vote;points\n1;1;3\n",
            "The file's ballots are cumulative ballots; civic reads approval ballots only "
            "(vote_type approval).",
        ),
        (
            "META\nkey;value\nnum_votes;3\nbudget;100\nPROJECTS\nproject_id;cost\n1;50\n"
            "VOTES\nvoter_id;vote\n1;1\n",
            "The META section says num_votes is 3 but the file holds 1: it may have been cut "
            "short. Export it again and upload the whole file.",
        ),
        (
            "META\nkey;value\nbudget;lots\nPROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\n",
            "The META section's budget, lots, is not an amount.",
        ),
        (
            "META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;0\nVOTES\nvoter_id;vote\n",
            "Line 6: project 1's cost, 0, is not an amount above zero.",
        ),
        (
            "META\nkey;value\nbudget;100\nPROJECTS\nproject_id;name\n1;Park\n",
            "Line 5: the PROJECTS header has no cost column.",
        ),
        ("META\nkey;value\nbudget;100\n", "The file has no PROJECTS or VOTES section."),
        ("1;50\n", "Line 1: the file must start with a META section."),
    ],
)
def test_a_file_civic_cannot_read_is_refused_saying_where_and_why(text, message):
    with pytest.raises(PabulibError) as refused:
        read_pabulib_text(text)
    assert str(refused.value) == message


def test_a_byte_order_mark_and_spaces_around_fields_are_read_as_pabulib_writes_them():
    text = (
        "\ufeffMETA\nkey; value\nbudget; 2500\nvote_type; approval\nPROJECTS\n"
        "project_id; cost; category\n1; 600; culture, education\n2; 800; sport\n"
        "VOTES\nvoter_id; age; vote\n1; 34; 1,2\n2; 51; 2\n3; 20;\n"
    )
    election = read_pabulib_text(text)
    assert election.voters == 3
    assert sorted(election.ballots()) == [((), 1), (("1", "2"), 1), (("2",), 1)]
    assert election.projects[0].details == {"category": "culture, education"}
