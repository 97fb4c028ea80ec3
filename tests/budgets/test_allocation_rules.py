"""Greedy and equal shares on an election worked by hand, with the figures behind each project's
outcome and the words residents read, and ties broken by votes, then cost, then ballot order.

The election: £100 to share, ten voters. Six choose A (£60) and B (£30); four choose C (£40) and
D (£20). Each voter's equal share is £10.
- Greedy: A and B have 6 votes each, B is cheaper so goes first (£30, £70 left), then A (£60,
  £10 left); D (£20) and C (£40) no longer fit.
- Equal shares: A and B tie at a price of 1/6 per pound (six voters share each); B is cheaper
  and wins; its six voters pay £5 each, keeping £5. A now needs £60 from £30 and is out. C and D
  tie at 1/4 (four voters); D is cheaper; its voters pay £5 each. C needs £40 from £20: out.
  B and D are funded, £50 is left.
- Completed by greedy: A (£60) does not fit in £50; C (£40) does, leaving £10.
- Completed by raising the budget: at 150% of the budget (a share of £15) A and C become just
  affordable and all four are funded, £150 > £100: so the result is that of the step before
  (149%), B and D, where C's voters had £39.60 of the £40 it costs.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.allocation import Completion, Election, Method, Project, Reason, equal_shares, greedy
from budgets.allocation.rules import tie_order
from budgets.allocation.wording import explain, summary


@pytest.fixture
def election() -> Election:
    projects = [
        Project(id="A", cost=60, name="Skate park"),
        Project(id="B", cost=30, name="Benches"),
        Project(id="C", cost=40, name="Library books"),
        Project(id="D", cost=20, name="Bulb planting"),
    ]
    ballots = [["A", "B"]] * 6 + [["C", "D"]] * 4
    return Election.from_ballots(projects=projects, budget=100, ballots=ballots)


def test_greedy_funds_in_vote_order_cheaper_first_on_a_tie(election):
    result = greedy(election)
    assert result.method is Method.GREEDY
    assert result.funded == ("B", "A")
    assert (result.spent, result.left) == (90, 10)
    a, b, c, d = result.projects
    assert (b.funded, b.reason, b.position, b.left_before, b.votes) == (
        True, Reason.FITTED, 1, 100, 6,
    )  # fmt: skip
    assert (a.funded, a.position, a.left_before) == (True, 2, 70)
    assert (d.funded, d.reason, d.left_before) == (False, Reason.TOO_EXPENSIVE, 10)
    assert (c.funded, c.reason, c.left_before) == (False, Reason.TOO_EXPENSIVE, 10)
    assert explain(b) == "Funded: 6 votes, and its cost of £30 fitted in the £100 left."
    assert explain(d) == (
        "Not funded: 4 votes, but it costs £20, £10 more than the £10 left when its turn came."
    )


def test_equal_shares_alone_says_who_paid_and_what_was_short(election):
    result = equal_shares(election, completion=Completion.NONE)
    assert result.funded == ("B", "D")
    assert (result.spent, result.left, result.voter_share) == (50, 50, Decimal("10.00"))
    a, b, c, d = result.projects
    assert (b.reason, b.position, b.share, b.payers, b.payers_all_left) == (
        Reason.SHARED, 1, Decimal("5.00"), 6, 0,
    )  # fmt: skip
    assert (d.reason, d.position, d.share, d.payers) == (Reason.SHARED, 2, Decimal("5.00"), 4)
    assert (a.reason, a.shares_left) == (Reason.SHARES_SHORT, Decimal("30.00"))
    assert (c.reason, c.shares_left) == (Reason.SHARES_SHORT, Decimal("20.00"))
    assert explain(b) == "Funded: paid for by the equal shares of its 6 voters, £5 each."
    assert explain(a) == (
        "Not funded: its voters (6 votes) had £30 left of their equal shares between them, and "
        "it costs £60."
    )
    assert summary(result) == "£50 of £100 spent, £50 left. Each voter's equal share was £10."


def test_the_greedy_completion_spends_what_equal_shares_left(election):
    result = equal_shares(election, completion=Completion.GREEDY)
    assert result.method is Method.EQUAL_SHARES_GREEDY
    assert result.funded == ("B", "D", "C")
    assert (result.spent, result.left) == (90, 10)
    a, _b, c, _d = result.projects
    assert (c.reason, c.position, c.left_before) == (Reason.COMPLETED, 3, 50)
    assert (a.reason, a.left_before, a.shares_left) == (
        Reason.TOO_EXPENSIVE, 50, Decimal("30.00"),
    )  # fmt: skip
    assert explain(c) == (
        "Funded from the money equal shares left: 4 votes, and its cost of £40 fitted in the "
        "£50 left."
    )


def test_raising_the_budget_stops_before_the_step_that_would_overspend(election):
    result = equal_shares(election, completion=Completion.RAISED_BUDGET)
    assert result.method is Method.EQUAL_SHARES_RAISED
    assert result.funded == ("B", "D")
    assert (result.raises, result.raised_budget, result.voter_share) == (
        49, 149, Decimal("14.90"),
    )  # fmt: skip
    assert result.project("C").shares_left == Decimal("39.60")
    assert summary(result) == (
        "£50 of £100 spent, £50 left. Equal shares was worked out as if the budget were £149 "
        "(each voter's share £14.90): raised in steps of 1% until every project left out cost "
        "more than what was left, or one more step would have overspent the real budget."
    )


def test_a_capped_raise_stops_at_its_cap(election):
    result = equal_shares(election, completion=Completion.RAISED_BUDGET, max_raises=10)
    assert (result.funded, result.raises, result.raised_budget) == (("B", "D"), 10, 110)
    assert result.raises_capped
    assert summary(result).endswith(
        "or one more step would have overspent the real budget. Raising stopped at its limit "
        "of 10 steps."
    )
    assert not equal_shares(election, completion=Completion.RAISED_BUDGET).raises_capped


def test_voters_who_had_spent_part_of_their_share_pay_all_they_have_left():
    # Five voters, shares of £6. Four choose X (£20), so X costs each of them £5 (a price of
    # 1/4) and goes first. Y (£7) is chosen by two of them, who have £1 left, and by a fifth
    # with all £6: the two pay their last £1 and the fifth pays £5.
    projects = [Project(id="X", cost=20), Project(id="Y", cost=7)]
    election = Election.from_ballots(
        projects=projects, budget=30, ballots=[["X", "Y"], ["X", "Y"], ["X"], ["X"], ["Y"]]
    )
    result = equal_shares(election, completion=Completion.NONE)
    assert result.funded == ("X", "Y")
    y = result.project("Y")
    assert (y.share, y.payers, y.payers_all_left) == (Decimal("5.00"), 3, 2)
    assert explain(y) == (
        "Funded: paid for by the equal shares of its 3 voters, £5 each. 2 of them paid all they "
        "had left, which was less."
    )


def test_ties_go_to_more_votes_then_lower_cost_then_ballot_order():
    projects = [
        Project(id="late", cost=10),
        Project(id="dear", cost=20),
        Project(id="cheap", cost=10),
        Project(id="popular", cost=50),
    ]
    election = Election.from_ballots(
        projects=projects,
        budget=90,
        ballots=[["late", "dear", "cheap", "popular"], ["popular"]],
    )
    assert [projects[p].id for p in tie_order(election)] == ["popular", "late", "cheap", "dear"]
    assert greedy(election).funded == ("popular", "late", "cheap", "dear")


def test_nobody_voting_funds_nothing_by_equal_shares_and_greedy_fills_by_cost():
    projects = [Project(id="1", cost=30), Project(id="2", cost=20)]
    election = Election.from_ballots(projects=projects, budget=40, ballots=[])
    alone = equal_shares(election, completion=Completion.NONE)
    assert alone.funded == ()
    assert alone.project("1").reason is Reason.NO_VOTES
    assert explain(alone.project("1")) == "Not funded: nobody voted for it."
    assert equal_shares(election).funded == ("2",)
    assert greedy(election).funded == ("2",)
