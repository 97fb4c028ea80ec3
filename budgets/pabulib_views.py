"""A budget's election as a Pabulib `.pb` file to download, from the results page, once the
process is published and its voting has closed; before that, and for a budget of another
process, there is nothing here (404). The file never names a voter (budgets.pabulib_io)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from budgets import pabulib_io
from budgets.models import Budget, Process


@require_safe
def election_pabulib(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = (
        Process.objects.published()
        .select_related("department__organisation")
        .filter(slug=slug)
        .first()
    )
    if process is None or not pabulib_io.exportable(process):
        raise Http404(_("There are no results to download here yet."))
    budget = Budget.objects.select_related("area").filter(process=process, pk=budget_id).first()
    if budget is None:
        raise Http404(_("There is no budget here."))
    response = HttpResponse(
        pabulib_io.election_file(process, budget), content_type="text/plain; charset=utf-8"
    )
    filename = pabulib_io.election_filename(process, budget)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
