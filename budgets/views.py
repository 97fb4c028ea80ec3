"""Participatory budgets' public pages: the list of processes, a process's page (what can be done
now and until when, its budgets, and its ideas by category, area and status), proposing an idea,
an idea's page, and supporting it.

Every rule is in budgets.services; these views read the request and draw the answer with plain
forms (POST, redirect, GET), so that everything works without JavaScript. The list and a
process's page keep to a fixed number of queries whatever they list.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from budgets import services
from budgets.forms import IdeaFilterForm, ProcessFilterForm, ProposeForm, SupportForm
from budgets.models import Budget, Category, Idea, Process, Support, citywide_first
from civic import open_now
from civic.form_guard import Refused, refusal_status
from civic.formatting import day, markdown_to_html, when
from civic.pagecache import shared_page
from civic.pagination import paginate
from civic.ratelimits import client_ip
from civic.selectors import published_or_run_by

PER_PAGE = 20
Stage = Process.Stage
Status = Idea.Status
STAGE_TAGS = {
    Stage.DRAFT: "govuk-tag--grey",
    Stage.UPCOMING: "govuk-tag--grey",
    Stage.IDEAS: "govuk-tag--green",
    Stage.REVIEW: "govuk-tag--yellow",
    Stage.VOTING: "govuk-tag--blue",
    Stage.RESULTS: "govuk-tag--purple",
    Stage.IMPLEMENTATION: "govuk-tag--purple",
}
STATUS_TAGS = {
    Status.PROPOSED: "govuk-tag--grey",
    Status.FEASIBLE: "govuk-tag--green",
    Status.NOT_FEASIBLE: "govuk-tag--red",
    Status.ON_BALLOT: "govuk-tag--blue",
    Status.MERGED: "govuk-tag--grey",
    Status.WITHDRAWN: "govuk-tag--grey",
}


# Helpers ----------------------------------------------------------------------------------------


def phase_words(process: Process, now) -> str:
    """What residents can do in the process now, and until when, in one or two sentences."""
    if process.status == Process.Status.DRAFT:
        return _("This process is a draft: only the council's staff can see it.")
    phase = Process.SCHEDULE.at(process, now)
    until = when(phase.until) if phase.until else ""
    words = {
        Stage.UPCOMING: (
            _("Ideas can be proposed from %(until)s.")
            if until
            else _("The dates of this process are not set yet.")
        ),
        Stage.IDEAS: (
            _("You can propose ideas and support other people's ideas until %(until)s.")
            if until
            else _("You can propose ideas and support other people's ideas.")
        ),
        Stage.REVIEW: (
            _(
                "The council is checking which ideas can be done and what they would cost. "
                "Voting opens on %(until)s."
            )
            if until
            else _("The council is checking which ideas can be done and what they would cost.")
        ),
        Stage.VOTING: (_("Voting is open until %(until)s.") if until else _("Voting is open.")),
        Stage.RESULTS: _("Voting has closed. The results are published here."),
        Stage.IMPLEMENTATION: _("The council is building the winning projects."),
    }[phase.key]
    return words % {"until": until} if "%(until)s" in words else words


def _describe(process: Process, now) -> Process:
    process.current_stage = process.stage_at(now)
    process.stage_label = Stage(process.current_stage).label
    process.stage_tag = STAGE_TAGS[process.current_stage]
    process.phase_words = phase_words(process, now)
    return process


def _describe_idea(idea: Idea) -> Idea:
    idea.status_tag = STATUS_TAGS.get(idea.status, "")
    return idea


def _visible_processes(request: HttpRequest):
    return published_or_run_by(
        Process.objects.select_related("department__organisation"),
        request.user,
        published=Q(status=Process.Status.PUBLISHED),
    )


def _process(request: HttpRequest, slug: str) -> Process:
    process = _visible_processes(request).filter(slug=slug).first()
    if process is None:
        raise Http404(_("There is no budget process here."))
    return process


def _idea(request: HttpRequest, process: Process, idea_id: int) -> Idea:
    idea = (
        Idea.objects.with_support_count()
        .select_related("budget__area", "category", "merged_into")
        .filter(process=process, pk=idea_id)
        .first()
    )
    if idea is None:
        raise Http404(_("There is no idea here."))
    idea.process = process
    return _describe_idea(idea)


# The list of processes --------------------------------------------------------------------------


@require_safe
@shared_page
def process_list(request: HttpRequest) -> HttpResponse:
    """Two queries whatever it lists: the count and the page."""
    now = timezone.now()
    form = ProcessFilterForm(request.GET or None)
    chosen = form.chosen
    processes = Process.objects.published().select_related("department__organisation")
    if chosen.get("stage"):
        processes = processes.in_stage(chosen["stage"], now)
    pages = paginate(request, processes.order_by("-ideas_open_at", "-pk"), per_page=PER_PAGE)
    for process in pages["page"].object_list:
        _describe(process, now)
    return render(
        request,
        "budgets/list.html",
        {
            "heading": _("Participatory budgets"),
            "form": form,
            **pages,
            "filtered": form.filtered,
        },
    )


# A process's page -------------------------------------------------------------------------------


@require_safe
@shared_page
def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Five queries whatever it lists: the process, its budgets, its categories, the count of
    ideas and the page of them."""
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    budgets = list(Budget.objects.filter(process=process).select_related("area"))
    categories = list(Category.objects.filter(process=process))
    form = IdeaFilterForm(request.GET or None, budgets=budgets, categories=categories)
    chosen = form.chosen
    ideas = (
        Idea.objects.filter(process=process)
        .with_support_count()
        .select_related("budget__area", "category")
    )
    if chosen.get("category"):
        ideas = ideas.filter(category_id=chosen["category"])
    if chosen.get("budget"):
        ideas = ideas.filter(budget_id=chosen["budget"])
    if chosen.get("status"):
        ideas = ideas.filter(status=chosen["status"])
    pages = paginate(request, ideas.order_by("-created_at", "-pk"), per_page=PER_PAGE)
    for idea in pages["page"].object_list:
        _describe_idea(idea)
    return render(
        request,
        "budgets/process.html",
        {
            "heading": process.title,
            "process": process,
            "description": markdown_to_html(process.description),
            "budgets": citywide_first(budgets),
            "dates": _dates(process),
            "can_propose": process.allows("propose", now),
            "can_vote": process.allows("vote", now),  # budgets.views_voting
            "shows_projects": process.current_stage in Process.VOTING_CLOSED,
            "form": form,
            **pages,
            "filtered": form.filtered,
            "Method": Process.Method,
        },
    )


def _dates(process: Process) -> list[tuple[str, str]]:
    """Each planned phase and the day it starts, for the page's summary list."""
    return [
        (Stage(phase.key).label, day(getattr(process, phase.starts)))
        for phase in Process.SCHEDULE.phases[1:]
        if getattr(process, phase.starts) is not None
    ]


# Proposing ---------------------------------------------------------------------------------------


def _propose_form(process: Process, data=None, files=None) -> ProposeForm:
    return ProposeForm(
        data,
        files,
        process=process,
        budgets=list(Budget.objects.filter(process=process).select_related("area")),
        categories=list(Category.objects.filter(process=process)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    refusal = None
    if request.method == "POST":
        form = _propose_form(process, request.POST, request.FILES)
        if form.is_valid():
            try:
                idea = services.idea_propose(
                    user=request.user,
                    process=process,
                    honeypot=request.POST.get("website", ""),
                    token=request.POST.get("started", ""),
                    ip=client_ip(request),
                    now=now,
                    **form.service_arguments(),
                )
            except Refused as error:
                refusal = error
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Your idea is published. We have e-mailed you about what happens next."),
                )
                return redirect("budgets:idea", process.slug, idea.pk)
    else:
        form = _propose_form(process)
    status = refusal_status(refusal)
    return render(
        request,
        "budgets/propose.html",
        {
            "process": process,
            "form": form,
            "refusal": refusal,
            "open": process.allows("propose", now),
            "token": services.propose_token(),
        },
        status=status,
    )


# An idea's page and supporting it ---------------------------------------------------------------


@require_safe
@shared_page
def idea_detail(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    idea = _idea(request, process, idea_id)
    supporting = (
        request.user.is_authenticated
        and Support.objects.filter(idea=idea, user=request.user).exists()
    )
    from budgets.views_delivery import progress  # its module imports this one

    return render(
        request,
        "budgets/idea.html",
        {
            "process": process,
            "idea": idea,
            **progress(idea, now),
            "supporting": supporting,
            "can_support": process.allows("support", now)
            and idea.status in (Status.PROPOSED, Status.FEASIBLE),
            # The proposer may withdraw it until voting opens, while its status allows.
            "can_withdraw": request.user.is_authenticated
            and idea.proposer_id == request.user.pk
            and Idea.lifecycle.allows(idea, Status.WITHDRAWN)
            and process.allows("review", now),
            "Status": Status,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def idea_support(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    """A page with one button (and the choice to hear how it goes): supporting is a POST, so
    that it works without JavaScript and no link followed by a scanner supports anything."""
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    idea = _idea(request, process, idea_id)
    refusal = None
    form = SupportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_support(
                user=request.user,
                idea=idea,
                hears_progress=form.cleaned_data["hears_progress"],
                now=now,
            )
        except Refused as error:
            refusal = error
        else:
            messages.success(request, _("You support this idea. Thank you."))
            return redirect("budgets:idea", process.slug, idea.pk)
    return render(
        request,
        "budgets/support.html",
        {
            "process": process,
            "idea": idea,
            "form": form,
            "refusal": refusal,
            "supporting": Support.objects.filter(idea=idea, user=request.user).exists(),
            "can_support": process.allows("support", now)
            and idea.status in (Status.PROPOSED, Status.FEASIBLE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def idea_withdraw(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    """Its proposer withdraws their idea, after a page that asks them to confirm."""
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    idea = _idea(request, process, idea_id)
    if idea.proposer_id != request.user.pk:
        raise Http404(_("There is no idea here."))
    refusal = None
    if request.method == "POST":
        try:
            services.idea_withdraw(actor=request.user, idea=idea, now=now)
        except ValidationError as error:  # a Refused (the phase is over) or the lifecycle's
            refusal = error
        else:
            messages.success(request, _("Your idea is withdrawn."))
            return redirect("budgets:idea", process.slug, idea.pk)
    return render(
        request,
        "budgets/withdraw.html",
        {
            "process": process,
            "idea": idea,
            "refusal": refusal,
            "can_withdraw": Idea.lifecycle.allows(idea, Status.WITHDRAWN)
            and process.allows("review", now),
        },
    )


@require_safe
def idea_image(request: HttpRequest, slug: str, idea_id: int) -> FileResponse:
    process = _process(request, slug)
    idea = Idea.objects.filter(process=process, pk=idea_id).exclude(image="").first()
    return image_response(idea.image if idea else None, missing=_("This idea has no picture."))


def image_response(image: FieldFile | None, *, missing: str) -> FileResponse:
    """A stored PNG or JPEG (an idea's picture, a milestone's photo) as a public file, or 404
    saying `missing` when there is none, it is of another type, or its file is gone."""
    if not image:
        raise Http404(missing)
    content_type, _encoding = mimetypes.guess_type(image.name)
    if content_type not in ("image/png", "image/jpeg"):
        raise Http404(missing)
    try:
        handle = image.open("rb")
    except FileNotFoundError as error:
        raise Http404(missing) from error
    response = FileResponse(handle, content_type=content_type)
    # Public, and gone within minutes of an erasure or a withdrawal from shared caches.
    response["Cache-Control"] = "public, max-age=300"
    return response


# The home page ----------------------------------------------------------------------------------


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Processes taking ideas or votes now, for the home page (one query)."""
    now = timezone.now()
    processes = (
        Process.objects.taking_part_at(now)
        .select_related("department__organisation")
        .order_by("-ideas_open_at", "-pk")
    )
    if organisation is not None:
        processes = processes.filter(department__organisation=organisation)
    return [
        open_now.OpenItem(
            title=process.title,
            url=reverse("budgets:process", args=[process.slug]),
            organisation=process.department.organisation.name,
            summary=process.summary,
            status=phase_words(process, now),
        )
        for process in processes[:limit]
    ]
