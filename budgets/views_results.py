"""A process's results for residents: `/budgets/<process>/results/` and the same figures as data
at `/budgets/<process>/results.json` (the API's serializer, budgets.api).

Shown in the results and building phases once a worker has worked them out (budgets.results);
before that the page says when they will come. Per budget: the projects funded under the method
the process chose, with votes and cost, and what is left; both methods side by side with each
project's reason in words; the votes by channel. For the whole process: the share of the money
going to each area (a chart drawn on the server, with the figures as text and in a table) and the
turnout in each ward per 1,000 residents.

A fixed number of queries whatever the number of budgets and projects: the process, the stored
results, and their ideas.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from budgets.api import ProcessResultsSerializer
from budgets.models import Process
from budgets.results import BudgetLines, process_results
from budgets.views import _describe, _process
from civic.formatting import when
from civic.pagecache import shared_page

BAR_STEP, BAR_HEIGHT = 44, 16


def results_shown(process: Process, now=None) -> bool:
    """Whether the process's phase shows results (they may still be being worked out)."""
    return process.voting_closed(now or timezone.now())


def _percent(part, whole) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def area_shares(results: list[BudgetLines]) -> dict:
    """The money funded under the chosen method in each budget's area, and its share of all the
    money funded in the process, with the rows of the bar chart."""
    spent = [(lines.budget.name, lines.chosen.spent) for lines in results]
    total = sum(amount for _name, amount in spent)
    rows = []
    for index, (name, amount) in enumerate(spent):
        share = _percent(amount, total)
        rows.append(
            {
                "name": name,
                "spent": amount,
                "share": share,
                # The bar's width leaves room for its figure at the end.
                "width": (share * Decimal("0.8")).quantize(Decimal("0.1")),
                "text_y": index * BAR_STEP + 16,
                "bar_y": index * BAR_STEP + 22,
                "value_y": index * BAR_STEP + 36,
            }
        )
    return {
        "rows": rows,
        "total": total,
        "height": len(rows) * BAR_STEP,
        "bar_height": BAR_HEIGHT,
    }


def ward_turnout(results: list[BudgetLines]) -> list[dict]:
    """Each ward's budget: its voters, the ward's residents and voters per 1,000 residents (None
    when the population is not known)."""
    rows = []
    for lines in results:
        area = lines.budget.area
        if area is None:
            continue
        per_thousand = None
        if area.population:
            per_thousand = (Decimal(lines.voters) * 1000 / area.population).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
        rows.append(
            {
                "name": area.name,
                "voters": lines.voters,
                "population": area.population,
                "per_thousand": per_thousand,
            }
        )
    return rows


@require_safe
@shared_page
def results_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Three queries: the process, its stored results and their ideas."""
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    shown = results_shown(process, now)
    results = process_results(process) if shown else []
    heading = _("Results: %(title)s") % {"title": process.title}
    return render(
        request,
        "budgets/results.html",
        {
            "heading": heading,
            "process": process,
            "results": results,
            "shown": shown,
            "closes": when(process.voting_closes_at) if process.voting_closes_at else "",
            "chosen_label": Process.Method(process.method).label,
            "equal_shares_chosen": process.method == Process.Method.EQUAL_SHARES,
            "shares": area_shares(results),
            "turnout": ward_turnout(results),
            "computed_at": when(results[0].stored.computed_at) if results else "",
        },
    )


JSON_CACHE_SECONDS = 10


@require_safe
def results_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The same figures as the API's /api/v1/budget-results/<process>/ (budgets.api): budgets,
    projects, costs, votes, the winners under each method and turnout; never a voter. Open
    data, kept in the cache for a few seconds (a draft is never served)."""
    key = f"budgets:results-json:{slug}:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        process = (
            Process.objects.published()
            .select_related("department__organisation")
            .filter(slug=slug)
            .first()
        )
        if process is None:
            cached = ({"detail": _("There is no budget process here.")}, 404)
        else:
            data = ProcessResultsSerializer(process, context={"request": request}).data
            cached = (data, 200)
        cache.set(key, cached, JSON_CACHE_SECONDS)
    data, status = cached
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    response["Cache-Control"] = f"public, max-age={JSON_CACHE_SECONDS}"
    return response
