"""A process's results in the admin: a page at /admin/budgets/process/<id>/results/ that says
when each budget's result was worked out, links to the public page, and has a button to work
them out again from the ballots (after paper ballots were keyed in late, say) for officers of
the process's department and their organisation's admins. The worker works them out by itself
once voting closes (budgets.results); working them out again is audited.

    ProcessResultsMixin  the results page, for ProcessAdmin (before ProcessActionsMixin)
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.delivery import no_longer_winning
from budgets.models import BudgetResult
from budgets.results import RECOMPUTE, funded_ideas, results_recompute
from civic.admin_base import AdminPagesMixin


class ProcessResultsMixin(AdminPagesMixin):
    def admin_pages(self):
        return [
            *super().admin_pages(),
            self.page_path("<int:object_id>/results/", self.results_view, "results"),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        process = self.get_object(request, object_id)
        if process is not None and request.user.has_perm(RECOMPUTE, process):
            extra["results_url"] = reverse(
                f"{self.admin_site.name}:budgets_process_results", args=[process.pk]
            )
        return super().change_view(request, object_id, form_url, extra)

    def results_view(self, request, object_id):
        process = self.page_object(request, object_id, permission=RECOMPUTE)
        change_url = reverse(f"{self.admin_site.name}:budgets_process_change", args=[process.pk])
        results_url = reverse(f"{self.admin_site.name}:budgets_process_results", args=[process.pk])
        now = timezone.now()
        closed = process.voting_closed(now)
        problem = ""
        if request.method == "POST":
            try:
                computed = results_recompute(actor=request.user, process=process, now=now)
            except ValidationError as error:
                problem = " ".join(error.messages)
            else:
                messages.success(
                    request,
                    _("The results of %(count)s budgets are worked out again from the ballots.")
                    % {"count": computed},
                )
                return redirect(results_url)
        stored = list(BudgetResult.objects.of_process(process).select_related("budget__area"))
        # Projects under way whose idea lost at the latest count: the officer decides on each.
        kept = no_longer_winning(process, funded_ideas(process)) if stored else []
        return self.page_response(
            request,
            "admin/budgets/process/results.html",
            {
                "title": _("Results: %(title)s") % {"title": process.title},
                "process": process,
                "original": process,
                "change_url": change_url,
                "public_url": reverse("budgets:results", args=[process.slug]),
                "stored": sorted(
                    stored, key=lambda row: (row.budget.area_id is not None, row.budget.name)
                ),
                "closed": closed,
                "problem": problem,
                "no_longer_winning": [
                    {
                        "project": project,
                        "url": reverse(
                            f"{self.admin_site.name}:budgets_project_change", args=[project.pk]
                        ),
                    }
                    for project in kept
                ],
            },
        )
