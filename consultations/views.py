"""The consultation hub and a consultation's page, for residents.

Both pages read a fixed number of queries whatever they list: the hub's filters, one count and
one page of consultations with their areas; a consultation with its documents, and when the
outcome is out, its decisions with the figures behind them counted in the database.
Drafts are not public: they answer 404 here, and officers preview them in the admin.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django import forms
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from civic import open_now, search
from civic.formatting import markdown_to_html, when
from civic.forms import FilterForm, all_and, by_council
from civic.models import Area, Department
from civic.pagecache import shared_page
from civic.pagination import paginate
from civic.selectors import areas_near
from consultations.models import (
    Answer,
    AnswerChoice,
    Consultation,
    Decision,
    Document,
    Question,
    Response,
    Theme,
    Topic,
)

PER_PAGE = 10
Stage = Consultation.Stage
# The stages a resident can filter by, in the order the hub lists them.
PUBLIC_STAGES = [
    (Stage.OPEN, gettext_lazy("Open")),
    (Stage.SCHEDULED, gettext_lazy("Upcoming")),
    (Stage.CLOSED, gettext_lazy("Closed")),
    (Stage.OUTCOME, gettext_lazy("Outcome published")),
]
STAGE_TAGS = {
    Stage.OPEN: "govuk-tag--green",
    Stage.SCHEDULED: "",
    Stage.CLOSED: "govuk-tag--grey",
    Stage.OUTCOME: "govuk-tag--purple",
}


def state_in_words(consultation: Consultation, stage: str) -> list[str]:
    """What the consultation's dates mean now, a sentence each."""
    opens, closes = when(consultation.opens_at), when(consultation.closes_at)
    if stage == Stage.SCHEDULED:
        return [
            _("Opens on %(when)s") % {"when": opens},
            _("Closes on %(when)s") % {"when": closes},
        ]
    if stage == Stage.OPEN:
        return [_("Closes on %(when)s") % {"when": closes}]
    if stage == Stage.OUTCOME:
        return [
            _("Closed on %(when)s") % {"when": closes},
            _("Outcome published on %(date)s")
            % {"date": date_filter(timezone.localtime(consultation.outcome_published_at), "j F Y")},
        ]
    return [_("Closed on %(when)s") % {"when": closes}]


def _describe(consultation: Consultation, now) -> Consultation:
    consultation.current_stage = consultation.stage_at(now)
    consultation.stage_label = Stage(consultation.current_stage).label
    consultation.stage_tag = STAGE_TAGS.get(consultation.current_stage, "")
    consultation.state_lines = state_in_words(consultation, consultation.current_stage)
    return consultation


# The hub ----------------------------------------------------------------------------------------


class HubFilterForm(FilterForm):
    """The hub's filters."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=PUBLIC_STAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Choose statuses from the list")},
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("Department"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose a department from the list")},
    )
    area = forms.TypedChoiceField(
        label=gettext_lazy("Area"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose an area from the list")},
    )
    topic = forms.TypedChoiceField(
        label=gettext_lazy("Topic"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose a topic from the list")},
    )
    postcode = forms.CharField(
        label=gettext_lazy("Near me: your postcode"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("Shows consultations about the ward your postcode is in."),
    )

    def __init__(self, data, *, departments, areas, topics):
        super().__init__(data)
        organisations = {row.organisation_id for row in [*departments, *areas, *topics]}
        several = len(organisations) > 1
        self.fields["department"].choices = all_and(by_council(departments, several=several))
        self.fields["area"].choices = all_and(by_council(areas, several=several))
        self.fields["topic"].choices = all_and(by_council(topics, several=several))
        self.fields["postcode"].widget.attrs.update(
            {"autocomplete": "postal-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        )
        self.fields["q"].widget.input_type = "search"
        self.near_areas: list[Area] = []

    def clean_postcode(self) -> str:
        value = self.cleaned_data.get("postcode", "").strip()
        if not value:
            return ""
        postcode, self.near_areas = areas_near(value)
        return postcode


def _search(consultations: QuerySet, text: str) -> QuerySet:
    """Full-text search in PostgreSQL, ranked; stemmed words elsewhere (SQLite, civic.search)."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        query = SearchQuery(text, config="english", search_type="websearch")
        return consultations.annotate(search=vector, rank=SearchRank(vector, query)).filter(
            search=query
        )
    return search.matching(consultations, text, ["title", "summary", "body"])


def _in_order(consultations: QuerySet, now, *, ranked: bool) -> QuerySet:
    """Open ones first (closing soonest), then upcoming (opening soonest), then closed (most
    recent first); by relevance first when searching."""
    Stage = Consultation.Stage
    is_open = Consultation.SCHEDULE.q(Stage.OPEN, now) & Q(outcome_published_at__isnull=True)
    is_upcoming = Consultation.SCHEDULE.q(Stage.SCHEDULED, now) & Q(
        outcome_published_at__isnull=True
    )
    consultations = consultations.annotate(
        stage_order=Case(
            When(is_open, then=0), When(is_upcoming, then=1), default=2, output_field=IntegerField()
        ),
        next_date=Case(
            When(is_open, then=F("closes_at")), When(is_upcoming, then=F("opens_at")), default=None
        ),
    )
    order = ["stage_order", "next_date", "-closes_at", "pk"]
    return consultations.order_by(*(["-rank", *order] if ranked else order))


@require_safe
@shared_page
def hub(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    published = Consultation.objects.published()
    departments = list(
        Department.objects.filter(pk__in=published.values("department")).select_related(
            "organisation"
        )
    )
    through = Consultation.areas.through.objects.filter(consultation__published_at__isnull=False)
    areas = list(Area.objects.filter(pk__in=through.values("area")).select_related("organisation"))
    topics_through = Consultation.topics.through.objects.filter(
        consultation__published_at__isnull=False
    )
    topics = list(
        Topic.objects.filter(pk__in=topics_through.values("topic")).select_related("organisation")
    )
    form = HubFilterForm(request.GET or None, departments=departments, areas=areas, topics=topics)
    chosen = form.chosen

    consultations = published.select_related("department__organisation").prefetch_related(
        Prefetch("areas", queryset=Area.objects.order_by("name"))
    )
    if chosen.get("status"):
        in_stages = Q()
        for stage in chosen["status"]:
            in_stages |= Q(pk__in=Consultation.objects.in_stage(stage, now).values("pk"))
        consultations = consultations.filter(in_stages)
    if chosen.get("department"):
        consultations = consultations.filter(department_id=chosen["department"])
    if chosen.get("area"):
        consultations = consultations.filter(areas=chosen["area"])
    if chosen.get("topic"):
        consultations = consultations.filter(topics=chosen["topic"])
    if chosen.get("postcode"):
        near = Consultation.areas.through.objects.filter(area__in=form.near_areas)
        consultations = consultations.filter(pk__in=near.values("consultation"))
    text = chosen.get("q", "").strip()
    if text:
        consultations = _search(consultations, text)
    consultations = _in_order(
        consultations, now, ranked=bool(text) and connection.vendor == "postgresql"
    )

    pages = paginate(request, consultations, per_page=PER_PAGE)
    for consultation in pages["page"].object_list:
        _describe(consultation, now)
    return render(
        request,
        "consultations/hub.html",
        {
            "heading": _("Consultations"),
            "form": form,
            **pages,
            "near_areas": form.near_areas if chosen.get("postcode") else [],
            "filtered": form.filtered,
        },
    )


# A consultation's page --------------------------------------------------------------------------


def _published(slug: str) -> Consultation:
    return get_object_or_404(Consultation.objects.published(), slug=slug)


def _outcome(consultation: Consultation) -> list[Decision]:
    """The decisions with the questions and themes they answer, and the numbers behind them:
    for each linked question how many answered and how often each option was chosen (ranked
    first, for a ranking), for each theme how many answers were coded with it."""
    submitted = Q(answers__response__status=Response.Status.SUBMITTED)
    decisions = list(
        consultation.decisions.prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.select_related("page").prefetch_related("options"),
            ),
            Prefetch(
                "themes",
                queryset=Theme.objects.annotate(answer_count=Count("answers", filter=submitted)),
            ),
            "actions",
        )
    )
    question_ids = {question.pk for decision in decisions for question in decision.questions.all()}
    chosen, answered = {}, {}
    if question_ids:
        chosen = {
            row["option_id"]: row
            for row in AnswerChoice.objects.filter(
                answer__question_id__in=question_ids,
                answer__response__status=Response.Status.SUBMITTED,
            )
            .values("option_id")
            .annotate(times=Count("pk"), first=Count("pk", filter=Q(rank=1)))
        }
        answered = dict(
            Answer.objects.filter(
                question_id__in=question_ids, response__status=Response.Status.SUBMITTED
            )
            .values("question_id")
            .annotate(people=Count("pk"))
            .values_list("question_id", "people")
        )
    for decision in decisions:
        for question in decision.questions.all():
            question.answered = answered.get(question.pk, 0)
            question.figures = []
            if not question.has_options:
                continue
            for option in question.options.all():
                row = chosen.get(option.pk, {})
                count = row.get("first" if question.kind == Question.Kind.RANKING else "times", 0)
                percent = round(100 * count / question.answered) if question.answered else 0
                question.figures.append((option.label, count, percent))
    return decisions


@require_safe
@shared_page
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = get_object_or_404(
        Consultation.objects.published()
        .select_related("department__organisation", "lead_officer")
        .prefetch_related(
            Prefetch("areas", queryset=Area.objects.order_by("name")), "topics", "documents"
        ),
        slug=slug,
    )
    _describe(consultation, timezone.now())
    decisions = []
    if consultation.current_stage == Stage.OUTCOME:
        decisions = _outcome(consultation)
    return render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "body_html": markdown_to_html(consultation.body),
            "decisions": decisions,
            "Stage": Stage,
        },
    )


@require_safe
@cache_control(public=True, max_age=3600)
def document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """A published consultation's document. Media is never served as a whole (it holds
    private uploads too), so each public file goes through a view that checks it is public."""
    consultation = _published(slug)
    row = get_object_or_404(Document, consultation=consultation, pk=pk)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("This document is no longer available.")) from error
    return FileResponse(handle, as_attachment=True, filename=PurePosixPath(row.file.name).name)


@require_safe
@cache_control(public=True, max_age=3600)
def image(request: HttpRequest, slug: str) -> FileResponse:
    consultation = _published(slug)
    if not consultation.image:
        raise Http404(_("This consultation has no image."))
    content_type, _encoding = mimetypes.guess_type(consultation.image.name)
    if content_type not in ("image/png", "image/jpeg"):
        raise Http404(_("This consultation has no image."))
    try:
        handle = consultation.image.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("This consultation has no image.")) from error
    return FileResponse(handle, content_type=content_type)


# The home page ----------------------------------------------------------------------------------


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Open consultations for the home page, closing soonest first (one query)."""
    consultations = (
        Consultation.objects.open_at()
        .select_related("department__organisation")
        .order_by("closes_at", "pk")
    )
    if organisation is not None:
        consultations = consultations.filter(department__organisation=organisation)
    return [
        open_now.OpenItem(
            title=consultation.title,
            url=reverse("consultations:detail", args=[consultation.slug]),
            organisation=consultation.department.organisation.name,
            summary=consultation.summary,
            status=_("Closes on %(when)s") % {"when": when(consultation.closes_at)},
        )
        for consultation in consultations[:limit]
    ]
