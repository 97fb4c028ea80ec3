"""The public pages of building the winning projects: the list of a process's projects with their
status and latest percentage, filtered by status and area with a plain GET form (no map, no
JavaScript); the "Progress" section of a winning idea's page (its status, the reason if it was
cancelled, and its milestones with their photos); and a milestone's photo file.

Shown once voting has closed (the results and implementation phases). The list keeps to a fixed
number of queries whatever it lists.
"""

from __future__ import annotations

from django import forms
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from budgets.models import Budget, Idea, Milestone, Process, Project, citywide_first
from budgets.views import PER_PAGE, _describe, _process, image_response
from civic.forms import FilterForm, all_and
from civic.pagecache import shared_page
from civic.pagination import paginate

Status = Project.Status
PROJECT_TAGS = {
    Status.PLANNED: "govuk-tag--grey",
    Status.IN_PROGRESS: "govuk-tag--blue",
    Status.DONE: "govuk-tag--green",
    Status.CANCELLED: "govuk-tag--red",
}


class ProjectFilterForm(FilterForm):
    """A process's projects by status and area."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a status from the list")},
    )
    budget = forms.TypedChoiceField(
        label=gettext_lazy("Area"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose an area from the list")},
    )

    def __init__(self, data, *, budgets: list[Budget]):
        super().__init__(data)
        self.fields["status"].choices = all_and(Status.choices)
        self.fields["budget"].choices = all_and(
            (budget.pk, budget.name) for budget in citywide_first(budgets)
        )


def _latest(field: str) -> Subquery:
    latest = Milestone.objects.filter(project=OuterRef("pk")).order_by("-date", "-pk")
    return Subquery(latest.values(field)[:1])


def shows_projects(process: Process, now=None) -> bool:
    return process.voting_closed(now or timezone.now())


@require_safe
@shared_page
def project_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Four queries whatever it lists: the process, its budgets, the count and the page."""
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    budgets = list(Budget.objects.filter(process=process).select_related("area"))
    form = ProjectFilterForm(request.GET or None, budgets=budgets)
    chosen = form.chosen
    projects = Project.objects.none()
    if shows_projects(process, now):
        projects = (
            Project.objects.filter(idea__process=process)
            .select_related("idea__budget__area", "idea__category")
            .annotate(latest_percent=_latest("percent_complete"), latest_date=_latest("date"))
        )
        if chosen.get("status"):
            projects = projects.filter(status=chosen["status"])
        if chosen.get("budget"):
            projects = projects.filter(idea__budget_id=chosen["budget"])
    pages = paginate(request, projects.order_by("idea__title", "pk"), per_page=PER_PAGE)
    for project in pages["page"].object_list:
        project.status_tag = PROJECT_TAGS[project.status]
    return render(
        request,
        "budgets/projects.html",
        {
            "heading": _("Winning projects: %(title)s") % {"title": process.title},
            "process": process,
            "shown": shows_projects(process, now),
            "form": form,
            **pages,
            "filtered": form.filtered,
        },
    )


def progress(idea: Idea, now=None) -> dict:
    """What the idea's page shows of its building: {"project": None} unless it won and voting
    has closed. Two queries: the project and its milestones."""
    if not shows_projects(idea.process, now):
        return {"project": None}
    project = Project.objects.filter(idea=idea).first()
    if project is None:
        return {"project": None}
    project.status_tag = PROJECT_TAGS[project.status]
    milestones = list(project.milestones.order_by("-date", "-pk"))
    return {
        "project": project,
        "milestones": milestones,
        "latest_percent": milestones[0].percent_complete if milestones else None,
    }


@require_safe
def milestone_photo(request: HttpRequest, slug: str, idea_id: int, milestone_id: int):
    process = _process(request, slug)
    milestone = (
        Milestone.objects.filter(
            pk=milestone_id, project__idea_id=idea_id, project__idea__process=process
        )
        .exclude(photo="")
        .first()
    )
    return image_response(
        milestone.photo if milestone else None, missing=_("This milestone has no photo.")
    )
