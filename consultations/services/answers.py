"""A survey's answers, whoever is answering: which pages and questions apply given the answers so
far, the checks on one answer (every rule about an answer lives here, so the resident's pages,
the API and tests all meet the same ones), and the answers in words for the check page and the
receipt.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic.postcodes import normalise_postcode
from consultations.models import (
    Answer,
    Consultation,
    Option,
    Question,
    Response,
    SurveyPage,
)
from consultations.services import wording

TEXT_LIMIT = 10_000  # the most characters any one text answer may hold, whatever the question says
OTHER_LIMIT = 500  # "Other, please specify"
EMAIL_LIMIT = 254
OTHER = "other"  # the value of the "Other" checkbox of a multiple-choice question

Kind = Question.Kind


# ---------------------------------------------------------------------------------------------
# The survey and which of it applies
# ---------------------------------------------------------------------------------------------


@dataclass
class Survey:
    """A consultation's pages with their questions and options, loaded in three queries."""

    consultation: Consultation
    pages: list[SurveyPage]

    @property
    def questions(self) -> list[Question]:
        return [question for page in self.pages for question in page.questions.all()]

    def number_of(self, page: SurveyPage) -> int:
        """The page's number in addresses, counting from 1 (hidden pages keep their number)."""
        return next(index for index, item in enumerate(self.pages, 1) if item.pk == page.pk)


def survey_load(consultation: Consultation) -> Survey:
    questions = Question.objects.order_by("position", "pk").prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("position", "pk"))
    )
    pages = list(
        consultation.pages.order_by("position", "pk").prefetch_related(
            Prefetch("questions", queryset=questions)
        )
    )
    return Survey(consultation=consultation, pages=pages)


@dataclass
class AnswerState:
    """What a condition can look at: whether a question is answered, and with which options."""

    answered: bool = True
    option_ids: set[int] = field(default_factory=set)


def answer_states(response: Response, *, exclude: Iterable[int] = ()) -> dict[int, AnswerState]:
    states: dict[int, AnswerState] = {}
    answers = response.answers.exclude(question_id__in=list(exclude)).prefetch_related("choices")
    for answer in answers:
        states[answer.question_id] = AnswerState(
            option_ids={choice.option_id for choice in answer.choices.all()}
        )
    return states


def condition_met(condition, states: Mapping[int, AnswerState]) -> bool:
    """{"question": id, "option": id} or {"question": id, "answered": true}, against the answers
    of questions that are themselves shown. A malformed condition shows the question: the
    builder refuses those, and hiding a question by mistake would lose answers silently."""
    if not condition or not isinstance(condition, dict) or "question" not in condition:
        return True
    try:
        state = states.get(int(condition["question"]))
        if state is None:
            return False
        if condition.get("option") is not None:
            return int(condition["option"]) in state.option_ids
    except (TypeError, ValueError):
        return True
    return state.answered if condition.get("answered") else True


@dataclass
class Visible:
    pages: set[int]
    questions: set[int]


def visibility(survey: Survey, states: Mapping[int, AnswerState]) -> Visible:
    """Which pages and questions apply, given the answers. Conditions only look back, so one
    pass in order settles chains: an answer to a hidden question counts as no answer."""
    shown: dict[int, AnswerState] = {}
    visible = Visible(pages=set(), questions=set())
    for page in survey.pages:
        if not condition_met(page.condition, shown):
            continue
        visible.pages.add(page.pk)
        for question in page.questions.all():
            if condition_met(question.condition, shown):
                visible.questions.add(question.pk)
                if question.pk in states:
                    shown[question.pk] = states[question.pk]
    return visible


# ---------------------------------------------------------------------------------------------
# Validating one answer
# ---------------------------------------------------------------------------------------------


@dataclass
class Cleaned:
    """One valid answer, ready to store: text, number or date, and the options chosen (with
    their rank for a ranking)."""

    text: str = ""
    number: Decimal | None = None
    date: datetime.date | None = None
    choices: dict[int, int | None] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.text or self.number is not None or self.date or self.choices)

    def state(self) -> AnswerState:
        return AnswerState(option_ids=set(self.choices))


def required_message(question: Question) -> str:
    """The message for a required question left unanswered: it names the question, so that
    two of them on one page never read the same (consultations.services.wording)."""
    return wording.required_message(question)


def text_value(value: Any) -> str:
    """A string as the browser meant it: line endings counted once, no NUL (which PostgreSQL
    cannot store), no surrounding spaces."""
    if value is None:
        return ""
    if not isinstance(value, str | int | Decimal):
        raise ValidationError(_("Enter your answer as text"), code="invalid")
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _limit_text(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValidationError(
            ngettext(
                "Your answer must be %(limit)s character or fewer",
                "Your answer must be %(limit)s characters or fewer",
                limit,
            )
            % {"limit": f"{limit:,}"},
            code="max_length",
        )
    return text


def email_clean(value: Any) -> str:
    text = text_value(value)
    if text:
        try:
            if len(text) > EMAIL_LIMIT:
                raise ValidationError("too long")
            validate_email(text)
        except ValidationError:
            raise ValidationError(
                _("Enter an e-mail address in the correct format, like name@example.com"),
                code="invalid",
            ) from None
    return text


def _option_id(value: Any, options: dict[int, Option]) -> int:
    try:
        option_id = int(str(value).strip())
    except (TypeError, ValueError):
        option_id = None
    if option_id not in options:
        raise ValidationError(_("Select one of the options given"), code="invalid_option")
    return option_id


def _number_text(value: Decimal) -> str:
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value)


def _clean_number(question: Question, value: Any) -> Cleaned:
    if isinstance(value, Decimal | int | float):
        text = str(value)
    else:
        text = text_value(value).replace(",", "").replace(" ", "")
    if not text:
        return Cleaned()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(_("Enter a number, like 12"), code="invalid")
    if abs(number) >= Decimal(10) ** 12:
        raise ValidationError(_("Enter a smaller number"), code="invalid")
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("Enter a number with up to 2 decimal places"), code="invalid")
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            message = _("Enter a number between %(low)s and %(high)s")
        elif low is not None:
            message = _("Enter a number that is %(low)s or more")
        else:
            message = _("Enter a number that is %(high)s or less")
        bounds = {
            "low": _number_text(low) if low is not None else "",
            "high": _number_text(high) if high is not None else "",
        }
        raise ValidationError(message % bounds, code="out_of_range")
    return Cleaned(number=number.quantize(Decimal("0.01")))


def _clean_date(value: Any) -> Cleaned:
    if isinstance(value, datetime.date):
        return Cleaned(date=value)
    if isinstance(value, str):
        if not value.strip():
            return Cleaned()
        try:
            return Cleaned(date=datetime.date.fromisoformat(value.strip()))
        except ValueError:
            raise ValidationError(_("Enter a real date, like 27 3 2024"), code="invalid") from None
    if isinstance(value, Mapping):
        parts = [text_value(value.get(part)) for part in ("day", "month", "year")]
    elif isinstance(value, list | tuple) and len(value) == 3:
        parts = [text_value(part) for part in value]
    elif value is None:
        return Cleaned()
    else:
        raise ValidationError(_("Enter a real date, like 27 3 2024"), code="invalid")
    if not any(parts):
        return Cleaned()
    names = [_("a day"), _("a month"), _("a year")]
    missing = [name for name, part in zip(names, parts, strict=True) if not part]
    if missing:
        raise ValidationError(
            _("The date must include %(parts)s") % {"parts": _(" and ").join(missing)},
            code="incomplete",
        )
    day, month, year = parts
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise ValidationError(_("Enter a real date, like 27 3 2024"), code="invalid")
    if len(year) != 4:
        raise ValidationError(_("The year must have 4 numbers, like 2024"), code="invalid")
    try:
        return Cleaned(date=datetime.date(int(year), int(month), int(day)))
    except ValueError:
        raise ValidationError(_("Enter a real date, like 27 3 2024"), code="invalid") from None


def _clean_multiple(question: Question, value: Any, options: dict[int, Option]) -> Cleaned:
    other_text = ""
    if isinstance(value, Mapping):
        chosen, other_text = value.get("options") or [], value.get("other") or ""
    elif value is None or value == "":
        chosen = []
    elif isinstance(value, list | tuple | set):
        chosen = list(value)
    else:
        chosen = [value]
    other = False
    choices: dict[int, int | None] = {}
    for item in chosen:
        if str(item) == OTHER:
            if not question.allow_other:
                raise ValidationError(_("Select one of the options given"), code="invalid_option")
            other = True
        else:
            choices[_option_id(item, options)] = None
    text = ""
    if other:  # the text of an unticked "Other" is ignored, as the page hides it
        text = text_value(other_text)
        if not text:
            raise ValidationError(_("Say what your other answer is"), code="other_required")
        if len(text) > OTHER_LIMIT:
            raise ValidationError(
                _("Your other answer must be %(limit)s characters or fewer")
                % {"limit": OTHER_LIMIT},
                code="other_max_length",
            )
    return Cleaned(text=text, choices=choices)


def _clean_ranking(value: Any, options: dict[int, Option]) -> Cleaned:
    if value is None or value == "":
        return Cleaned()
    if not isinstance(value, Mapping):
        raise ValidationError(_("Give each option a rank"), code="invalid")
    ranks: dict[int, int] = {}
    for key, rank in value.items():
        option_id = _option_id(key, options)
        rank = text_value(rank)
        if not rank:
            continue
        if not rank.isdigit() or not 1 <= int(rank) <= len(options):
            raise ValidationError(
                _("Give each option a rank from 1 to %(count)s") % {"count": len(options)},
                code="invalid",
            )
        ranks[option_id] = int(rank)
    if not ranks:
        return Cleaned()
    if len(ranks) != len(options):
        raise ValidationError(_("Give every option a rank"), code="incomplete")
    if len(set(ranks.values())) != len(ranks):
        raise ValidationError(_("Give each option a different rank"), code="duplicate_rank")
    return Cleaned(choices=dict(sorted(ranks.items(), key=lambda item: item[1])))


def answer_clean(question: Question, value: Any) -> Cleaned:
    """Validate one answer as the resident gave it (strings, as a browser sends them, or the
    Python values an API passes); returns it ready to store, or raises ValidationError with a
    message that says what to do. Required answers are checked by the caller, which knows
    whether the question is shown."""
    kind = question.kind
    if kind in Question.TEXT_KINDS:
        limit = min(question.max_length or TEXT_LIMIT, TEXT_LIMIT)
        return Cleaned(text=_limit_text(text_value(value), limit))
    if kind == Kind.EMAIL:
        return Cleaned(text=email_clean(value))
    if kind == Kind.POSTCODE:
        text = text_value(value)
        return Cleaned(text=normalise_postcode(text[:20]) if text else "")
    if kind == Kind.NUMBER:
        return _clean_number(question, value)
    if kind == Kind.DATE:
        return _clean_date(value)
    options = {option.pk: option for option in question.options.all()}
    if kind in {Kind.SINGLE_CHOICE, Kind.DROPDOWN, Kind.SCALE}:
        if value is None or text_value(value) == "":
            return Cleaned()
        return Cleaned(choices={_option_id(value, options): None})
    if kind == Kind.MULTIPLE_CHOICE:
        return _clean_multiple(question, value, options)
    if kind == Kind.RANKING:
        return _clean_ranking(value, options)
    if kind == Kind.CONSENT:
        agreed = value is True or str(value).strip().lower() in {"yes", "on", "true", "1"}
        return Cleaned(text="yes" if agreed else "")
    raise ValidationError(_("This question cannot be answered."), code="invalid")


def survey_progress(response: Response, survey: Survey | None = None):
    """(survey, visible, answered question ids, unanswered required questions shown)."""
    survey = survey or survey_load(response.consultation)
    states = answer_states(response)
    visible = visibility(survey, states)
    missing = [
        question
        for question in survey.questions
        if question.pk in visible.questions and question.required and question.pk not in states
    ]
    return survey, visible, set(states), missing


# ---------------------------------------------------------------------------------------------
# What the resident said, in words: the check page and the receipt
# ---------------------------------------------------------------------------------------------


@dataclass
class SummaryRow:
    question: Question
    lines: list[str]  # the answer, one line each (the options chosen, in rank order)


@dataclass
class SummarySection:
    page: SurveyPage
    number: int
    rows: list[SummaryRow]


def answer_lines(question: Question, answer: Answer | None) -> list[str]:
    if answer is None:
        return []
    labels = {option.pk: option.label for option in question.options.all()}
    choices = list(answer.choices.all())
    if question.kind == Kind.RANKING:
        ranked = sorted(choices, key=lambda choice: choice.rank or 0)
        return [f"{choice.rank}. {labels.get(choice.option_id, '')}" for choice in ranked]
    if question.kind in Question.CHOICE_KINDS:
        lines = [labels.get(choice.option_id, "") for choice in choices]
        if answer.text:
            lines.append(_("Other: %(text)s") % {"text": answer.text})
        return lines
    if question.kind == Kind.NUMBER and answer.number is not None:
        return [_number_text(answer.number)]
    if question.kind == Kind.DATE and answer.date:
        return [date_format(answer.date, "j F Y")]
    if question.kind == Kind.CONSENT:
        return [_("Yes")] if answer.text else []
    return [answer.text] if answer.text else []


def answers_summary(response: Response, survey: Survey | None = None) -> list[SummarySection]:
    """Every page and question that applies, with the answer given (an empty list if none)."""
    survey, visible, _answered, _missing = survey_progress(response, survey)
    answers = {
        answer.question_id: answer
        for answer in response.answers.prefetch_related("choices").order_by()
    }
    sections = []
    for number, page in enumerate(survey.pages, 1):
        if page.pk not in visible.pages:
            continue
        rows = [
            SummaryRow(question=question, lines=answer_lines(question, answers.get(question.pk)))
            for question in page.questions.all()
            if question.pk in visible.questions
        ]
        sections.append(SummarySection(page=page, number=number, rows=rows))
    return sections
