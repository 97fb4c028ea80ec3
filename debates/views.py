"""Debates' public pages: the list of debates and a debate's page (the question, the state in
words, the background and the consultation it informs).

Every rule is in debates.services; these views read the request and draw the answer with plain
forms, so that everything works without JavaScript. Each page keeps to a fixed number of queries
whatever it lists.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from civic import open_now
from civic.formatting import markdown_to_html, when
from civic.pagecache import shared_page
from civic.pagination import paginate
from civic.selectors import published_or_run_by
from debates.forms import DebateFilterForm
from debates.models import Debate

PER_PAGE = 20
Stage = Debate.Stage
STAGE_TAGS = {
    Stage.DRAFT: "govuk-tag--grey",
    Stage.UPCOMING: "govuk-tag--grey",
    Stage.OPEN: "govuk-tag--green",
    Stage.CLOSED: "govuk-tag--purple",
}


def state_words(debate: Debate, now) -> str:
    """What residents can do in the debate now, and until when, in a sentence."""
    if debate.status == Debate.Status.DRAFT:
        return _("This debate is a draft: only the council's staff can see it.")
    phase = Debate.SCHEDULE.at(debate, now)
    if phase.key == Stage.UPCOMING:
        if phase.until:
            return _("This debate opens on %(date)s.") % {"date": when(phase.until)}
        return _("The dates of this debate are not set yet.")
    if phase.key == Stage.OPEN:
        if phase.until:
            return _("This debate is open until %(date)s.") % {"date": when(phase.until)}
        return _("This debate is open.")
    return _("This debate closed on %(date)s.") % {"date": when(phase.since)}


def _describe(debate: Debate, now) -> Debate:
    debate.current_stage = debate.stage_at(now)
    debate.stage_label = Stage(debate.current_stage).label
    debate.stage_tag = STAGE_TAGS[debate.current_stage]
    debate.state_words = state_words(debate, now)
    return debate


def _debate(request: HttpRequest, slug: str) -> Debate:
    debate = (
        published_or_run_by(
            Debate.objects.select_related("department__organisation", "consultation"),
            request.user,
            published=Q(status=Debate.Status.PUBLISHED),
        )
        .filter(slug=slug)
        .first()
    )
    if debate is None:
        raise Http404(_("There is no debate here."))
    return debate


@require_safe
@shared_page
def debate_list(request: HttpRequest) -> HttpResponse:
    """Two queries whatever it lists: the count and the page."""
    now = timezone.now()
    form = DebateFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    chosen = getattr(form, "cleaned_data", {})
    debates = Debate.objects.published().select_related("department__organisation")
    if chosen.get("stage"):
        debates = debates.in_stage(chosen["stage"], now)
    pages = paginate(request, debates.order_by("-opens_at", "-pk"), per_page=PER_PAGE)
    for debate in pages["page"].object_list:
        _describe(debate, now)
    return render(
        request,
        "debates/list.html",
        {
            "heading": _("Debates"),
            "form": form,
            **pages,
            "filtered": bool(form.is_bound and any(chosen.values())),
        },
    )


@require_safe
@shared_page
def debate_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One query: the debate with its department and consultation."""
    now = timezone.now()
    debate = _describe(_debate(request, slug), now)
    consultation = debate.consultation
    linked = None
    if consultation is not None and consultation.published_at is not None:
        linked = {
            "title": consultation.title,
            "url": reverse("consultations:detail", args=[consultation.slug]),
        }
    return render(
        request,
        "debates/debate.html",
        {
            "debate": debate,
            "background": markdown_to_html(debate.background),
            "consultation": linked,
        },
    )


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Debates open now, for the home page (one query)."""
    now = timezone.now()
    debates = (
        Debate.objects.open_at(now)
        .select_related("department__organisation")
        .order_by("closes_at", "-pk")
    )
    if organisation is not None:
        debates = debates.filter(department__organisation=organisation)
    return [
        open_now.OpenItem(
            title=debate.question,
            url=reverse("debates:debate", args=[debate.slug]),
            organisation=debate.department.organisation.name,
            summary=debate.summary,
            status=state_words(debate, now),
        )
        for debate in debates[:limit]
    ]
