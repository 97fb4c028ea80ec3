"""Why a project was or was not funded, in plain English for residents and officers.

`budgets.allocation.rules` returns the figures (a `ProjectResult`); this module words them
through Django's translation functions, so a template can show `explain(result)` beside each
project, or word the figures itself.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext, ngettext

from budgets.allocation.election import Money
from budgets.allocation.rules import ProjectResult, Reason, Result


def pounds(amount: Money | Decimal) -> str:
    """£1,234 for a whole amount, £1,234.50 with pence."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    return f"£{amount.quantize(Decimal('0.01')):,}"


def votes_words(votes: int) -> str:
    return ngettext("%(count)s vote", "%(count)s votes", votes) % {"count": f"{votes:,}"}


def explain(result: ProjectResult) -> str:
    """One sentence: funded or not, and why, with the figures."""
    figures = {
        "votes": votes_words(result.votes),
        "cost": pounds(result.project.cost),
    }
    if result.left_before is not None:
        figures["left"] = pounds(result.left_before)
        figures["over"] = pounds(max(result.project.cost - result.left_before, 0))
    if result.shares_left is not None:
        figures["shares_left"] = pounds(result.shares_left)
    match result.reason:
        case Reason.FITTED:
            return (
                gettext("Funded: %(votes)s, and its cost of %(cost)s fitted in the %(left)s left.")
                % figures
            )
        case Reason.COMPLETED:
            return (
                gettext(
                    "Funded from the money equal shares left: %(votes)s, and its cost of %(cost)s "
                    "fitted in the %(left)s left."
                )
                % figures
            )
        case Reason.TOO_EXPENSIVE:
            return (
                gettext(
                    "Not funded: %(votes)s, but it costs %(cost)s, %(over)s more than the %(left)s "
                    "left when its turn came."
                )
                % figures
            )
        case Reason.SHARED:
            figures["share"] = pounds(result.share)
            sentence = ngettext(
                "Funded: paid for by the equal shares of its %(payers)s voter, %(share)s each.",
                "Funded: paid for by the equal shares of its %(payers)s voters, %(share)s each.",
                result.payers,
            ) % dict(figures, payers=f"{result.payers:,}")
            if result.payers_all_left:
                sentence += " " + ngettext(
                    "%(count)s of them paid all they had left, which was less.",
                    "%(count)s of them paid all they had left, which was less.",
                    result.payers_all_left,
                ) % {"count": f"{result.payers_all_left:,}"}
            return sentence
        case Reason.SHARES_SHORT:
            return (
                gettext(
                    "Not funded: its voters (%(votes)s) had %(shares_left)s left of their equal "
                    "shares between them, and it costs %(cost)s."
                )
                % figures
            )
        case Reason.NO_VOTES:
            return gettext("Not funded: nobody voted for it.")
    raise ValueError(f"unknown reason {result.reason!r}")


def summary(result: Result) -> str:
    """One sentence on the whole budget: how much was spent and how much is left."""
    figures = {
        "spent": pounds(result.spent),
        "budget": pounds(result.budget),
        "left": pounds(result.left),
    }
    sentence = gettext("%(spent)s of %(budget)s spent, %(left)s left.") % figures
    if result.raised_budget is not None and result.raises:
        sentence += " " + gettext(
            "Equal shares was worked out as if the budget were %(raised)s (each voter's share "
            "%(share)s): raised in steps of 1%% until every project left out cost more than "
            "what was left, or one more step would have overspent the real budget."
        ) % {"raised": pounds(result.raised_budget), "share": pounds(result.voter_share)}
        if result.raises_capped:
            sentence += " " + ngettext(
                "Raising stopped at its limit of %(count)s step.",
                "Raising stopped at its limit of %(count)s steps.",
                result.raises,
            ) % {"count": f"{result.raises:,}"}
    elif result.voter_share is not None:
        sentence += " " + gettext("Each voter's equal share was %(share)s.") % {
            "share": pounds(result.voter_share)
        }
    return sentence
