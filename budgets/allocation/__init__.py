"""A budget's results, worked out without the database: the election held as arrays, greedy by
votes, the Method of Equal Shares with its two completions, and the Pabulib format.

    election = Election.from_ballots(projects=projects, budget=50_000, ballots=ballots)
    greedy(election).funded                                   # project ids, in funding order
    equal_shares(election, completion=Completion.GREEDY)      # or RAISED_BUDGET, or NONE
    write_pabulib(election, out)  /  read_pabulib(lines)

How each method works, how ties are broken and how this matches pabutools is in `rules`; the
words for each project's outcome are in `wording` (which needs Django's translations).
"""

from budgets.allocation.election import Election, Money, Project, money
from budgets.allocation.pabulib import (
    PabulibError,
    pabulib_text,
    read_pabulib,
    read_pabulib_text,
    write_pabulib,
)
from budgets.allocation.rules import (
    Completion,
    Method,
    ProjectResult,
    Reason,
    Result,
    equal_shares,
    greedy,
    tie_order,
)

__all__ = [
    "Completion",
    "Election",
    "Method",
    "Money",
    "PabulibError",
    "Project",
    "ProjectResult",
    "Reason",
    "Result",
    "equal_shares",
    "greedy",
    "money",
    "pabulib_text",
    "read_pabulib",
    "read_pabulib_text",
    "tie_order",
    "write_pabulib",
]
