"""The survey builder: the admin's pages where an officer writes a consultation's survey.

- /admin/consultations/consultation/<id>/survey/ lists the survey's pages, each with its
  questions, to open, move, copy or remove, and what needs attention before publishing;
- .../survey/pages/new/ and .../survey/pages/<page>/ edit one page with all its questions in
  one form: type, question, hint, whether an answer is required, and only the settings its type
  uses (answers for choices, with scale presets; a range for numbers; "Other" for multiple
  choice); a condition offers only the answers of earlier pages. Each question can be moved,
  copied, kept in the council's library or deleted (with "Undo"); a question from the library
  can be added. A new page takes questions before it is saved once. With JavaScript, saved
  questions can also be dragged into order (static/civic/reorder.js sends the form with the
  "reorder" button and the new order); the move buttons stay, for keyboards and without it.

Every button submits the one form of the page, which is saved first (nothing typed is lost),
then the button's action is done, and the page is drawn again. Without JavaScript that is a
page load; with JavaScript htmx sends the same form and swaps the page's content in place, so
an officer builds a whole page without one. Choosing a type shows its settings the same way:
a "Show the settings" button without JavaScript, on change with it.

Writes go through consultations.services.editing and consultations.services.copying; this
module reads forms and draws pages. An officer who does not run the consultation gets 404 for
every page here (AdminPagesMixin.page_object).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import admin_page_path
from civic.forms import service_errors_onto
from consultations.admin_actions import consultation_tabs
from consultations.models import Consultation, Question, SavedQuestion, SurveyPage
from consultations.services import builder, copying, editing
from consultations.services.checks import consultation_problems
from consultations.services.editing import (
    AFTER_EVERY_PAGE,
    SCALE_PRESETS,
    USES_LIMIT,
    USES_OPTIONS,
    USES_OTHER,
    USES_RANGE,
    QuestionDraft,
)

UNDO_SALT = "consultations.survey-undo"
UNDO_SECONDS = 60 * 60
TEMPLATES = "admin/consultations/builder/"
# Buttons that show the form again without saving: the settings of a type, a scale's preset,
# another empty question.
REDRAWS = ("refresh", "add")


def builder_urls(model_admin) -> list:
    """The URL patterns of the builder, for ConsultationAdmin.admin_pages."""
    pages = SurveyBuilder(model_admin)

    def page(route: str, view, name: str):
        return admin_page_path(model_admin, f"<int:object_id>/survey/{route}", view, name)

    return [
        page("", pages.survey, "survey"),
        page("pages/new/", pages.page, "survey_page_add"),
        page("pages/<int:page_id>/", pages.page, "survey_page"),
    ]


def survey_url(consultation: Consultation) -> str:
    return reverse("admin:consultations_consultation_survey", args=[consultation.pk])


def page_url(page: SurveyPage | None, consultation: Consultation) -> str:
    if page is None:
        return reverse("admin:consultations_consultation_survey_page_add", args=[consultation.pk])
    return reverse("admin:consultations_consultation_survey_page", args=[consultation.pk, page.pk])


# Forms ------------------------------------------------------------------------------------------


def _condition_field(consultation: Consultation, before, label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Select(choices=builder.condition_choices(consultation, before=before)),
        help_text=gettext_lazy("Only answers of earlier pages can be chosen."),
    )


def _condition_clean(value: str):
    return builder.condition_from_value(value)


def _redraw(url: str, action: str) -> dict:
    """htmx attributes: on change, send the page's form with this action and swap in the page."""
    return {"hx-post": url, "hx-trigger": "change", "hx-vals": json.dumps({"action": action})}


class PageForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Page title"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter a title for the page")},
    )
    intro = forms.CharField(
        label=gettext_lazy("Introduction (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, consultation: Consultation, page: SurveyPage | None, **kwargs):
        super().__init__(*args, **kwargs)
        before = builder.page_order(page) if page is not None else AFTER_EVERY_PAGE
        self.fields["condition"] = _condition_field(
            consultation, before, gettext_lazy("Show this page only when")
        )

    def clean_condition(self):
        return _condition_clean(self.cleaned_data.get("condition", ""))


KIND_CHOICES = [("", gettext_lazy("Choose a type")), *Question.Kind.choices]
PRESET_CHOICES = [
    ("", gettext_lazy("Write your own")),
    *((key, label) for key, (label, _labels) in SCALE_PRESETS.items()),
]


class QuestionForm(forms.Form):
    """One question of the page; the fields its type does not use are left out."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, url: str, consultation, before, answered: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.index = (self.prefix or "").rsplit("-", 1)[-1]
        self.question_id = self._read("id", cast=int)
        self.answered = self.question_id in answered
        kind = self.initial.get("kind") if self.answered else self._read("kind")
        self.kind = kind if kind in Question.Kind.values else ""
        fields = self.fields
        fields["kind"] = forms.ChoiceField(
            label=_("Type"), choices=KIND_CHOICES, required=False, disabled=self.answered
        )
        # With JavaScript, choosing a type shows its settings in place (htmx sends the form).
        fields["kind"].widget.attrs.update(_redraw(url, "refresh"))
        if self.answered:
            fields["kind"].help_text = _("Residents have answered it, so its type stays.")
        fields["text"] = forms.CharField(label=_("Question"), max_length=500, required=False)
        fields["help_text"] = forms.CharField(
            label=_("Hint (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        fields["required"] = forms.BooleanField(
            label=_("An answer is required"), required=False, initial=True
        )
        if self.kind in USES_OPTIONS:
            fields["options"] = forms.CharField(
                label=_("Answers to choose from"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("One answer on each line, in the order residents see them."),
            )
        if self.kind == Question.Kind.SCALE:
            fields["preset"] = forms.ChoiceField(
                label=_("Start from a scale"), choices=PRESET_CHOICES, required=False
            )
            fields["preset"].widget.attrs.update(_redraw(url, f"preset:{self.index}"))
        if self.kind in USES_OTHER:
            fields["allow_other"] = forms.BooleanField(
                label=_("Offer 'Other, please specify'"), required=False
            )
        if self.kind in USES_RANGE:
            fields["min_value"] = forms.DecimalField(
                label=_("Smallest number (optional)"), required=False, max_digits=12,
                decimal_places=2,
            )  # fmt: skip
            fields["max_value"] = forms.DecimalField(
                label=_("Largest number (optional)"), required=False, max_digits=12,
                decimal_places=2,
            )  # fmt: skip
        if self.kind in USES_LIMIT:
            fields["max_length"] = forms.IntegerField(
                label=_("Character limit (optional)"), required=False, min_value=1
            )
        fields["condition"] = _condition_field(consultation, before, _("Show only when"))

    def _read(self, name: str, cast=str):
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        try:
            return cast(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def clean_condition(self):
        return _condition_clean(self.cleaned_data.get("condition", ""))

    @property
    def is_blank(self) -> bool:
        """A new question nobody started: left out when the page is saved."""
        data = self.cleaned_data
        return self.question_id is None and not data.get("kind") and not data.get("text")

    def draft(self) -> QuestionDraft:
        data = self.cleaned_data
        return QuestionDraft(
            kind=self.kind,
            text=data.get("text", ""),
            help_text=data.get("help_text", ""),
            required=bool(data.get("required")),
            max_length=data.get("max_length"),
            min_value=data.get("min_value"),
            max_value=data.get("max_value"),
            allow_other=bool(data.get("allow_other")),
            options=(data.get("options") or "").splitlines(),
            condition=data.get("condition"),
        )

    def extra_fields(self) -> list:
        """The type's own fields, drawn after the common ones."""
        names = ("options", "preset", "allow_other", "min_value", "max_value", "max_length")
        return [self[name] for name in names if name in self.fields]


QuestionFormSet = forms.formset_factory(QuestionForm, extra=0)


def question_initial(question: Question) -> dict:
    return {
        "id": question.pk,
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "options": "\n".join(option.label for option in question.options.all()),
        "allow_other": question.allow_other,
        "min_value": question.min_value,
        "max_value": question.max_value,
        "max_length": question.max_length,
        "condition": builder.condition_to_value(question.condition),
    }


def _quiet(*forms_) -> None:
    """Draw bound forms without their errors: the officer asked to see more, not to save."""
    for form in forms_:
        if isinstance(form, forms.BaseFormSet):
            form._errors, form._non_form_errors = [], ErrorList()
            _quiet(*form.forms)
        else:
            form._errors = ErrorDict()


class _Unsaved(Exception):
    """A service refused part of the page: roll the whole save back."""


# Pages ------------------------------------------------------------------------------------------


class SurveyBuilder:
    def __init__(self, model_admin):
        self.admin = model_admin

    def _consultation(self, request, object_id) -> Consultation:
        return self.admin.page_object(
            request, object_id, permission="consultations.change_consultation"
        )

    # The survey -----------------------------------------------------------------------------------

    def survey(self, request, object_id):
        consultation = self._consultation(request, object_id)
        if request.method == "POST":
            return self._survey_act(request, consultation)
        pages = list(consultation.pages.prefetch_related("questions__options"))
        questions = {q.pk: q for page in pages for q in page.questions.all()}
        for page in pages:
            page.condition_text = builder.condition_describe(page.condition, questions)
            page.url = page_url(page, consultation)
            for question in page.questions.all():
                question.condition_text = builder.condition_describe(question.condition, questions)
        return self.admin.page_response(
            request,
            TEMPLATES + "survey.html",
            {
                "title": _("Survey of “%(title)s”") % {"title": consultation.title},
                "consultation": consultation,
                "tabs": consultation_tabs(request, consultation, "survey"),
                "pages": pages,
                "problems": consultation_problems(consultation),
                "add_url": page_url(None, consultation),
                "change_url": reverse(
                    "admin:consultations_consultation_change", args=[consultation.pk]
                ),
                "preview_url": reverse(
                    "admin:consultations_consultation_preview", args=[consultation.pk]
                ),
            },
        )

    def _survey_act(self, request, consultation: Consultation):
        action, _sep, target = request.POST.get("action", "").partition(":")
        if action == "copy_consultation":
            try:
                copy = builder.consultation_duplicate(consultation=consultation, actor=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return HttpResponseRedirect(survey_url(consultation))
            messages.success(
                request,
                _("This is a copy of “%(title)s”, as a draft. Change its title, address and "
                  "dates before publishing it.") % {"title": consultation.title},
            )  # fmt: skip
            return HttpResponseRedirect(survey_url(copy))
        page = consultation.pages.filter(pk=target).first() if target.isdigit() else None
        if page is None:
            messages.error(request, _("That page is no longer in the survey."))
            return HttpResponseRedirect(survey_url(consultation))
        try:
            if action in ("up", "down"):
                editing.page_move(
                    page=page, direction=-1 if action == "up" else 1, actor=request.user
                )
                done = _("“%(page)s” moved up.") if action == "up" else _("“%(page)s” moved down.")
            elif action == "copy":
                copying.page_copy(page=page, actor=request.user)
                done = _("“%(page)s” is copied: the copy is just after it.")
            elif action == "delete":
                editing.page_delete(page=page, actor=request.user)
                done = _("“%(page)s” is deleted, with its questions.")
            else:
                raise ValidationError(_("Choose what to do with the page."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done % {"page": page.title})
        return HttpResponseRedirect(survey_url(consultation) + f"#page-{page.pk}")

    # One page with its questions ----------------------------------------------------------------

    def page(self, request, object_id, page_id=None):
        consultation = self._consultation(request, object_id)
        page = None
        if page_id is not None:
            page = consultation.pages.filter(pk=page_id).first()
            if page is None:
                raise Http404(_("No such survey page."))
        questions = list(page.questions.prefetch_related("options")) if page else []
        answered = set(
            Question.objects.filter(pk__in=[q.pk for q in questions], answers__isnull=False)
            .values_list("pk", flat=True)
            .distinct()
        )
        kwargs = {
            "url": page_url(page, consultation),
            "consultation": consultation,
            "before": builder.page_order(page) if page is not None else AFTER_EVERY_PAGE,
            "answered": answered,
        }
        initial = [question_initial(question) for question in questions]
        if request.method != "POST":
            page_form = PageForm(
                consultation=consultation,
                page=page,
                initial={
                    "title": page.title,
                    "intro": page.intro,
                    "condition": builder.condition_to_value(page.condition),
                }
                if page
                else {},
            )
            # A new page starts with one question to fill in.
            formset = QuestionFormSet(
                prefix="questions", initial=initial or [{}], form_kwargs=kwargs
            )
            return self._page_response(request, consultation, page, page_form, formset)

        data = request.POST.copy()
        action = data.get("action", "save")
        total = "questions-TOTAL_FORMS"
        if action == "add":
            count = int(data.get(total) or 0)
            data[total] = str(count + 1)
            data[f"questions-{count}-required"] = "on"  # on by default, as on a new page
        if action.startswith("preset:") or action == "refresh":
            self._fill_scales(data, action)
        page_form = PageForm(data, consultation=consultation, page=page)
        formset = QuestionFormSet(data, prefix="questions", initial=initial, form_kwargs=kwargs)
        if action in REDRAWS or action.startswith("preset:"):
            _quiet(page_form, formset)
            return self._page_response(request, consultation, page, page_form, formset)
        if not (page_form.is_valid() and formset.is_valid()):
            return self._page_response(request, consultation, page, page_form, formset)
        by_id = {question.pk: question for question in questions}
        try:
            with transaction.atomic():
                page = self._save(request, consultation, page, page_form, formset, by_id)
        except _Unsaved:
            return self._page_response(request, consultation, page, page_form, formset)
        return self._act(request, consultation, page, action, data)

    def _fill_scales(self, data, action: str) -> None:
        """A scale starts from a preset's five answers, which the officer may then change."""
        total = int(data.get("questions-TOTAL_FORMS") or 0)
        chosen = action.partition(":")[2]
        for index in range(total):
            prefix = f"questions-{index}-"
            if data.get(prefix + "kind") != Question.Kind.SCALE:
                continue
            preset = data.get(prefix + "preset") or ""
            empty = not (data.get(prefix + "options") or "").strip()
            if str(index) == chosen and preset in SCALE_PRESETS:
                data[prefix + "options"] = "\n".join(SCALE_PRESETS[preset][1])
            elif empty and action == "refresh":
                data[prefix + "options"] = "\n".join(SCALE_PRESETS["agreement"][1])
                data[prefix + "preset"] = "agreement"

    def _save(self, request, consultation, page, page_form, formset, by_id) -> SurveyPage:
        """The page and each question, through the services; any refusal rolls all back."""
        refused = False
        cleaned = page_form.cleaned_data
        try:
            page = editing.page_save(
                consultation=consultation,
                page=page,
                title=cleaned["title"],
                intro=cleaned.get("intro", ""),
                condition=cleaned.get("condition"),
                actor=request.user,
            )
        except ValidationError as error:
            service_errors_onto(page_form, error)
            raise _Unsaved from None
        for form in formset.forms:
            if form.is_blank:
                continue
            question = None
            if form.question_id is not None:
                question = by_id.get(form.question_id)
                if question is None:
                    form.add_error(None, _("This question is no longer on the page."))
                    refused = True
                    continue
            try:
                editing.question_save(
                    page=page, question=question, draft=form.draft(), actor=request.user
                )
            except ValidationError as error:
                service_errors_onto(form, error)
                refused = True
        if refused:
            raise _Unsaved
        return page

    def _act(self, request, consultation, page, action: str, data):
        """After saving: what the button pressed asks for, then the page again."""
        name, _sep, target = action.partition(":")
        question = page.questions.filter(pk=target).first() if target.isdigit() else None
        user = request.user
        here = page_url(page, consultation)
        try:
            if name in ("up", "down", "copy", "delete", "library") and question is None:
                raise ValidationError(_("That question is no longer on the page."))
            if name in ("up", "down"):
                editing.question_move(question=question, direction=-1 if name == "up" else 1,
                                      actor=user)  # fmt: skip
                done = (
                    _("“%(question)s” moved up.")
                    if name == "up"
                    else _("“%(question)s” moved down.")
                )
            elif name == "copy":
                copying.question_copy(question=question, actor=user)
                done = _("“%(question)s” is copied: the copy is just below it.")
            elif name == "delete":
                snapshot = editing.question_delete(question=question, actor=user)
                request.session["survey_undo"] = {
                    "page": page.pk,
                    "token": signing.dumps(snapshot, salt=f"{UNDO_SALT}:{user.pk}"),
                    "text": question.text,
                }
                done = _("“%(question)s” is deleted.")
            elif name == "undo":
                snapshot = self._undo_snapshot(request, data.get("undo", ""))
                question = editing.question_restore(page=page, snapshot=snapshot, actor=user)
                done = _("“%(question)s” is back.")
            elif name == "reorder":
                order = [part for part in data.get("order", "").split(",") if part]
                if not all(part.isdigit() for part in order):
                    raise ValidationError(_("Move the questions again: their order was not read."))
                # A question typed in a new row was saved just now, after the dragged ones.
                drawn = {
                    int(value)
                    for key, value in data.items()
                    if key.startswith("questions-") and key.endswith("-id") and value.isdigit()
                }
                added = [
                    pk for pk in page.questions.values_list("pk", flat=True) if pk not in drawn
                ]
                editing.questions_reorder(
                    page=page, order=[*(int(part) for part in order), *added], actor=user
                )
                done = _("The questions of “%(page)s” are in their new order.")
            elif name == "library":
                copying.question_save_to_library(question=question, actor=user)
                done = _("“%(question)s” is in your council's library of questions.")
            elif name == "from_library":
                saved = copying.library_for(page).filter(pk=data.get("saved") or 0).first()
                if saved is None:
                    raise ValidationError(_("Choose a question from your council's library."))
                question = copying.question_add_from_library(saved=saved, page=page, actor=user)
                done = _("“%(question)s” is added from the library.")
            else:
                done = _("“%(page)s” is saved.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(here)
        messages.success(
            request, done % {"question": question.text if question else "", "page": page.title}
        )
        if name == "save_next":
            return HttpResponseRedirect(page_url(None, consultation))
        if name == "save_back":
            back = survey_url(consultation) + f"#page-{page.pk}"
            if request.headers.get("HX-Request"):
                # Another page of the admin: htmx loads it whole, with its own title and crumbs.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = back
                return response
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(here)

    def _undo_snapshot(self, request, token: str) -> dict:
        try:
            return signing.loads(token, salt=f"{UNDO_SALT}:{request.user.pk}", max_age=UNDO_SECONDS)
        except signing.BadSignature:
            raise ValidationError(
                _("That question can no longer be put back. Add it again.")
            ) from None

    def _page_response(self, request, consultation, page, page_form, formset):
        undo = request.session.get("survey_undo")
        if request.method == "GET" and undo and page is not None and undo["page"] == page.pk:
            del request.session["survey_undo"]
        else:
            undo = None
        questions = {question.pk: question for question in page.questions.all()} if page else {}
        rows = []
        for number, form in enumerate(formset.forms, start=1):
            rows.append(
                {"form": form, "number": number, "question": questions.get(form.question_id)}
            )
        library = list(
            SavedQuestion.objects.filter(organisation_id=consultation.department.organisation_id)
        )
        if page is None:
            title = _("Add a page to the survey")
        else:
            title = _("Survey page “%(page)s”") % {"page": page.title}
        response = self.admin.page_response(
            request,
            TEMPLATES + "page.html",
            {
                "title": title,
                "consultation": consultation,
                "page": page,
                "form": page_form,
                "formset": formset,
                "rows": rows,
                "last": len(rows),
                "undo": undo,
                "library": library,
                "survey_url": survey_url(consultation),
                "action_url": page_url(page, consultation),
                "errors": page_form.errors or any(form.errors for form in formset.forms),
            },
        )
        if request.headers.get("HX-Request"):
            response["HX-Replace-Url"] = request.path
        return response
