"""Writing a survey: its pages and their questions, each with its answers to choose from.

The survey builder in the admin (consultations.admin_builder) calls these one per change, so the
checks (a condition only looks back, a choice has answers, nothing residents answered is removed)
and the audit log are the same wherever a survey is written. A deleted question can be put back:
`question_delete` returns what `question_restore` needs, with the same ids, so conditions that
pointed at it hold again.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry
from civic.services import audit_record, require
from consultations.models import Consultation, Option, Question, SurveyPage
from consultations.services import NOT_RUNNING
from consultations.services.builder import condition_validate, page_order

# Five points each, in the order residents read them; an officer may change them.
SCALE_PRESETS = {
    "agreement": (
        gettext_lazy("Agreement"),
        ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"],
    ),
    "satisfaction": (
        gettext_lazy("Satisfaction"),
        [
            "Very satisfied",
            "Satisfied",
            "Neither satisfied nor dissatisfied",
            "Dissatisfied",
            "Very dissatisfied",
        ],
    ),
    "likelihood": (
        gettext_lazy("Likelihood"),
        ["Very likely", "Likely", "Neither likely nor unlikely", "Unlikely", "Very unlikely"],
    ),
}
# Which settings each type of question uses; the builder shows only these.
USES_OPTIONS = Question.CHOICE_KINDS
USES_OTHER = {Question.Kind.MULTIPLE_CHOICE}
USES_RANGE = {Question.Kind.NUMBER}
USES_LIMIT = {Question.Kind.LONG_TEXT}
AFTER_EVERY_PAGE = (sys.maxsize, sys.maxsize)


@dataclass
class QuestionDraft:
    """What an officer writes for a question; `options` are the answers' labels in order."""

    kind: str
    text: str
    help_text: str = ""
    required: bool = True
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    allow_other: bool = False
    options: list[str] = field(default_factory=list)
    condition: dict | None = None

    @classmethod
    def of(cls, question) -> QuestionDraft:
        """The draft of a question or a saved question (whose options are labels already)."""
        options = question.options
        labels = list(options) if isinstance(options, list) else [o.label for o in options.all()]
        return cls(
            kind=question.kind,
            text=question.text,
            help_text=question.help_text,
            required=question.required,
            max_length=question.max_length,
            min_value=question.min_value,
            max_value=question.max_value,
            allow_other=question.allow_other,
            options=labels,
            condition=getattr(question, "condition", None),
        )

    def settings(self) -> dict:
        """The question's fields, with those its type does not use emptied."""
        return {
            "kind": self.kind,
            "text": self.text.strip(),
            "help_text": self.help_text.strip(),
            "required": self.required,
            "max_length": self.max_length if self.kind in USES_LIMIT else None,
            "min_value": self.min_value if self.kind in USES_RANGE else None,
            "max_value": self.max_value if self.kind in USES_RANGE else None,
            "allow_other": self.allow_other if self.kind in USES_OTHER else False,
        }


def _require_runs(actor, consultation: Consultation) -> None:
    require(actor, "consultations.change_consultation", consultation, message=NOT_RUNNING)


def _audit(actor, consultation: Consultation, summary: str) -> None:
    audit_record(actor=actor, action=AuditEntry.Action.EDIT, obj=consultation, summary=summary)


def _answered(question: Question) -> bool:
    return question.pk is not None and question.answers.exists()


def _renumber(rows) -> list:
    """Positions 0, 1, 2 ... in the rows' order, so that moving swaps neighbours."""
    rows = list(rows)
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            type(row).objects.filter(pk=row.pk).update(position=position)
    return rows


def _moved(rows: list, row, direction: int) -> bool:
    index = next(i for i, each in enumerate(rows) if each.pk == row.pk)
    other = index + direction
    if direction not in (-1, 1) or not 0 <= other < len(rows):
        return False
    first, second = rows[index], rows[other]
    first.position, second.position = second.position, first.position
    type(row).objects.filter(pk=first.pk).update(position=first.position)
    type(row).objects.filter(pk=second.pk).update(position=second.position)
    return True


# Pages ------------------------------------------------------------------------------------------


@transaction.atomic
def page_save(
    *,
    consultation: Consultation,
    page: SurveyPage | None = None,
    title: str,
    intro: str = "",
    condition: dict | None = None,
    actor,
) -> SurveyPage:
    """A new page at the end of the survey, or the page with new wording or condition."""
    _require_runs(actor, consultation)
    if page is not None and page.consultation_id != consultation.pk:
        raise ValidationError(_("Choose a page of this consultation."))
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Enter a title for the page")})
    before = page_order(page) if page is not None else AFTER_EVERY_PAGE
    try:
        condition = condition_validate(condition, consultation=consultation, before=before)
    except ValidationError as error:
        raise ValidationError({"condition": error.messages}) from None
    if page is None:
        last = consultation.pages.order_by("-position").values_list("position", flat=True).first()
        page = SurveyPage.objects.create(
            consultation=consultation,
            position=0 if last is None else last + 1,
            title=title,
            intro=intro.strip(),
            condition=condition,
        )
        _audit(actor, consultation, f"Added survey page #{page.pk}")
        return page
    if (page.title, page.intro, page.condition) != (title, intro.strip(), condition):
        page.title, page.intro, page.condition = title, intro.strip(), condition
        page.save(update_fields=["title", "intro", "condition"])
        _audit(actor, consultation, f"Changed survey page #{page.pk}")
    return page


@transaction.atomic
def page_move(*, page: SurveyPage, direction: int, actor) -> bool:
    """Swap the page with the one before (-1) or after (+1); conditions this breaks are shown as
    the survey's problems (checks.consultation_problems) and stop publishing."""
    consultation = page.consultation
    _require_runs(actor, consultation)
    pages = _renumber(consultation.pages.select_for_update().order_by("position", "pk"))
    moved = _moved(pages, page, direction)
    if moved:
        where = "up" if direction < 0 else "down"
        _audit(actor, consultation, f"Moved survey page #{page.pk} {where}")
    return moved


@transaction.atomic
def page_delete(*, page: SurveyPage, actor) -> None:
    consultation = page.consultation
    _require_runs(actor, consultation)
    if Question.objects.filter(page=page, answers__isnull=False).exists():
        raise ValidationError(
            _("Residents have answered “%(page)s”, so it cannot be removed.") % {"page": page}
        )
    _audit(actor, consultation, f"Removed survey page #{page.pk}")
    page.delete()


# Questions --------------------------------------------------------------------------------------


def _labels(options: list[str]) -> list[str]:
    return [label.strip() for label in options if label and label.strip()]


def _check(draft: QuestionDraft, *, page: SurveyPage) -> dict:
    """The draft's settings and condition, checked; every problem named by its field."""
    problems: dict[str, list[str]] = {}
    if draft.kind not in Question.Kind.values:
        problems["kind"] = [_("Choose the type of question")]
    if not draft.text.strip():
        problems["text"] = [_("Enter the question")]
    labels = _labels(draft.options)
    if draft.kind in USES_OPTIONS:
        if len(labels) < 2:
            problems["options"] = [_("Enter at least two answers to choose from, one on each line")]
        repeated = next((label for label in labels if labels.count(label) > 1), None)
        if repeated:
            problems["options"] = [
                _("Each answer must be different: “%(label)s” is there twice") % {"label": repeated}
            ]
    if draft.kind in USES_RANGE:
        low, high = draft.min_value, draft.max_value
        if low is not None and high is not None and high < low:
            problems["max_value"] = [_("The largest number must not be below the smallest")]
    try:
        condition = condition_validate(
            draft.condition, consultation=page.consultation, before=page_order(page)
        )
    except ValidationError as error:
        problems["condition"] = error.messages
        condition = None
    if problems:
        raise ValidationError(problems)
    return {**draft.settings(), "condition": condition}


def _options_write(question: Question, labels: list[str]) -> None:
    """The answers in the order given: the first labels go onto the existing options in their
    order, more are added, and those left over are removed unless residents chose them."""
    existing = list(question.options.order_by("position", "pk"))
    for position, label in enumerate(labels):
        if position < len(existing):
            option = existing[position]
            if (option.position, option.label) != (position, label):
                option.position, option.label = position, label
                option.save(update_fields=["position", "label"])
        else:
            Option.objects.create(question=question, position=position, label=label)
    for option in existing[len(labels) :]:
        if option.choices.exists():
            raise ValidationError(
                {
                    "options": _(
                        "Residents have chosen “%(label)s”, so it cannot be removed. You can "
                        "still change its wording."
                    )
                    % {"label": option.label}
                }
            )
        option.delete()


@transaction.atomic
def question_save(
    *, page: SurveyPage, question: Question | None = None, draft: QuestionDraft, actor
) -> Question:
    """A new question at the end of the page, or the question changed. Once residents answered
    it, its type stays (their answers mean what they meant) and their answers stay."""
    consultation = page.consultation
    _require_runs(actor, consultation)
    if question is not None and question.page_id != page.pk:
        raise ValidationError(_("Choose a question of this page."))
    values = _check(draft, page=page)
    labels = _labels(draft.options) if draft.kind in USES_OPTIONS else []
    if question is None:
        last = page.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question.objects.create(
            page=page, position=0 if last is None else last + 1, **values
        )
        Option.objects.bulk_create(
            Option(question=question, position=position, label=label)
            for position, label in enumerate(labels)
        )
        _audit(actor, consultation, f"Added question #{question.pk} to survey page #{page.pk}")
        return question
    if values["kind"] != question.kind and _answered(question):
        raise ValidationError(
            {"kind": _("Residents have answered this question, so its type cannot change")}
        )
    before = (QuestionDraft.of(question), [o.label for o in question.options.all()])
    for name, value in values.items():
        setattr(question, name, value)
    question.save(update_fields=list(values))
    _options_write(question, labels)
    after = (QuestionDraft.of(question), labels)
    if before != after:
        _audit(actor, consultation, f"Changed question #{question.pk}")
    return question


@transaction.atomic
def question_move(*, question: Question, direction: int, actor) -> bool:
    """Swap the question with the one before (-1) or after (+1) on its page."""
    page = question.page
    _require_runs(actor, page.consultation)
    questions = _renumber(page.questions.select_for_update().order_by("position", "pk"))
    moved = _moved(questions, question, direction)
    if moved:
        where = "up" if direction < 0 else "down"
        _audit(actor, page.consultation, f"Moved question #{question.pk} {where}")
    return moved


@transaction.atomic
def questions_reorder(*, page: SurveyPage, order: list[int], actor) -> bool:
    """Put the page's questions in the order given by their ids (a drag in the builder); False
    when it is the order they are in already. Refused, with nothing moved, unless `order`
    names every question of the page once: the page changed since it was drawn. A condition
    looks only at earlier pages, so no order on one page can break one."""
    _require_runs(actor, page.consultation)
    questions = list(page.questions.select_for_update().order_by("position", "pk"))
    if sorted(order) != sorted(question.pk for question in questions):
        raise ValidationError(
            _("The questions on the page changed while you were moving them. Move them again.")
        )
    if order == [question.pk for question in questions]:
        return False
    by_id = {question.pk: question for question in questions}
    _renumber(by_id[question_id] for question_id in order)
    _audit(actor, page.consultation, f"Reordered the questions of survey page #{page.pk}")
    return True


@transaction.atomic
def question_delete(*, question: Question, actor) -> dict:
    """Remove a question nobody answered; what is returned puts it back (`question_restore`)."""
    page = question.page
    _require_runs(actor, page.consultation)
    if _answered(question):
        raise ValidationError(
            _("Residents have answered “%(question)s”, so it cannot be removed. You can still "
              "change its wording.") % {"question": question.text}
        )  # fmt: skip
    kept = asdict(QuestionDraft.of(question))
    kept["min_value"] = None if question.min_value is None else str(question.min_value)
    kept["max_value"] = None if question.max_value is None else str(question.max_value)
    snapshot = {
        "id": question.pk,
        "page": page.pk,
        "position": question.position,
        "question": kept,
        "option_ids": [option.pk for option in question.options.all()],
    }
    _audit(actor, page.consultation, f"Removed question #{question.pk}")
    question.delete()
    return snapshot


@transaction.atomic
def question_restore(*, page: SurveyPage, snapshot: dict, actor) -> Question:
    """Put a deleted question back where it was, with its ids, so that conditions on it hold."""
    _require_runs(actor, page.consultation)
    if snapshot.get("page") != page.pk:
        raise ValidationError(_("That question was on another page."))
    kept = dict(snapshot["question"])
    options, option_ids = kept.pop("options"), snapshot["option_ids"]
    condition = kept.pop("condition")
    draft = QuestionDraft(**kept, options=options, condition=None)
    values = draft.settings()
    for name in ("min_value", "max_value"):
        values[name] = None if values[name] is None else Decimal(values[name])
    position = snapshot["position"]
    page.questions.filter(position__gte=position).update(position=F("position") + 1)
    try:
        with transaction.atomic():
            question = Question.objects.create(
                pk=snapshot["id"], page=page, position=position, condition=condition, **values
            )
            Option.objects.bulk_create(
                Option(pk=option_id, question=question, position=index, label=label)
                for index, (option_id, label) in enumerate(zip(option_ids, options, strict=True))
            )
    except IntegrityError:
        raise ValidationError(_("That question is back already.")) from None
    _audit(actor, page.consultation, f"Restored question #{question.pk}")
    return question
