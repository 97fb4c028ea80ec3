"""Reads of a consultation's responses that span its models: which submitted responses a figure
counts (`ResponseFilter`), the survey's questions, the written answers to one question, and what
may be shown to everyone (`is_public_question`, published responses and their public answers).

Only submitted responses count; drafts never appear in a figure or a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from consultations.models import Answer, AnswerChoice, Consultation, Question, Response

Kind = Question.Kind
# Answers that identify the respondent: never published, never in open data.
PERSONAL_KINDS = {Kind.EMAIL, Kind.POSTCODE, Kind.CONSENT}
# A short-text question that asks for a name ("Your name", "Full name", "Surname") is personal too.
_ASKS_FOR_NAME = re.compile(r"\b(your|full|first|last|given|family)\s+name\b|\bsurname\b", re.I)


# Filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseFilter:
    """Which submitted responses a figure counts: all, those from one area, those whose answer
    chose one option of another question, or both."""

    area_id: int | None = None
    option_id: int | None = None

    @property
    def active(self) -> bool:
        return self.area_id is not None or self.option_id is not None


NO_FILTER = ResponseFilter()


def submitted_responses(
    consultation: Consultation, filters: ResponseFilter = NO_FILTER
) -> QuerySet[Response]:
    responses = Response.objects.filter(consultation=consultation, status=Response.Status.SUBMITTED)
    if filters.area_id is not None:
        responses = responses.filter(area_id=filters.area_id)
    if filters.option_id is not None:
        responses = responses.filter(
            Exists(
                AnswerChoice.objects.filter(
                    answer__response=OuterRef("pk"), option_id=filters.option_id
                )
            )
        )
    return responses


def survey_questions(consultation: Consultation) -> list[Question]:
    """The survey's questions in order, each with its options (two queries)."""
    return list(
        Question.objects.filter(page__consultation=consultation)
        .select_related("page")
        .prefetch_related("options")
    )


# Free text ---------------------------------------------------------------------------------------


def text_answers(
    *,
    consultation: Consultation,
    question: Question,
    filters: ResponseFilter = NO_FILTER,
    search: str = "",
    theme_id: int | None = None,
) -> QuerySet[Answer]:
    """The written answers to one question, newest first, with their themes; `search` finds
    words anywhere in the answer."""
    answers = Answer.objects.filter(
        question=question, response__in=submitted_responses(consultation, filters)
    ).exclude(text="")
    if search:
        answers = answers.filter(text__icontains=search)
    if theme_id is not None:
        answers = answers.filter(themes=theme_id)
    return (
        answers.select_related("response__area")
        .prefetch_related("themes")
        .order_by("-response__submitted_at", "-pk")
    )


# Published responses ----------------------------------------------------------------------------


def is_public_question(question: Question) -> bool:
    """Whether answers to this question may be shown publicly: never contact details, consent,
    equality monitoring ('About you') or a name."""
    if question.kind in PERSONAL_KINDS or question.about_you:
        return False
    return not (question.kind in Question.TEXT_KINDS and _ASKS_FOR_NAME.search(question.text))


def publishable_responses(consultation: Consultation) -> QuerySet[Response]:
    return submitted_responses(consultation).filter(agrees_to_publish=True)


@dataclass
class PublicAnswer:
    question: str
    answer: str


def public_answer_text(answer: Answer) -> str:
    """An answer in words: chosen options (in rank order for a ranking), a number or a date."""
    choices = list(answer.choices.all())
    if answer.question.kind == Kind.RANKING:
        choices.sort(key=lambda choice: (choice.rank is None, choice.rank or 0))
        parts = [f"{choice.rank}. {choice.option.label}" for choice in choices]
    else:
        choices.sort(key=lambda choice: choice.option.position)
        parts = [choice.option.label for choice in choices]
    if answer.text:
        parts.append(answer.text)
    if answer.number is not None:
        parts.append(plain_number(answer.number))
    if answer.date is not None:
        parts.append(answer.date.isoformat())
    return "; ".join(str(part) for part in parts)


def with_public_answers(
    responses: QuerySet[Response], consultation: Consultation
) -> QuerySet[Response]:
    """The responses, each with only the answers that publication would show prefetched as
    `public_answers` (a page of them costs three queries more)."""
    public = [
        question.pk
        for question in Question.objects.filter(page__consultation=consultation)
        if is_public_question(question)
    ]
    return responses.prefetch_related(
        Prefetch(
            "answers",
            queryset=Answer.objects.filter(question_id__in=public)
            .select_related("question")
            .prefetch_related(
                Prefetch("choices", queryset=AnswerChoice.objects.select_related("option"))
            ),
            to_attr="public_answers",
        )
    )


def published_responses(consultation: Consultation) -> QuerySet[Response]:
    """Responses officers published (with their respondents' agreement), oldest first, each with
    its public answers; for the consultation's page and the open data API."""
    return with_public_answers(
        submitted_responses(consultation)
        .filter(published=True, agrees_to_publish=True)
        .order_by("submitted_at", "pk"),
        consultation,
    )


def public_answers(response: Response) -> list[PublicAnswer]:
    return [
        PublicAnswer(answer.question.text, text)
        for answer in response.public_answers
        if (text := public_answer_text(answer))
    ]


def plain_number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value.normalize()
