"""A process's phase follows from its dates, says what it allows and until when, and is found
by the same rule in a query; the database keeps one budget per area; which budgets a voter may
vote in follows the process's rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from budgets.models import Budget, Process
from tests.budgets.conftest import PHASES, make_process
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
Stage = Process.Stage


def test_the_phase_moves_with_the_clock_and_says_what_it_allows_until_when(council, clock):
    process = make_process(council, Stage.UPCOMING, now=clock.now)
    expected = [
        (Stage.UPCOMING, set(), process.ideas_open_at),
        (Stage.IDEAS, {"propose", "support", "review"}, process.review_starts_at),
        (Stage.REVIEW, {"review"}, process.voting_opens_at),
        (Stage.VOTING, {"vote"}, process.voting_closes_at),
        (Stage.RESULTS, set(), process.implementation_starts_at),
        (Stage.IMPLEMENTATION, set(), None),
    ]
    for stage, allows, until in expected:
        phase = Process.SCHEDULE.at(process, clock.now)
        assert (phase.key, set(phase.allows), phase.until) == (stage, allows, until)
        assert process.stage_at(clock.now) == stage
        assert process.allows("propose", clock.now) is (stage == Stage.IDEAS)
        assert process.voting_closed(clock.now) is (stage in (Stage.RESULTS, Stage.IMPLEMENTATION))
        clock.advance(days=10)


def test_a_draft_is_a_draft_whatever_its_dates_and_allows_nothing(council, clock):
    process = make_process(council, Stage.IDEAS, now=clock.now, status=Process.Status.DRAFT)
    assert process.stage_at(clock.now) == Stage.DRAFT
    assert not process.allows("propose", clock.now)
    clock.advance(days=30)  # its voting would have closed by its dates
    assert process.stage_at(clock.now) == Stage.DRAFT and not process.voting_closed(clock.now)
    clock.advance(days=-30)
    assert list(Process.objects.in_stage(Stage.IDEAS, clock.now)) == []
    assert list(Process.objects.in_stage(Stage.DRAFT, clock.now)) == [process]


def test_each_stage_query_finds_exactly_the_processes_in_that_stage(council, clock):
    made = {
        stage: make_process(council, stage, now=clock.now) for stage in [Stage.UPCOMING, *PHASES]
    }
    for stage, process in made.items():
        assert process.stage_at(clock.now) == stage
        assert list(Process.objects.in_stage(stage, clock.now)) == [process]
    taking_part = set(Process.objects.taking_part_at(clock.now))
    assert taking_part == {made[Stage.IDEAS], made[Stage.VOTING]}


def test_a_phase_without_a_date_is_never_current(council, clock):
    process = make_process(council, Stage.IDEAS, now=clock.now, review_starts_at=None)
    clock.advance(days=15)  # past where review would have started; voting is still ahead
    assert process.stage_at(clock.now) == Stage.IDEAS


def test_the_database_keeps_one_budget_per_area_and_one_citywide_budget(council):
    process = make_process(council)
    for area in (None, council.ancoats):
        with pytest.raises(IntegrityError), transaction.atomic():
            Budget.objects.create(process=process, area=area, amount=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Budget.objects.create(
            process=process, area=AreaFactory(organisation=council.organisation), amount=0
        )
    assert process.budgets.count() == 3


@pytest.mark.parametrize(
    ("rule", "home", "chosen", "expected"),
    [
        (Process.Voters.OWN_AREA, "ancoats", None, ["Ancoats"]),
        (Process.Voters.OWN_AREA, None, None, []),
        (Process.Voters.OWN_AREA_AND_CITYWIDE, "ancoats", None, ["Ancoats", "Citywide"]),
        (Process.Voters.OWN_AREA_AND_CITYWIDE, None, None, []),
        (Process.Voters.ANY_ONE_AREA, "ancoats", "hulme", ["Hulme", "Citywide"]),
        (Process.Voters.ANY_ONE_AREA, "ancoats", None, ["Citywide"]),
        (Process.Voters.ANY_ONE_AREA, None, "hulme", []),
    ],
)
def test_a_voter_may_vote_in_the_budgets_the_process_rule_gives(
    council, rule, home, chosen, expected
):
    process = make_process(council, voters=rule)
    budgets = list(process.budgets.select_related("area"))
    areas = {"ancoats": council.ancoats, "hulme": council.hulme, None: None}
    open_to = process.budgets_open_to(budgets, home=areas[home], chosen=areas[chosen])
    assert [budget.name for budget in open_to] == expected


# One definition each ------------------------------------------------------------------------------

BUDGETS = Path(__file__).resolve().parents[2] / "budgets"


def _modules():
    for path in sorted(BUDGETS.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(BUDGETS.parent).as_posix(), ast.parse(path.read_text())


def test_voting_s_close_is_named_once_on_the_process():
    """The stages after voting closes are `Process.VOTING_CLOSED`; no module writes them out."""
    written = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                stages = {
                    element.attr for element in node.elts if isinstance(element, ast.Attribute)
                }
                if {"RESULTS", "IMPLEMENTATION"} <= stages:
                    written.append(f"{name}:{node.lineno}")
    assert written == ["budgets/models.py:" + str(_line_of("VOTING_CLOSED = "))]


def _line_of(text: str) -> int:
    lines = (BUDGETS / "models.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_pounds_are_written_by_one_function():
    """Money is worded by `budgets.allocation.wording.pounds` ("£1,234"); no module defines its
    own or writes "£" before a formatted number."""
    defined, written = [], []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "pounds":
                defined.append(name)
            if isinstance(node, ast.JoinedStr):
                for before, value in zip(node.values, node.values[1:], strict=False):
                    if (
                        isinstance(before, ast.Constant)
                        and str(before.value).endswith("£")
                        and isinstance(value, ast.FormattedValue)
                        and name != "budgets/allocation/wording.py"
                    ):
                        written.append(f"{name}:{node.lineno}")
    assert defined == ["budgets/allocation/wording.py"]
    assert written == []
