"""Starting from something already written: a copy of a question or a page, and the
organisation's library of saved questions. (A copy of a whole consultation, as a draft, is
consultations.services.builder.consultation_duplicate.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.services import audit_record, require
from consultations.models import Option, Question, SavedQuestion, SurveyPage
from consultations.services import NOT_RUNNING
from consultations.services.editing import USES_OPTIONS, QuestionDraft, question_save


def _question_copy_onto(question: Question, *, page: SurveyPage, position: int) -> Question:
    options = list(question.options.all())
    copy = Question.objects.create(
        page=page,
        position=position,
        **{
            name: getattr(question, name)
            for name in (
                "kind", "text", "help_text", "required", "max_length", "min_value",
                "max_value", "allow_other", "condition",
            )
        },
    )  # fmt: skip
    Option.objects.bulk_create(
        Option(question=copy, position=option.position, label=option.label) for option in options
    )
    return copy


@transaction.atomic
def question_copy(*, question: Question, actor) -> Question:
    """A copy of the question, with its answers and condition, just after it on its page."""
    page = question.page
    require(actor, "consultations.change_consultation", page.consultation, message=NOT_RUNNING)
    page.questions.filter(position__gt=question.position).update(position=F("position") + 1)
    copy = _question_copy_onto(question, page=page, position=question.position + 1)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=page.consultation,
        summary=f"Copied question #{question.pk} as question #{copy.pk}",
    )
    return copy


@transaction.atomic
def page_copy(*, page: SurveyPage, actor) -> SurveyPage:
    """A copy of the page and its questions just after it. Conditions look only at earlier
    pages, so they hold for the copy as they do for the page."""
    consultation = page.consultation
    require(actor, "consultations.change_consultation", consultation, message=NOT_RUNNING)
    consultation.pages.filter(position__gt=page.position).update(position=F("position") + 1)
    copy = SurveyPage.objects.create(
        consultation=consultation,
        position=page.position + 1,
        title=_("%(title)s (copy)") % {"title": page.title[:190]},
        intro=page.intro,
        condition=page.condition,
    )
    for question in page.questions.prefetch_related("options"):
        _question_copy_onto(question, page=copy, position=question.position)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=consultation,
        summary=f"Copied survey page #{page.pk} as survey page #{copy.pk}",
    )
    return copy


# The library ------------------------------------------------------------------------------------


@transaction.atomic
def question_save_to_library(*, question: Question, actor) -> SavedQuestion:
    """Keep the question in the organisation's library (without its condition, which belongs
    to its survey)."""
    consultation = question.page.consultation
    require(actor, "consultations.view_consultation", consultation, message=NOT_RUNNING)
    organisation = consultation.department.organisation
    require(
        actor,
        "consultations.add_savedquestion",
        organisation,
        message=_("You do not work for this council."),
    )
    draft = QuestionDraft.of(question)
    saved = SavedQuestion.objects.create(
        organisation=organisation,
        **{name: value for name, value in draft.settings().items()},
        options=draft.options if question.kind in USES_OPTIONS else [],
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=saved,
        summary=f"Saved question #{question.pk} to the library",
    )
    return saved


def library_for(page: SurveyPage):
    """The saved questions an officer may add to the page: its council's."""
    return SavedQuestion.objects.filter(
        organisation_id=page.consultation.department.organisation_id
    )


@transaction.atomic
def question_add_from_library(*, saved: SavedQuestion, page: SurveyPage, actor) -> Question:
    """A new question at the end of the page, written as the saved one is."""
    if saved.organisation_id != page.consultation.department.organisation_id:
        raise ValidationError({"saved": _("Choose a question from your council's library")})
    require(actor, "consultations.view_savedquestion", saved, message=NOT_RUNNING)
    return question_save(page=page, draft=QuestionDraft.of(saved), actor=actor)


@transaction.atomic
def saved_question_delete(*, saved: SavedQuestion, actor) -> None:
    require(
        actor,
        "consultations.delete_savedquestion",
        saved,
        message=_("Only the council's admins can remove questions from its library."),
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        obj=saved,
        summary=f"Removed saved question #{saved.pk} from the library",
    )
    saved.delete()
