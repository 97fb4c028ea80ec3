"""Elections exchanged as Pabulib files: a budget's election downloaded once voting has closed,
naming no voter; a file imported into a fresh process's budget as projects on the ballot and
paper ballots, giving back the same election and the same winners; a real Pabulib file's
winners equal to pabutools'; a file with a mistake refused with its line, changing nothing; only
the officers who run a process import into it; and the management command."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from budgets import pabulib_io
from budgets.allocation import (
    Completion,
    Election,
    Project,
    equal_shares,
    greedy,
    read_pabulib,
    read_pabulib_text,
)
from budgets.gdpr import erase_ideas
from budgets.models import Ballot, BallotChoice, Budget, BudgetResult, Category, Idea, Process
from budgets.results import results_recompute, results_sweep
from budgets.tally import budget_election
from civic.models import AuditEntry
from contacts.models import Contact
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.budgets.pabutools_reference import reference_election, reference_winners
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Process.Stage
Channel = Ballot.Channel
WARSAW = Path(__file__).parent / "data" / "poland_warszawa_2017_wesola-plac-wojska-polskiego.pb"
METHODS = ("greedy", "equal_shares", "equal_shares_greedy", "equal_shares_raised")


def cast(budget, ideas, channel=Channel.ONLINE, **who):
    if channel == Channel.ONLINE and not who:
        who = {"voter": UserFactory()}
    ballot = Ballot.objects.create(budget=budget, channel=channel, **who)
    BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, idea=idea) for idea in ideas])
    return ballot


def upload(text: str | bytes, name: str = "election.pb") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def by_place(election: Election) -> Election:
    """The election with its projects named by their place on the ballot paper (1, 2, ...) and
    nothing but their cost and name, so that two databases' elections compare."""
    projects = [
        Project(id=str(place), cost=project.cost, name=project.name)
        for place, project in enumerate(election.projects, start=1)
    ]
    return Election(
        projects=projects,
        budget=election.budget,
        ballot_starts=election.ballot_starts,
        ballot_projects=election.ballot_projects,
        ballot_counts=election.ballot_counts,
    )


def winners(election: Election) -> dict[str, list[str]]:
    """Each method's funded projects, by name, in the order funded."""
    names = {project.id: project.name for project in election.projects}
    found = {
        "greedy": greedy(election).funded,
        "equal_shares": equal_shares(election, completion=Completion.NONE).funded,
        "equal_shares_greedy": equal_shares(election, completion=Completion.GREEDY).funded,
        "equal_shares_raised": equal_shares(election, completion=Completion.RAISED_BUDGET).funded,
    }
    return {method: [names[id_] for id_ in funded] for method, funded in found.items()}


def held_election(council):
    """A process whose voting has closed, with the Ancoats budget's votes: online, paper and an
    empty ballot, chosen so that greedy and equal shares fund different projects."""
    process = make_process(council, Stage.RESULTS, title="Northbridge decides 2027")
    budget = budget_of(process, council.ancoats)
    parks = Category.objects.get(process=process, name="Parks")
    ideas = {}
    for title, cost, category in (
        ("Bandstand", 30_000, parks),
        ("Cycle racks", 20_000, None),
        ("Pond", 25_000, parks),
        ("Street trees", 10_000, None),
    ):
        ideas[title] = make_idea(
            process, proposer=council.resident, area=council.ancoats, title=title,
            status=Idea.Status.ON_BALLOT, final_cost=cost, category=category,
        )  # fmt: skip
    voters = []
    for _ in range(6):
        voters.append(cast(budget, [ideas["Bandstand"], ideas["Cycle racks"]]).voter)
    for _ in range(4):
        voters.append(cast(budget, [ideas["Pond"], ideas["Street trees"]]).voter)
    cast(budget, [ideas["Pond"]], Channel.PAPER, keyed_by=council.officer, paper_batch="Library")
    cast(budget, [])
    return process, budget, voters


def test_export_then_import_into_a_fresh_process_gives_the_same_election_and_winners(council):
    process, budget, _voters = held_election(council)
    response = Client().get(f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (f'attachment; filename="{process.slug}_ancoats.pb"')
    text = response.content.decode()

    fresh = make_process(council, status=Process.Status.DRAFT, title="Replay")
    target = budget_of(fresh, council.hulme)
    imported = pabulib_io.election_import(
        actor=council.officer, process=fresh, budget=target, file=upload(text, "ancoats.pb")
    )
    assert (imported.projects, imported.ballots) == (4, 12)

    original, _ideas = budget_election(budget)
    replayed, ideas = budget_election(target)
    assert by_place(replayed) == by_place(original)
    assert winners(replayed) == winners(original)
    assert winners(original)["greedy"] != winners(original)["equal_shares"]
    assert read_pabulib_text(text).votes.tolist() == original.votes.tolist()

    target.refresh_from_db()
    assert target.amount == 50_000
    bandstand = next(idea for idea in ideas.values() if idea.title == "Bandstand")
    assert (bandstand.status, bandstand.final_cost, bandstand.estimated_cost) == (
        Idea.Status.ON_BALLOT, 30_000, 30_000,
    )  # fmt: skip
    assert bandstand.proposer is None and bandstand.category.name == "Parks"
    assert bandstand.category.process == fresh
    ballots = Ballot.objects.filter(budget=target)
    assert set(ballots.values_list("channel", "keyed_by", "paper_batch", "voter", "code")) == {
        (Channel.PAPER, council.officer.pk, "Pabulib file ancoats.pb", None, None)
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.actor == council.officer and entry.object_id == str(target.pk)
    assert entry.summary == (
        "Imported a Pabulib file: 4 projects on the ballot, 12 paper ballots, "
        "amount 50000 now 50000, voters choose projects up to the amount"
    )
    assert (target.style, target.min_spend_percent, target.max_projects) == (
        Budget.Style.KNAPSACK, None, None,
    )  # fmt: skip


def test_the_export_describes_the_election_and_never_a_voter(council):
    process, budget, voters = held_election(council)
    # A file, not a page: its status and type are checked, then the whole of it is read.
    download = Client().get(f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/plain")
    text = download.getvalue().decode()
    meta, projects_and_votes = text.split("PROJECTS\n")
    projects, votes = projects_and_votes.split("VOTES\n")
    closes = process.voting_closes_at.astimezone()
    assert meta.splitlines() == [
        "META",
        "key;value",
        "description;Northbridge decides 2027: Ancoats",
        "country;United Kingdom",
        "unit;Northbridge City Council",
        "subunit;Ancoats",
        f"instance;{closes.year}",
        "num_projects;4",
        "num_votes;12",
        "budget;50000",
        "vote_type;approval",
        "rule;equalshares",
        "completion;budget_increase",
        f"date_begin;{process.voting_opens_at.astimezone():%d.%m.%Y}",
        f"date_end;{closes:%d.%m.%Y}",
        "max_sum_cost;50000",
        "currency;GBP",
        "language;english",
    ]
    ideas = {idea.title: idea.pk for idea in Idea.objects.filter(budget=budget)}
    assert projects.splitlines() == [
        "project_id;cost;name;category;votes",
        f"{ideas['Bandstand']};30000;Bandstand;Parks;6",
        f"{ideas['Cycle racks']};20000;Cycle racks;;6",
        f"{ideas['Pond']};25000;Pond;Parks;5",
        f"{ideas['Street trees']};10000;Street trees;;4",
    ]
    rows = votes.splitlines()
    assert rows[0] == "voter_id;vote"
    assert [row.split(";")[0] for row in rows[1:]] == [str(number) for number in range(1, 13)]
    assert "age" not in rows[0] and "sex" not in rows[0]
    for voter in voters:
        assert voter.email not in text and voter.name not in text
    assert "Library" not in text and council.officer.email not in text
    assert council.resident.email not in text


def test_an_approval_budget_and_greedy_are_said_in_pabulib_words(council):
    process, budget, _voters = held_election(council)
    Process.objects.filter(pk=process.pk).update(method=Process.Method.GREEDY)
    Budget.objects.filter(pk=budget.pk).update(
        style=Budget.Style.APPROVAL, min_projects=1, max_projects=3
    )
    text = Client().get(f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb").content
    lines = text.decode().split("PROJECTS")[0].splitlines()
    assert "rule;greedy" in lines and "min_length;1" in lines and "max_length;3" in lines
    assert not any(line.startswith(("completion;", "max_sum_cost;")) for line in lines)


@pytest.mark.parametrize(
    "stage, status",
    [
        (Stage.VOTING, Process.Status.PUBLISHED),
        (Stage.REVIEW, Process.Status.PUBLISHED),
        (Stage.RESULTS, Process.Status.DRAFT),
    ],
)
def test_there_is_nothing_to_download_before_results_are_public(council, stage, status):
    process = make_process(council, stage, status=status)
    budget = budget_of(process)
    for client in (Client(), Client()):
        client.force_login(council.officer)
        assert (
            client.get(f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb").status_code
            == 404
        )


def test_another_process_budget_is_not_found(council):
    process, _budget, _voters = held_election(council)
    other = budget_of(make_process(council, Stage.RESULTS))
    assert (
        Client().get(f"/budgets/{process.slug}/budgets/{other.pk}/election.pb").status_code == 404
    )
    assert Client().get(f"/budgets/{process.slug}/budgets/99999/election.pb").status_code == 404
    assert (
        Client().post(f"/budgets/{process.slug}/budgets/{_budget.pk}/election.pb").status_code
        == 405
    )


def test_the_implementation_phase_still_offers_the_download(council):
    process = make_process(council, Stage.IMPLEMENTATION)
    budget = budget_of(process)
    response = Client().get(f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb")
    assert response.status_code == 200
    assert "num_votes;0" in response.content.decode()


def test_the_download_is_drawn_once_per_count_and_again_after_a_recount(
    council, django_assert_max_num_queries
):
    process, budget, _voters = held_election(council)
    results_sweep()
    url = f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb"
    first = Client().get(url).content.decode()
    assert ";Bandstand;" in first
    # A title changed behind the count's back is not drawn: the kept file is served, in the
    # queries that find the process, the budget and its result.
    Idea.objects.filter(budget=budget, title="Bandstand").update(title="Bandstand and stage")
    with django_assert_max_num_queries(3):
        again = Client().get(url)
    assert again.content.decode() == first
    assert again["Content-Disposition"] == f'attachment; filename="{process.slug}_ancoats.pb"'
    # A recount is a new key: the file is drawn again.
    results_recompute(actor=council.officer, process=process)
    assert ";Bandstand and stage;" in Client().get(url).content.decode()
    # An officer's new title for the process is in the META at once.
    Process.objects.filter(pk=process.pk).update(title="Northbridge decides 2028")
    assert "description;Northbridge decides 2028: Ancoats" in Client().get(url).content.decode()


def test_an_erasure_redacts_the_kept_download_at_once(council, django_capture_on_commit_callbacks):
    process, budget, _voters = held_election(council)
    Idea.objects.filter(budget=budget, title="Pond").update(
        title="Pond for Cara Creator", proposer=council.resident
    )
    results_sweep()
    url = f"/budgets/{process.slug}/budgets/{budget.pk}/election.pb"
    assert ";Pond for Cara Creator;" in Client().get(url).content.decode()
    contact = Contact.objects.create(organisation=council.organisation, name="Cara Creator",
                                     email="cara@example.org", user=council.resident)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        erase_ideas(contact)
    # A file, not a page: its status and type are checked, then the whole of it is read.
    download = Client().get(url)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/plain")
    text = download.getvalue().decode()
    assert ";Pond for [erased];" in text and "Cara" not in text


def test_the_real_warsaw_file_imports_and_its_winners_are_pabutools(council):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    with WARSAW.open("rb") as file:
        imported = pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=file
        )
    assert (imported.projects, imported.ballots, imported.amount_before) == (4, 27, 100_000)
    budget.refresh_from_db()
    assert budget.amount == 51_195
    # Its META limits the cost (max_sum_cost), so its voters chose projects up to the amount.
    assert (budget.style, budget.min_spend_percent, budget.min_projects) == (
        Budget.Style.KNAPSACK, None, None,
    )  # fmt: skip
    election, ideas = budget_election(budget)
    assert election.voters == 27
    assert BallotChoice.objects.filter(ballot__budget=budget).count() == sum(
        election.votes.tolist()
    )
    prepared = reference_election(election)
    for method in METHODS:
        assert winners(election)[method] == [
            ideas[id_].title for id_ in reference_winners(election, method, prepared=prepared)
        ], method
    with WARSAW.open(newline="", encoding="utf-8") as lines:
        source = read_pabulib(lines)
    assert winners(election) == winners(source)
    assert winners(election)["equal_shares"] == [
        "Akademia Szkraba",
        "Plac Wojska Polskiego dla gniazdujących",
        "Życzliwość wobec kobiet w ciąży dla mieszkanek Wesołej.",
    ]
    assert sorted(Category.objects.filter(process=process).values_list("name", flat=True)) == [
        "Parks", "Streets", "education", "public space",
    ]  # fmt: skip


def _broken_warsaw() -> tuple[str, int]:
    lines = WARSAW.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.startswith("7230;"))
    lines[line - 1] = "7230;65;F;internet;2567,4242"
    return "\n".join(lines) + "\n", line


def _nothing_changed(process: Process, budget: Budget, amount: int = 100_000) -> None:
    budget.refresh_from_db()
    assert budget.amount == amount
    assert not Idea.objects.filter(process=process).exists()
    assert not Ballot.objects.filter(budget__process=process).exists()
    assert Category.objects.filter(process=process).count() == 2
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).exists()


def test_a_broken_file_changes_nothing_and_says_which_line(council):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    text, line = _broken_warsaw()
    with pytest.raises(ValidationError) as refused:
        pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=upload(text)
        )
    assert refused.value.message_dict == {
        "file": [f"Line {line}: the vote names project 4242, which is not in the PROJECTS section."]
    }
    _nothing_changed(process, budget)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe\x00M", "The file is not UTF-8 text. Save it as UTF-8 and upload it again."),
        (
            b"META\nkey;value\nbudget;100.50\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvote\n1\n",
            "The META section's budget, 100.50, has pence: civic holds whole pounds.",
        ),
        (
            b"META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;10.5\nVOTES\nvote\n1\n",
            "Project 1 costs 10.5, which has pence: civic holds whole pounds.",
        ),
        (
            b"META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\nVOTES\nvote\n",
            "The PROJECTS section lists no project.",
        ),
        (
            b"META\nkey;value\nbudget;100\nvote_type;ordinal\nPROJECTS\nproject_id;cost\n1;10\n"
            b"VOTES\nvote\n1\n",
            "The file's ballots are ordinal ballots; civic reads approval ballots only "
            "(vote_type approval).",
        ),
    ],
)
def test_files_civic_cannot_hold_are_refused_with_the_reason(council, content, message):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    with pytest.raises(ValidationError) as refused:
        pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=upload(content)
        )
    assert refused.value.message_dict == {"file": [message]}
    _nothing_changed(process, budget)


def pb_file(meta: dict[str, str], votes: list[str]) -> tuple[str, dict[str, int]]:
    """A `.pb` file of four projects costing £10,000 to £40,000 with these META keys and votes,
    and the line each vote is on, by its voter's number."""
    lines = ["META", "key;value", *(f"{key};{value}" for key, value in meta.items())]
    lines += ["PROJECTS", "project_id;cost", "1;10000", "2;20000", "3;30000", "4;40000"]
    lines += ["VOTES", "voter_id;vote"]
    at = {}
    for voter, vote in enumerate(votes, start=1):
        lines.append(f"{voter};{vote}")
        at[voter] = len(lines)
    return "\n".join(lines) + "\n", at


@pytest.mark.parametrize(
    "meta, votes, refused, message",
    [
        ({"budget": "100000", "max_length": "2"}, ["1", "1,2,3", "2"], 2,
         "the vote chooses 3 projects, more than the 2 a ballot may choose (max_length in the "
         "META section)."),
        ({"budget": "100000", "min_length": "1", "max_length": "3"}, ["1", ""], 2,
         "the vote chooses 0 projects, fewer than the 1 a ballot must choose (min_length in the "
         "META section)."),
        ({"budget": "100000", "vote_type": "choose-1"}, ["1", "4", "1,2"], 3,
         "the vote chooses 2 projects, more than the 1 a ballot may choose (vote_type choose-1 "
         "in the META section)."),
        ({"budget": "100000", "max_sum_cost": "50000"}, ["1,4", "3,4"], 2,
         "the vote's projects cost 70000 in all, more than the 50000 a ballot may spend "
         "(max_sum_cost in the META section)."),
        ({"budget": "100000", "min_sum_cost": "30000"}, ["3", "4", "1"], 3,
         "the vote's projects cost 10000 in all, less than the 30000 a ballot must spend "
         "(min_sum_cost in the META section)."),
        # civic's ballots choose projects up to the amount, so the budget limits them too.
        ({"budget": "50000", "max_sum_cost": "200000"}, ["1,4", "3,4"], 2,
         "the vote's projects cost 70000 in all, more than the 50000 a ballot may spend "
         "(budget in the META section)."),
    ],
)  # fmt: skip
def test_a_vote_that_breaks_the_files_limits_is_refused_with_its_line(
    council, meta, votes, refused, message
):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    text, at = pb_file(meta, votes)
    with pytest.raises(ValidationError) as refusal:
        pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=upload(text)
        )
    assert refusal.value.message_dict == {"file": [f"Line {at[refused]}: {message}"]}
    _nothing_changed(process, budget)
    assert (budget.style, budget.max_projects) == (Budget.Style.KNAPSACK, None)


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"budget": "100000", "max_length": "three"},
         "The META section's max_length, three, is not a whole number."),
        ({"budget": "100000", "min_length": "3", "max_length": "2"},
         "The META section's min_length is more than its max_length."),
        ({"budget": "100000", "max_sum_cost": "lots"},
         "The META section's max_sum_cost, lots, is not an amount."),
        ({"budget": "100000", "vote_type": "choose-1", "max_length": "2"},
         "The META section's vote_type is choose-1 but its max_length is 2: make them agree."),
        ({"budget": "100000", "max_length": "40000"},
         "The META section's max_length, 40000, is more projects than civic can hold."),
    ],
)  # fmt: skip
def test_limits_civic_cannot_read_are_refused_naming_the_key(council, meta, message):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    text, _at = pb_file(meta, ["1"])
    with pytest.raises(ValidationError) as refusal:
        pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=upload(text)
        )
    assert refusal.value.message_dict == {"file": [message]}
    _nothing_changed(process, budget)


@pytest.mark.parametrize(
    "meta, style, limits, words",
    [
        ({"budget": "100000", "min_length": "1", "max_length": "3"}, Budget.Style.APPROVAL,
         (None, 1, 3), "a number of projects (at least 1 and at most 3)"),
        ({"budget": "100000", "vote_type": "choose-1"}, Budget.Style.APPROVAL,
         (None, None, 1), "a number of projects (at most 1)"),
        ({"budget": "100000"}, Budget.Style.APPROVAL, (None, None, None), "a number of projects"),
        ({"budget": "90000", "min_sum_cost": "30000", "max_sum_cost": "90000"},
         Budget.Style.KNAPSACK, (33, None, None),
         "projects up to the amount, spending at least 33%"),
        ({"budget": "100000", "max_sum_cost": "100000"}, Budget.Style.KNAPSACK,
         (None, None, None), "projects up to the amount"),
    ],
)  # fmt: skip
def test_the_budget_is_voted_as_the_files_meta_says(council, meta, style, limits, words):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process, council.hulme)
    Budget.objects.filter(pk=budget.pk).update(style=Budget.Style.KNAPSACK, min_spend_percent=10)
    text, _at = pb_file(meta, ["3", "4", "3"])
    pabulib_io.election_import(
        actor=council.officer, process=process, budget=budget, file=upload(text)
    )
    budget.refresh_from_db()
    assert budget.amount == int(meta["budget"])
    assert budget.style == style
    assert (budget.min_spend_percent, budget.min_projects, budget.max_projects) == limits
    summary = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).summary
    assert summary.endswith(f", voters choose {words}")
    # Exported again, the file says the same limits.
    exported = read_pabulib_text(pabulib_io.election_text(process, budget)).meta
    if style == Budget.Style.APPROVAL:
        assert [exported.get("min_length"), exported.get("max_length")] == [
            None if value is None else str(value) for value in limits[1:]
        ]
    else:
        assert exported["max_sum_cost"] == meta["budget"]


@pytest.mark.parametrize("stage", [Stage.UPCOMING, Stage.IDEAS, Stage.REVIEW, Stage.VOTING])
def test_a_file_cannot_go_into_a_process_residents_are_taking_part_in(council, stage):
    process = make_process(council, stage)
    budget = budget_of(process)
    with pytest.raises(ValidationError) as refused, WARSAW.open("rb") as file:
        pabulib_io.election_import(actor=council.officer, process=process, budget=budget, file=file)
    assert refused.value.message_dict == {
        "budget": [
            "Residents are taking part in this process, so a file cannot be imported into it. "
            "Import into a draft process, or once voting has closed."
        ]
    }
    _nothing_changed(process, budget)


def test_a_file_goes_only_into_an_empty_budget_so_a_second_import_is_refused(council):
    process = make_process(council, Stage.RESULTS)
    budget = budget_of(process)
    with WARSAW.open("rb") as file:
        pabulib_io.election_import(actor=council.officer, process=process, budget=budget, file=file)
    with pytest.raises(ValidationError) as refused, WARSAW.open("rb") as file:
        pabulib_io.election_import(actor=council.officer, process=process, budget=budget, file=file)
    assert refused.value.message_dict == {
        "budget": [
            "The Citywide budget already has projects or ballots. Import into a budget that has "
            "none, so that the file's election is not mixed with another."
        ]
    }
    assert Ballot.objects.filter(budget=budget).count() == 27
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1


def test_a_budget_counted_empty_at_the_close_is_counted_again_after_its_import(council):
    process = make_process(council, Stage.RESULTS)
    budget = budget_of(process)
    results_sweep()  # the worker counted the closed process, this budget with no ballots
    assert BudgetResult.objects.get(budget=budget).voters == 0
    with WARSAW.open("rb") as file:
        pabulib_io.election_import(actor=council.officer, process=process, budget=budget, file=file)
    assert not BudgetResult.objects.filter(budget=budget).exists()
    assert results_sweep() == 1
    assert BudgetResult.objects.get(budget=budget).voters == 27


def test_a_budget_of_another_process_is_refused(council):
    process = make_process(council, status=Process.Status.DRAFT)
    other = budget_of(make_process(council, status=Process.Status.DRAFT))
    with pytest.raises(ValidationError) as refused, WARSAW.open("rb") as file:
        pabulib_io.election_import(actor=council.officer, process=process, budget=other, file=file)
    assert refused.value.message_dict == {"budget": ["Choose one of this process's budgets."]}
    assert not Idea.objects.exists()


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("officer", True),
        ("admin", True),
        ("other_officer", False),
        ("other_council_officer", False),
        ("other_council_admin", False),
        ("resident", False),
    ],
)
def test_only_those_who_run_the_process_import_into_it(council, who, allowed):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    actor = getattr(council, who)
    with WARSAW.open("rb") as file:
        if allowed:
            pabulib_io.election_import(actor=actor, process=process, budget=budget, file=file)
            assert Ballot.objects.filter(budget=budget, keyed_by=actor).count() == 27
            return
        with pytest.raises(PermissionDenied):
            pabulib_io.election_import(actor=actor, process=process, budget=budget, file=file)
    _nothing_changed(process, budget)


def test_a_hundred_thousand_voters_go_in_a_few_dozen_statements(
    council, django_assert_max_num_queries
):
    chance = np.random.default_rng(15)
    projects = 40
    lines = ["META", "key;value", "budget;2000000", "PROJECTS", "project_id;cost;name"]
    lines += [f"p{number};{chance.integers(10, 200) * 1000};Project {number:02d}"
              for number in range(projects)]  # fmt: skip
    lines += ["VOTES", "voter_id;vote"]
    for voter in range(100_000):
        chosen = chance.choice(projects, size=chance.integers(1, 6), replace=False)
        lines.append(f"{voter + 1};" + ",".join(f"p{number}" for number in chosen))
    text = "\n".join(lines) + "\n"
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    with django_assert_max_num_queries(80):
        imported = pabulib_io.election_import(
            actor=council.officer, process=process, budget=budget, file=upload(text)
        )
    assert imported.ballots == 100_000
    budget.refresh_from_db()
    election, _ideas = budget_election(budget)
    assert by_place(election) == by_place(read_pabulib_text(text))


# The admin's page -------------------------------------------------------------------------------


@pytest.fixture
def officer(council) -> Client:
    client = Client()
    client.force_login(council.officer)
    return client


def test_an_officer_imports_a_file_from_the_process_page(council, officer):
    process = make_process(council, status=Process.Status.DRAFT, title="Replay Warsaw")
    change = officer.get(f"/admin/budgets/process/{process.pk}/change/").content.decode()
    page = f"/admin/budgets/process/{process.pk}/pabulib/"
    assert f'href="{page}"' in change
    html = assert_page(officer.get(page), heading="Import a Pabulib file: Replay Warsaw")
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert [name for _pk, name in options] == ["Ancoats", "Hulme", "Citywide"] or sorted(
        name for _pk, name in options
    ) == ["Ancoats", "Citywide", "Hulme"]
    assert 'name="checked"' not in html  # a draft: nothing goes public

    hulme = budget_of(process, council.hulme)
    text, line = _broken_warsaw()
    refused = officer.post(page, {"budget": hulme.pk, "file": upload(text)})
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "There is a problem" in html and f"Line {line}: the vote names project 4242" in html
    _nothing_changed(process, hulme, 50_000)

    with WARSAW.open("rb") as file:
        done = officer.post(page, {"budget": hulme.pk, "file": SimpleUploadedFile(
            "warsaw.pb", file.read())})  # fmt: skip
    assert done.status_code == 302
    assert Ballot.objects.filter(budget=hulme).count() == 27
    html = officer.get(done["Location"]).content.decode()
    assert "The file is imported into the Hulme budget: 4 projects on the ballot and 27" in html
    listed = officer.get(page).content.decode()
    assert f'<option value="{hulme.pk}"' not in listed


def test_a_published_process_asks_for_a_check_and_refuses_other_files(council, officer):
    process = make_process(council, Stage.RESULTS)
    page = f"/admin/budgets/process/{process.pk}/pabulib/"
    budget = budget_of(process)
    with WARSAW.open("rb") as file:
        content = file.read()
    html = officer.post(page, {"budget": budget.pk, "file": upload(content, "w.pb")}).content
    assert "Confirm that you understand the results will be public" in html.decode()
    html = officer.post(page, {"budget": budget.pk, "file": upload(content, "w.csv"),
                               "checked": "on"}).content  # fmt: skip
    assert "The file must be a Pabulib file, whose name ends in .pb" in html.decode()
    _nothing_changed(process, budget)
    done = officer.post(page, {"budget": budget.pk, "file": upload(content), "checked": "on"})
    assert done.status_code == 302 and Ballot.objects.filter(budget=budget).count() == 27


def test_while_residents_take_part_the_page_says_why_nothing_can_be_imported(council, officer):
    process = make_process(council, Stage.VOTING)
    html = officer.get(f"/admin/budgets/process/{process.pk}/pabulib/").content.decode()
    assert 'id="pabulib-refusal"' in html and "Residents are taking part" in html
    with WARSAW.open("rb") as file:
        officer.post(
            f"/admin/budgets/process/{process.pk}/pabulib/",
            {"budget": budget_of(process).pk, "file": upload(file.read())},
        )
    _nothing_changed(process, budget_of(process))


@pytest.mark.parametrize("who", ["other_officer", "other_council_officer", "other_council_admin"])
def test_others_cannot_reach_the_import_page(council, who):
    process = make_process(council, status=Process.Status.DRAFT)
    client = Client()
    client.force_login(getattr(council, who))
    page = f"/admin/budgets/process/{process.pk}/pabulib/"
    assert client.get(page).status_code in (403, 404)
    with WARSAW.open("rb") as file:
        response = client.post(page, {"budget": budget_of(process).pk, "file": upload(file.read())})
    assert response.status_code in (403, 404)
    _nothing_changed(process, budget_of(process))


# The management command -------------------------------------------------------------------------


def test_the_command_imports_a_file_into_a_named_budget(council):
    process = make_process(council, status=Process.Status.DRAFT, slug="replay")
    out = StringIO()
    call_command("pabulib_import", str(WARSAW), "--process", "replay", "--budget", "hulme",
                 "--as", council.officer.email.upper(), stdout=out)  # fmt: skip
    assert out.getvalue() == (
        "Imported 4 projects and 27 ballots into the Hulme budget of "
        f"{process.title} (amount £51,195).\n"
    )
    assert Ballot.objects.filter(budget=budget_of(process, council.hulme),
                                 keyed_by=council.officer).count() == 27  # fmt: skip
    call_command("pabulib_import", str(WARSAW), "--process", "replay", "--budget", "Citywide",
                 stdout=StringIO())  # fmt: skip
    citywide = budget_of(process)
    assert Ballot.objects.filter(budget=citywide, keyed_by=None).count() == 27
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT, actor=None).count() == 1


def test_the_command_says_clearly_what_is_wrong(council, tmp_path):
    process = make_process(council, status=Process.Status.DRAFT, slug="replay")
    broken = tmp_path / "broken.pb"
    text, line = _broken_warsaw()
    broken.write_text(text, encoding="utf-8")
    cases = [
        (["--process", "nowhere", "--budget", "citywide"],
         "No budget process has the web address 'nowhere'"),
        (["--process", "replay", "--budget", "Moss Side"],
         "The process 'replay' has no 'Moss Side' budget. Its budgets: Ancoats, Citywide, Hulme"),
        (["--process", "replay", "--budget", "citywide", "--as", "nobody@example.org"],
         "No active account has the e-mail 'nobody@example.org'"),
        (["--process", "replay", "--budget", "citywide", "--as", council.other_officer.email],
         f"{council.other_officer.email} does not run the process 'replay'"),
    ]  # fmt: skip
    for arguments, message in cases:
        with pytest.raises(CommandError) as refused:
            call_command("pabulib_import", str(WARSAW), *arguments)
        assert str(refused.value) == message
    with pytest.raises(CommandError) as refused:
        call_command("pabulib_import", str(broken), "--process", "replay", "--budget", "citywide")
    assert str(refused.value) == (
        f"Line {line}: the vote names project 4242, which is not in the PROJECTS section."
    )
    with pytest.raises(CommandError) as refused:
        call_command("pabulib_import", str(tmp_path / "missing.pb"), "--process", "replay",
                     "--budget", "citywide")  # fmt: skip
    assert str(refused.value).startswith(f"Could not read {tmp_path / 'missing.pb'}: ")
    _nothing_changed(process, budget_of(process))


@pytest.mark.django_db(transaction=True)
def test_two_imports_into_one_budget_at_the_same_moment_make_one(council):
    process = make_process(council, status=Process.Status.DRAFT)
    budget = budget_of(process)
    content = WARSAW.read_bytes()

    def send():
        try:
            pabulib_io.election_import(
                actor=council.officer,
                process=Process.objects.get(pk=process.pk),
                budget=Budget.objects.get(pk=budget.pk),
                file=upload(content),
            )
        except ValidationError as refusal:
            return next(iter(refusal.message_dict))
        return "imported"

    assert sorted(at_once(send, send)) == ["budget", "imported"]
    assert Ballot.objects.filter(budget=budget).count() == 27
    assert Idea.objects.filter(budget=budget).count() == 4


def test_the_page_and_the_command_name_the_vote_that_breaks_a_limit(council, officer, tmp_path):
    process = make_process(council, status=Process.Status.DRAFT, slug="replay")
    text, at = pb_file({"budget": "100000", "max_length": "1"}, ["1", "2", "3,4"])
    message = (
        f"Line {at[3]}: the vote chooses 2 projects, more than the 1 a ballot may choose "
        "(max_length in the META section)."
    )
    page = f"/admin/budgets/process/{process.pk}/pabulib/"
    hulme = budget_of(process, council.hulme)
    html = assert_page(officer.post(page, {"budget": hulme.pk, "file": upload(text)}),
                       heading="Import a Pabulib file: " + process.title)  # fmt: skip
    assert "There is a problem" in html and message in html
    _nothing_changed(process, hulme, 50_000)

    broken = tmp_path / "limits.pb"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("pabulib_import", str(broken), "--process", "replay", "--budget", "citywide")
    assert str(refused.value) == message
    _nothing_changed(process, budget_of(process))
