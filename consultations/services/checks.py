"""The checks before publishing: everything that would leave residents stuck or unable to ask,
or an outcome that says nothing, each with where an officer fixes it.

One function per thing published is the rule: `consultation_problems` for the consultation and
`outcome_problems` for its outcome ("we asked, you said, we did"). The admin's check pages list
what they find with links, and `consultation_publish` and `outcome_publish` refuse while they
find anything, so the API, a command or any other path cannot publish what the admin would
refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.formatting import when
from consultations.models import Consultation, Question
from consultations.services import builder

# Where the consultation's fields and inlines are on its admin page.
CONSULTATION_CHANGE = "admin:consultations_consultation_change"
# The survey builder (consultations.admin_builder): the survey's outline, and each page's form
# with its questions numbered from 1 (`#question-<n>`).
SURVEY = "admin:consultations_consultation_survey"
SURVEY_PAGE = "admin:consultations_consultation_survey_page"
# The outcome's page (consultations.admin_outcome), and where a decision is added to it.
OUTCOME = "admin:consultations_consultation_outcome"
DECISION_ADD = "admin:consultations_decision_add"


@dataclass(frozen=True)
class Problem:
    """One thing to fix before publishing: what is wrong (`where`, `message`) and the admin page
    and place on it where it is fixed (`url_name` with `args`, then `query` and `anchor`)."""

    where: str
    message: str
    url_name: str
    args: tuple = ()
    anchor: str = ""
    query: str = ""
    code: str = ""

    @property
    def url(self) -> str:
        url = reverse(self.url_name, args=self.args)
        if self.query:
            url = f"{url}?{self.query}"
        return f"{url}#{self.anchor}" if self.anchor else url

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def consultation_problems(consultation: Consultation) -> list[Problem]:
    """Every reason the consultation cannot be published yet, in the order of its page: its
    details and dates, then the survey page by page."""
    here = (consultation.pk,)
    problems: list[Problem] = []
    if not (consultation.contact_details or "").strip():
        problems.append(
            Problem(
                _("Contact details"),
                _(
                    "Add how residents can ask questions about the consultation, such as an "
                    "e-mail address or a phone number."
                ),
                CONSULTATION_CHANGE,
                here,
                anchor="id_contact_details",
                code="no_contact",
            )
        )
    for field, message in Consultation.SCHEDULE.problems(consultation).items():
        problems.append(
            Problem(
                _("Dates"),
                _("%(problem)s. Change the dates so that the consultation closes after it opens.")
                % {"problem": message},
                CONSULTATION_CHANGE,
                here,
                anchor=f"id_{field}_0",
                code="dates",
            )
        )
    pages = list(consultation.pages.prefetch_related("questions__options"))
    if not any(page.questions.all() for page in pages):
        problems.append(
            Problem(
                _("Survey"),
                _("Add at least one question to the survey before publishing."),
                SURVEY,
                here,
                code="no_questions",
            )
        )
    for page in pages:
        problems.extend(_page_problems(consultation, page, alone=len(pages) == 1))
    return problems


def _page_problems(consultation, page, *, alone: bool) -> list[Problem]:
    here = (consultation.pk, page.pk)
    where = _("Page “%(page)s”") % {"page": page.title}
    before = builder.page_order(page)
    problems = []
    problems.extend(
        _condition_problems(consultation, page.condition, before, where, here, "survey-page-form")
    )
    questions = list(page.questions.all())
    if not questions and not alone:  # with one page, "no questions at all" says it
        problems.append(
            Problem(
                where,
                _("The page has no questions. Add a question to it, or remove the page."),
                SURVEY_PAGE,
                here,
                code="empty_page",
            )
        )
    for number, question in enumerate(questions, start=1):
        problems.extend(_question_problems(consultation, question, before, here, number))
    return problems


def _question_problems(
    consultation, question: Question, before, page: tuple, number: int
) -> list[Problem]:
    where = _("Question “%(question)s”") % {"question": question.text}
    problems = []
    if question.has_options and not question.options.all():
        problems.append(
            Problem(
                where,
                _(
                    "Add the answers residents choose from: a %(kind)s question needs options, "
                    "or residents cannot answer it."
                )
                % {"kind": question.get_kind_display().lower()},
                SURVEY_PAGE,
                page,
                anchor=f"question-{number}",
                code="no_options",
            )
        )
    problems.extend(
        _condition_problems(
            consultation, question.condition, before, where, page, f"question-{number}"
        )
    )
    return problems


def _condition_problems(consultation, condition, before, where: str, page: tuple, anchor: str):
    """A page's or a question's condition that no longer holds (it names a question that moved
    after it, or an answer since removed), as a problem linked to where it is set."""
    try:
        builder.condition_validate(condition, consultation=consultation, before=before)
    except ValidationError as error:
        return [
            Problem(
                where,
                " ".join(error.messages),
                SURVEY_PAGE,
                page,
                anchor=anchor,
                code=error.code or "condition",
            )
        ]
    return []


def outcome_problems(consultation: Consultation, now=None) -> list[Problem]:
    """Every reason the outcome cannot be published yet: the consultation has not closed, or
    no decision says what the council did."""
    now = now or timezone.now()
    here = (consultation.pk,)
    problems: list[Problem] = []
    stage = consultation.stage_at(now)
    Stage = Consultation.Stage
    if stage == Stage.DRAFT:
        problems.append(
            Problem(
                _("Status"),
                _(
                    "The consultation is a draft. Publish it first: an outcome can be published "
                    "only after the consultation closes."
                ),
                CONSULTATION_CHANGE,
                here,
                anchor="consultation-publishing",
                code="not_closed",
            )
        )
    elif stage in (Stage.SCHEDULED, Stage.OPEN):
        problems.append(
            Problem(
                _("Dates"),
                _(
                    "Residents can respond until %(closes)s. An outcome can be published only "
                    "after the consultation closes."
                )
                % {"closes": when(consultation.closes_at)},
                CONSULTATION_CHANGE,
                here,
                anchor="id_closes_at_0",
                code="not_closed",
            )
        )
    if not consultation.decisions.exists():
        problems.append(
            Problem(
                _("Decisions"),
                _(
                    "Write at least one decision: what you asked, what residents said and what "
                    "the council did."
                ),
                DECISION_ADD,
                query=f"consultation={consultation.pk}",
                code="no_decision",
            )
        )
    return problems
