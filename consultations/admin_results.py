"""Officers' pages about a consultation's responses: results, free text and themes, exports, and
publishing chosen responses. They hang off the consultation's admin; its `get_urls` adds them
before the admin's own (whose `<path:object_id>/` would otherwise catch them), as pages of
civic.admin_base.AdminPagesMixin:

    from consultations.admin_results import results_urls

    class ConsultationAdmin(AdminPagesMixin, ...):
        def admin_pages(self):
            return [*results_urls(self)]

Pages, under /admin/consultations/consultation/<id>/results/, named in the admin namespace:

    consultations_consultation_results          results, filters, themes (GET); new theme (POST)
    consultations_consultation_results_export   the responses as CSV, streamed, or XLSX, written by
                                                a worker (POST, audited)
    consultations_consultation_results_export_download
                                                a ready XLSX, for the officer who asked (audited)
    consultations_consultation_results_answers  one question's written answers: search, page and
                                                code them with themes (GET; POST)
    consultations_consultation_results_publish  responses whose respondents agreed to publication,
                                                to publish or withdraw (GET; POST)

Every page needs consultations.view_response on the consultation (officers of its department and
their organisation's admins); others get 403. The figures come from
consultations.services.results and the lists from consultations.selectors. Changes go through
consultations.services.coding (themes) and consultations.services.publishing, each of which checks
its own permission and records the audit entry (exports through consultations.services.exports).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic.admin_base import admin_page_path, admin_page_response
from civic.exports import csv_download
from civic.models import Area
from consultations import selectors
from consultations.admin_actions import consultation_tabs
from consultations.models import Answer, Consultation, Question, ResponseExport, Theme
from consultations.services import coding, exports, publishing
from consultations.services.results import (
    DayCount,
    QuestionResult,
    is_text_question,
    results_compute,
)

ANSWERS_PER_PAGE = 25
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RESPONSES_PER_PAGE = 25
# The geometry of the SVG charts, in pixels; widths are percentages of the chart's own width.
BAR_ROW = 44
BAR_HEIGHT = 18
BAR_SCALE = 0.8  # a 100% bar spans 80% of the width, leaving room for its figure
COLUMN_CHART_HEIGHT = 180
COLUMN_AREA = 140


def results_urls(model_admin) -> list:
    """The URL patterns of these pages, for ConsultationAdmin.get_urls (see the module's top)."""
    pages = ResultsPages(model_admin)

    def page(route: str, view, name: str):
        return admin_page_path(model_admin, f"<int:object_id>/results/{route}", view, name)

    return [
        page("", pages.results, "results"),
        page("export/", pages.export, "results_export"),
        page("exports/<int:export_id>/", pages.export_download, "results_export_download"),
        page("questions/<int:question_id>/", pages.answers, "results_answers"),
        page("publish/", pages.publish, "results_publish"),
    ]


# Forms ------------------------------------------------------------------------------------------


class ResultsFilterForm(forms.Form):
    """Narrow every figure to one area, or to those whose answer to a question chose an option."""

    area = forms.TypedChoiceField(label=gettext_lazy("Area"), required=False, coerce=int)
    answer = forms.TypedChoiceField(
        label=gettext_lazy("Who answered"),
        required=False,
        coerce=int,
        help_text=gettext_lazy("Count only the respondents who chose this answer."),
    )

    def __init__(self, data, *, areas: list[Area], questions: list[Question]):
        super().__init__(data)
        self.fields["area"].choices = [
            ("", _("All areas")),
            *((area.pk, area.name) for area in areas),
        ]
        self.fields["answer"].choices = [
            ("", _("Any answer")),
            *(
                (
                    f"{number}. {question.text}",
                    [(option.pk, option.label) for option in question.options.all()],
                )
                for number, question in enumerate(questions, start=1)
                if question.has_options and question.kind != Question.Kind.RANKING
            ),
        ]

    def filters(self) -> selectors.ResponseFilter:
        if not self.is_valid():
            return selectors.NO_FILTER
        return selectors.ResponseFilter(
            area_id=self.cleaned_data.get("area") or None,
            option_id=self.cleaned_data.get("answer") or None,
        )


class ThemeForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the new theme"),
        max_length=200,
        help_text=gettext_lazy("For example “Lighting at night” or “Parking”."),
    )


class AnswerSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search the answers"), required=False, max_length=200)
    theme = forms.TypedChoiceField(
        label=gettext_lazy("Theme"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data, *, themes: list[Theme]):
        super().__init__(data)
        self.fields["theme"].choices = [
            ("", _("Any theme")),
            *((theme.pk, theme.name) for theme in themes),
        ]


# Charts -----------------------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    percent: float
    width: float  # % of the chart's width
    y: int


@dataclass
class Column:
    day: object
    count: int
    x: float  # % of the chart's width
    width: float
    y: int
    height: int


def bar_chart(result: QuestionResult) -> dict:
    """One bar per option: the share who chose it (for a ranking, who ranked it first)."""
    ranking = result.kind == Question.Kind.RANKING
    bars = []
    for index, option in enumerate(result.options):
        percent = option.first_percent if ranking else option.percent
        bars.append(
            Bar(
                label=option.label,
                count=option.first if ranking else option.count,
                percent=percent,
                width=round(percent * BAR_SCALE, 2),
                y=index * BAR_ROW,
            )
        )
    return {"bars": bars, "height": len(bars) * BAR_ROW + 4, "bar_height": BAR_HEIGHT}


def column_chart(days: list[DayCount]) -> dict:
    peak = max((day.count for day in days), default=0)
    slot = 100 / len(days) if days else 0
    columns = []
    for index, day in enumerate(days):
        height = round(COLUMN_AREA * day.count / peak) if peak else 0
        columns.append(
            Column(
                day=day.day,
                count=day.count,
                x=round(index * slot + slot * 0.1, 3),
                width=round(slot * 0.8, 3),
                y=COLUMN_AREA + 16 - height,
                height=height,
            )
        )
    return {
        "columns": columns,
        "peak": peak,
        "height": COLUMN_CHART_HEIGHT,
        "baseline": COLUMN_AREA + 16,
        "first": days[0].day if days else None,
        "last": days[-1].day if days else None,
    }


# Pages ------------------------------------------------------------------------------------------


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class ResultsPages:
    def __init__(self, model_admin):
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site
        self.opts = model_admin.opts
        self.info = f"{self.opts.app_label}_{self.opts.model_name}"

    def url(self, name: str, *args) -> str:
        suffix = f"_{name}" if name else ""
        return reverse(f"{self.admin_site.name}:{self.info}_results{suffix}", args=args)

    def _consultation(self, request, object_id) -> Consultation:
        """The consultation if the officer may read its responses; 403 for anyone else who may
        see it (and 404, from civic.admin_base, for anyone who may not)."""
        consultation = self.model_admin.get_object(request, str(object_id))
        if consultation is None:
            raise Http404(_("No such consultation."))
        if not request.user.has_perm("consultations.view_response", consultation):
            raise PermissionDenied
        return consultation

    def _render(self, request, template: str, consultation: Consultation, context: dict):
        return admin_page_response(
            self.model_admin,
            request,
            f"admin/consultations/results/{template}",
            {
                "original": consultation,
                "consultation": consultation,
                "results_url": self.url("", consultation.pk),
                "publish_url": self.url("publish", consultation.pk),
                "change_url": reverse(
                    f"{self.admin_site.name}:{self.info}_change", args=[consultation.pk]
                ),
                **context,
            },
        )

    def _filter_form(self, request, consultation, questions) -> ResultsFilterForm:
        areas = list(
            Area.objects.filter(organisation_id=consultation.department.organisation_id).order_by(
                "name"
            )
        )
        data = request.GET if ("area" in request.GET or "answer" in request.GET) else None
        return ResultsFilterForm(data, areas=areas, questions=questions)

    # The results -------------------------------------------------------------------------------

    def results(self, request, object_id):
        consultation = self._consultation(request, object_id)
        theme_form = ThemeForm()
        if request.method == "POST":
            theme_form = ThemeForm(request.POST)
            if theme_form.is_valid() and self._create_theme(request, consultation, theme_form):
                return redirect(_safe_next(request, request.get_full_path()))
        questions = selectors.survey_questions(consultation)
        filter_form = self._filter_form(request, consultation, questions)
        filters = filter_form.filters()
        results = results_compute(consultation=consultation, filters=filters, questions=questions)
        for result in results.questions:
            result.chart = bar_chart(result) if result.has_options else None
            result.answers_url = (
                self.url("answers", consultation.pk, result.question.pk)
                if result.has_text
                else None
            )
        ready = exports.exports_for(actor=request.user, consultation=consultation)
        return self._render(
            request,
            "results.html",
            consultation,
            {
                "title": _("Results: %(title)s") % {"title": consultation.title},
                "tabs": consultation_tabs(request, consultation, "results"),
                "results": results,
                "over_time": column_chart(results.over_time),
                "filter_form": filter_form,
                "filtered": filters.active,
                "form": theme_form,
                "may_export": request.user.has_perm("consultations.export_responses", consultation),
                "may_code": request.user.has_perm("consultations.add_theme", consultation),
                "export_url": self.url("export", consultation.pk),
                "export_days": exports.export_days(),
                "export_inline_rows": exports.export_inline_rows(),
                "exports": [
                    (export, self.url("export_download", consultation.pk, export.pk))
                    for export in ready
                ],
            },
        )

    def _create_theme(self, request, consultation, form: ThemeForm) -> bool:
        try:
            theme = coding.theme_create(
                actor=request.user, consultation=consultation, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            for field_name, problems in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, problems)
            return False
        messages.success(request, _("Theme “%(name)s” created.") % {"name": theme.name})
        return True

    # Export ------------------------------------------------------------------------------------

    def export(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        consultation = self._consultation(request, object_id)
        file_format = request.POST.get("format", "csv")
        if file_format not in ("csv", "xlsx"):
            raise Http404(_("No such format."))
        questions = selectors.survey_questions(consultation)
        filters = ResultsFilterForm(
            request.POST,
            areas=list(Area.objects.filter(organisation_id=consultation.organisation_id)),
            questions=questions,
        ).filters()
        if not exports.export_streams(
            consultation=consultation, file_format=file_format, filters=filters
        ):
            return self._export_later(request, consultation, file_format, filters)
        header, rows = exports.responses_export(
            actor=request.user, consultation=consultation, file_format=file_format, filters=filters
        )
        filename = f"{slugify(consultation.slug)}-responses.{file_format}"
        return csv_download(filename, header, rows)

    def _export_later(self, request, consultation, file_format, filters):
        # A workbook, or a CSV of many thousands of responses, takes a worker a minute or more;
        # the officer downloads it from the results page when it is ready.
        exports.export_request(
            actor=request.user, consultation=consultation, file_format=file_format, filters=filters
        )
        messages.success(
            request,
            _(
                "Your %(format)s export is being prepared. It will be listed under “Your "
                "exports” on this page: refresh the page in a minute to download it."
            )
            % {"format": "Excel" if file_format == "xlsx" else "CSV"},
        )
        return redirect(self.url("", consultation.pk) + "#results-exports")

    def export_download(self, request, object_id, export_id):
        consultation = self._consultation(request, object_id)
        export = get_object_or_404(
            ResponseExport.objects.select_related("consultation"),
            pk=export_id,
            consultation=consultation,
        )
        try:
            file = exports.export_open(actor=request.user, export=export)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(self.url("", consultation.pk) + "#results-exports")
        return FileResponse(
            file,
            as_attachment=True,
            filename=f"{slugify(consultation.slug)}-responses.{export.file_format}",
            content_type=CONTENT_TYPES[export.file_format],
        )

    # Free text ---------------------------------------------------------------------------------

    def answers(self, request, object_id, question_id):
        consultation = self._consultation(request, object_id)
        question = (
            Question.objects.filter(pk=question_id, page__consultation=consultation)
            .select_related("page")
            .first()
        )
        if question is None or not is_text_question(question):
            raise Http404(_("No such question with written answers."))
        themes = list(consultation.themes.order_by("name"))
        theme_form = ThemeForm()
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "create_theme":
                theme_form = ThemeForm(request.POST)
                if theme_form.is_valid() and self._create_theme(request, consultation, theme_form):
                    return redirect(_safe_next(request, request.get_full_path()))
            elif action in ("tag", "untag"):
                self._code(request, consultation, question, action)
                return redirect(_safe_next(request, request.get_full_path()))
            else:
                return HttpResponseNotAllowed(["GET"])
        search_form = AnswerSearchForm(request.GET or None, themes=themes)
        search, theme_id = "", None
        if search_form.is_bound and search_form.is_valid():
            search = search_form.cleaned_data["q"].strip()
            theme_id = search_form.cleaned_data["theme"]
        answers = selectors.text_answers(
            consultation=consultation, question=question, search=search, theme_id=theme_id
        )
        page = Paginator(answers, ANSWERS_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self._render(
            request,
            "answers.html",
            consultation,
            {
                "title": _("Written answers: %(question)s") % {"question": question.text},
                "question": question,
                "search_form": search_form,
                "form": theme_form,
                "themes": themes,
                "page_obj": page,
                "query": query.urlencode(),
                "search": search,
                "may_code": request.user.has_perm("consultations.add_theme", consultation),
                "answers_url": self.url("answers", consultation.pk, question.pk),
            },
        )

    def _code(self, request, consultation, question, action: str) -> None:
        answer = (
            Answer.objects.filter(
                pk=_as_int(request.POST.get("answer")),
                question=question,
                response__consultation=consultation,
            )
            .select_related("response", "question")
            .first()
        )
        theme = consultation.themes.filter(pk=_as_int(request.POST.get("theme"))).first()
        if answer is None or theme is None:
            messages.error(request, _("Choose a theme from the list, then try again."))
            return
        service = coding.answer_theme_add if action == "tag" else coding.answer_theme_remove
        try:
            changed = service(actor=request.user, answer=answer, theme=theme)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return
        if changed and action == "tag":
            messages.success(request, _("Answer coded as “%(theme)s”.") % {"theme": theme.name})
        elif changed:
            messages.success(request, _("“%(theme)s” removed.") % {"theme": theme.name})

    # Publishing --------------------------------------------------------------------------------

    def publish(self, request, object_id):
        consultation = self._consultation(request, object_id)
        may_publish = request.user.has_perm("consultations.publish_consultation", consultation)
        error = None
        if request.method == "POST":
            if not may_publish:
                raise PermissionDenied
            publish = request.POST.get("action") != "withdraw"
            try:
                changed = publishing.responses_publish(
                    actor=request.user,
                    consultation=consultation,
                    response_ids=[_as_int(pk) for pk in request.POST.getlist("response")],
                    published=publish,
                )
            except ValidationError as problem:
                error = " ".join(problem.messages)
            else:
                message = (
                    ngettext(
                        "%(count)s response published.", "%(count)s responses published.", changed
                    )
                    if publish
                    else ngettext(
                        "%(count)s response withdrawn from publication.",
                        "%(count)s responses withdrawn from publication.",
                        changed,
                    )
                )
                messages.success(request, message % {"count": changed})
                return redirect(request.get_full_path())
        responses = selectors.with_public_answers(
            selectors.publishable_responses(consultation)
            .select_related("area")
            .order_by("-submitted_at", "-pk"),
            consultation,
        )
        page = Paginator(responses, RESPONSES_PER_PAGE).get_page(request.GET.get("page"))
        # What publication would show of each response on the page.
        rows = [(response, selectors.public_answers(response)) for response in page.object_list]
        return self._render(
            request,
            "publish.html",
            consultation,
            {
                "title": _("Publish responses: %(title)s") % {"title": consultation.title},
                "page_obj": page,
                "rows": rows,
                "may_publish": may_publish,
                "error": error,
            },
        )


def _as_int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
