"""Residents responding to a consultation's survey: a draft kept page by page, then submitted once.

Every rule about an answer lives here, so the resident's pages, the API and tests all meet the
same checks: a page's answers are validated together and stored all or nothing, a tampered
question or option id stores nothing, and a submitted response never changes again. The database
settles the races: the response row is locked while it is submitted (a double click stores one
response), and a partial unique constraint refuses a second response by one signed-in person.

Abuse protection avoids CAPTCHAs, which shut out the people a council most needs to hear from:
a honeypot field, a minimum time between loading the start page and submitting (the start form
carries a signed timestamp), and a limit per client address on starting, submitting and asking
for resume links, all checked by the shared guard for public forms (civic.form_guard). Settings
(read when used, never at import):

    CIVIC_RESPONSE_RATE          "20/h": starts, submits and resume links per address per period
    CIVIC_RESPONSE_MIN_SECONDS   5: the least time from the start page to submitting
    CIVIC_RESPONSE_RESUME_DAYS   30: how long a "come back later" link works
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.postcodes import normalise_postcode
from civic.services import area_for_postcode
from consultations.models import (
    ACTIVITY_RESPONSE,
    SOURCE_SURVEY,
    Answer,
    AnswerChoice,
    Consultation,
    Option,
    Question,
    Response,
    SurveyPage,
)
from consultations.services import consultation_purpose, consultation_url, wording
from consultations.services.results import results_recount_soon

# Letters and digits that cannot be mistaken for one another when read aloud or retyped
# (no 0/O, 1/I/L, U/V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
TEXT_LIMIT = 10_000  # the most characters any one text answer may hold, whatever the question says
OTHER_LIMIT = 500  # "Other, please specify"
EMAIL_LIMIT = 254
OTHER = "other"  # the value of the "Other" checkbox of a multiple-choice question
START_SALT = "consultations.respond-start"
RESUME_SALT = "consultations.respond-resume"

Kind = Question.Kind


# ---------------------------------------------------------------------------------------------
# Settings, read when used
# ---------------------------------------------------------------------------------------------


def resume_days() -> int:
    return int(getattr(settings, "CIVIC_RESPONSE_RESUME_DAYS", 30))


# ---------------------------------------------------------------------------------------------
# Abuse protection
# ---------------------------------------------------------------------------------------------


# A response the service will not take is a Refused (civic.form_guard), coded closed, sign_in,
# already_responded, submitted, spam, rate_limited or tampered. The start page's form carries
# the signed moment it was drawn; the least time is counted from it to submitting. Starting,
# submitting and asking for a resume link are each limited per address (the guard's steps).
RESPONDING = FormGuard(
    action="consultations:respond",
    salt=START_SALT,
    least_seconds=Setting("CIVIC_RESPONSE_MIN_SECONDS", 5),
    limits=[Limit("", "CIVIC_RESPONSE_RATE", "20/h")],
    too_many=gettext_lazy(
        "There have been too many responses from your internet connection in a short time. "
        "Try again later."
    ),
)
start_token = RESPONDING.token  # the signed moment the start page was drawn, carried by its form


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


def _text(value: Any) -> str:
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
    text = _text(value)
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
        text = _text(value).replace(",", "").replace(" ", "")
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
        parts = [_text(value.get(part)) for part in ("day", "month", "year")]
    elif isinstance(value, list | tuple) and len(value) == 3:
        parts = [_text(part) for part in value]
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
        text = _text(other_text)
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
        rank = _text(rank)
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
        return Cleaned(text=_limit_text(_text(value), limit))
    if kind == Kind.EMAIL:
        return Cleaned(text=email_clean(value))
    if kind == Kind.POSTCODE:
        text = _text(value)
        return Cleaned(text=normalise_postcode(text[:20]) if text else "")
    if kind == Kind.NUMBER:
        return _clean_number(question, value)
    if kind == Kind.DATE:
        return _clean_date(value)
    options = {option.pk: option for option in question.options.all()}
    if kind in {Kind.SINGLE_CHOICE, Kind.DROPDOWN, Kind.SCALE}:
        if value is None or _text(value) == "":
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


# ---------------------------------------------------------------------------------------------
# Starting, saving a page, submitting
# ---------------------------------------------------------------------------------------------


def reference_new() -> str:
    """Like RC-7K4P-Q2ZD: 29^8, about 500 billion, so guessing one is hopeless and a clash (which
    the unique constraint catches) is rare."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RC-{letters[:4]}-{letters[4:]}"


def _require_open(consultation: Consultation, now=None) -> None:
    if consultation.is_open(now):
        return
    stage = consultation.stage_at(now)
    if stage == Consultation.Stage.SCHEDULED:
        message = _("This consultation opens on %(date)s. You can respond from then.") % {
            "date": date_format(timezone.localtime(consultation.opens_at), "j F Y")
        }
    elif stage == Consultation.Stage.DRAFT:
        message = _("This consultation is not open.")
    else:
        message = _("This consultation closed on %(date)s. It no longer accepts responses.") % {
            "date": date_format(timezone.localtime(consultation.closes_at), "j F Y")
        }
    raise Refused(message, code="closed")


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _require_person(consultation: Consultation, user, response: Response | None = None) -> None:
    if not consultation.allow_anonymous and not _signed_in(user):
        raise Refused(_("Sign in to respond to this consultation."), code="sign_in")
    if (
        response is not None
        and response.user_id
        and (not _signed_in(user) or user.pk != response.user_id)
    ):
        raise Refused(_("Sign in with the account you started this response with."), code="sign_in")


def already_responded(*, consultation: Consultation, user) -> bool:
    """True when the consultation takes one response each and this person has sent theirs."""
    return (
        consultation.one_response_per_person
        and _signed_in(user)
        and consultation.responses.filter(
            status=Response.Status.SUBMITTED, user_id=user.pk
        ).exists()
    )


def _already_refusal() -> Refused:
    return Refused(
        _("You have already responded to this consultation. Each person can respond once."),
        code="already_responded",
    )


def response_start(
    *,
    consultation: Consultation,
    user=None,
    token: str,
    honeypot: str = "",
    ip: str | None = None,
) -> Response:
    """Open a draft response. `token` is the start form's signed timestamp: without it (a
    script posting straight here) or with the honeypot filled in, nothing is stored."""
    _require_open(consultation)
    _require_person(consultation, user)
    if already_responded(consultation=consultation, user=user):
        raise _already_refusal()
    # The start page is a button: the least fill time is counted from here to submitting.
    started_at = RESPONDING.check(
        honeypot=honeypot, token=token, ip=ip, step="start", fill_time=False
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Response.objects.create(
                    consultation=consultation,
                    reference=reference_new(),
                    user=user if _signed_in(user) else None,
                    started_at=started_at,
                )
        except IntegrityError:  # the same reference drawn twice: draw again
            continue
    raise RuntimeError("Could not draw an unused response reference")


def _lock_draft(response: Response) -> Response:
    locked = (
        Response.objects.select_for_update(of=("self",))
        .select_related("consultation__department__organisation")
        .get(pk=response.pk)
    )
    if locked.status != Response.Status.DRAFT:
        raise Refused(
            _("This response has been sent, so it can no longer be changed."), code="submitted"
        )
    return locked


@transaction.atomic
def answers_save(
    *,
    response: Response,
    page: SurveyPage,
    answers: Mapping[int, Any],
    complete: bool = True,
    user=None,
) -> Response:
    """Store the answers to one page, all or nothing.

    `answers` maps question ids to what the resident gave. With `complete` (Continue), every
    required question that is shown must be answered; without it (Back, Save for later) missing
    answers are allowed, but whatever is given must still be valid. Raises ValidationError whose
    error_dict maps question ids to messages, or Refused."""
    locked = _lock_draft(response)
    consultation = locked.consultation
    _require_open(consultation)
    _require_person(consultation, user, locked)
    survey = survey_load(consultation)
    page = next((item for item in survey.pages if item.pk == page.pk), None)
    questions = list(page.questions.all()) if page else []
    if page is None or set(answers) - {question.pk for question in questions}:
        raise Refused(
            _("The form did not match this survey. Reload the page and try again."),
            code="tampered",
        )
    cleaned: dict[int, Cleaned] = {}
    errors: dict[int, ValidationError] = {}
    for question in questions:
        try:
            cleaned[question.pk] = answer_clean(question, answers.get(question.pk))
        except ValidationError as error:
            errors[question.pk] = error
    states = answer_states(locked, exclude=cleaned.keys() | errors.keys())
    states.update({pk: answer.state() for pk, answer in cleaned.items() if not answer.empty})
    visible = visibility(survey, states)
    errors = {pk: error for pk, error in errors.items() if pk in visible.questions}
    if complete and page.pk in visible.pages:
        for question in questions:
            shown = question.pk in visible.questions
            unanswered = question.pk not in errors and cleaned[question.pk].empty
            if shown and question.required and unanswered:
                errors[question.pk] = ValidationError(required_message(question), code="required")
    if errors:
        raise ValidationError(errors)
    Answer.objects.filter(response=locked, question__in=questions).delete()
    _store(
        locked,
        {
            pk: answer
            for pk, answer in cleaned.items()
            if pk in visible.questions and not answer.empty
        },
    )
    if any(question.kind == Kind.POSTCODE for question in questions):
        _area_update(locked, survey, visible)
    Response.objects.filter(pk=locked.pk).update(saved_at=timezone.now())
    return locked


def _store(response: Response, cleaned: Mapping[int, Cleaned]) -> None:
    answers = Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=pk,
            text=answer.text,
            number=answer.number,
            date=answer.date,
        )
        for pk, answer in cleaned.items()
    )
    AnswerChoice.objects.bulk_create(
        AnswerChoice(answer=stored, option_id=option_id, rank=rank)
        for stored, answer in zip(answers, cleaned.values(), strict=True)
        for option_id, rank in answer.choices.items()
    )


def _area_update(response: Response, survey: Survey, visible: Visible) -> None:
    """The response's area, from the first shown postcode answer (the directory of the
    consultation's organisation says which ward it lies in)."""
    postcode_ids = [
        question.pk
        for question in survey.questions
        if question.kind == Kind.POSTCODE and question.pk in visible.questions
    ]
    postcodes = dict(
        response.answers.filter(question_id__in=postcode_ids).values_list("question_id", "text")
    )
    postcode = next((postcodes[pk] for pk in postcode_ids if postcodes.get(pk)), "")
    area = (
        area_for_postcode(organisation=survey.consultation.organisation, postcode=postcode)
        if postcode
        else None
    )
    if response.area_id != (area.pk if area else None):
        response.area = area
        response.save(update_fields=["area"])


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


def new_consultations_purpose(consultation: Consultation):
    """The organisation's consent purpose 'news of new consultations'."""
    from contacts.models import ConsentPurpose

    purpose, _created = ConsentPurpose.objects.get_or_create(
        organisation_id=consultation.department.organisation_id,
        slug="new-consultations",
        defaults={
            "name": _("New consultations"),
            "description": _("An e-mail when the council opens a new consultation."),
        },
    )
    return purpose


@dataclass(frozen=True)
class Consents:
    """What the resident ticked on the check-your-answers page, with the words they saw."""

    hear_about_outcome: bool = False
    hear_about_new: bool = False
    outcome_wording: str = ""
    new_wording: str = ""


def response_submit(
    *,
    response: Response,
    user=None,
    email: str = "",
    send_receipt: bool = False,
    consents: Consents | None = None,
    agrees_to_publish: bool = False,
    honeypot: str = "",
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> Response:
    """Submit the draft, once however often it is sent: the row is locked, and a response that
    is already submitted comes back unchanged (a double click, the back button, a replayed
    POST). Answers to questions that no longer apply are deleted first. With consent, the
    respondent becomes a contact with the response on their timeline; a receipt is queued if
    asked for. Raises Refused, or ValidationError mapping question ids (unanswered) and
    "email" to messages."""
    now = now or timezone.now()
    consents = consents or Consents()
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation__department__organisation")
            .get(pk=response.pk)
        )
        if locked.status == Response.Status.SUBMITTED:
            return locked
        consultation = locked.consultation
        _require_open(consultation, now)
        _require_person(consultation, user, locked)
        RESPONDING.refuse_spam(honeypot=honeypot, drawn_at=locked.started_at, now=now)

        survey, visible, _answered, missing = survey_progress(locked)
        errors: dict[Any, ValidationError] = {
            question.pk: ValidationError(required_message(question), code="required")
            for question in missing
        }
        email = _text(email)
        wants_mail = send_receipt or consents.hear_about_outcome or consents.hear_about_new
        if wants_mail and not email:
            errors["email"] = ValidationError(
                _("Enter your e-mail address, or untick the boxes that need one"),
                code="required",
            )
        elif email:
            try:
                email_clean(email)
            except ValidationError as error:
                errors["email"] = error
        if errors:
            raise ValidationError(errors)
        RESPONDING.refuse_too_many(ip, step="submit")

        locked.answers.exclude(question_id__in=visible.questions).delete()
        _area_update(locked, survey, visible)
        signed_in = _signed_in(user)
        if signed_in:
            locked.user = user
        locked.one_per_person = (
            locked.user_id if consultation.one_response_per_person and locked.user_id else None
        )
        locked.status = Response.Status.SUBMITTED
        locked.submitted_at = now
        # An address kept only for what the resident asked to be sent (the resume link's too).
        locked.email = email if wants_mail else ""
        locked.agrees_to_publish = agrees_to_publish
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise _already_refusal() from None

        if consents.hear_about_outcome or consents.hear_about_new:
            _participation_record(locked, survey, user if signed_in else None, consents)
        if send_receipt:
            _receipt_enqueue(locked, survey)
        results_recount_soon(consultation.pk)
    return locked


def _participation_record(response: Response, survey: Survey, user, consents: Consents) -> None:
    from contacts.services import ConsentGiven, participation_record

    consultation = response.consultation
    method = _("Response %(reference)s to “%(title)s”") % {
        "reference": response.reference,
        "title": consultation.title[:120],
    }
    given = []
    if consents.hear_about_outcome:
        given.append(
            ConsentGiven(
                purpose=consultation_purpose(consultation),
                wording=consents.outcome_wording,
                method=method,
            )
        )
    if consents.hear_about_new:
        given.append(
            ConsentGiven(
                purpose=new_consultations_purpose(consultation),
                wording=consents.new_wording,
                method=method,
            )
        )
    postcode = (
        response.answers.filter(question__kind=Kind.POSTCODE)
        .exclude(text="")
        .values_list("text", flat=True)
        .first()
        or ""
    )
    activity = participation_record(
        organisation=consultation.organisation,
        email=response.email,
        kind=ACTIVITY_RESPONSE,
        item=consultation,
        item_title=consultation.title,
        reference=response.reference,
        source=SOURCE_SURVEY,
        postcode=postcode,
        user=user,
        department=consultation.department,
        occurred_at=response.submitted_at,
        consents=given,
    )
    response.contact_id = activity.contact_id
    response.save(update_fields=["contact"])


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


def _receipt_enqueue(response: Response, survey: Survey) -> None:
    from mailing.services import transactional_enqueue

    consultation = response.consultation
    context = {
        "consultation": consultation,
        "response": response,
        "sections": answers_summary(response, survey),
        "url": consultation_url(consultation),
        "site_name": settings.CIVIC_SITE_NAME,
    }
    transactional_enqueue(
        organisation=consultation.organisation,
        to_email=response.email,
        subject=render_to_string(
            "consultations/respond/email/receipt_subject.txt", context
        ).strip(),
        text=render_to_string("consultations/respond/email/receipt.txt", context),
        contact=response.contact,
    )


# ---------------------------------------------------------------------------------------------
# Save and come back later
# ---------------------------------------------------------------------------------------------


def resume_token(response: Response) -> str:
    """A signed link to a draft, naming it by id only (links land in mail and access logs)."""
    return signing.dumps({"response": response.pk}, salt=RESUME_SALT)


def resume_url(response: Response) -> str:
    path = reverse(
        "consultations:respond_resume",
        args=[response.consultation.slug, resume_token(response)],
    )
    return settings.CIVIC_SITE_URL + path


def response_from_resume_token(*, token: str, consultation: Consultation) -> Response | None:
    """The response a link was made for, or None when it is forged, too old or for another
    consultation. The caller decides what a submitted response means."""
    try:
        payload = signing.loads(token, salt=RESUME_SALT, max_age=resume_days() * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("response"), int):
        return None
    return consultation.responses.filter(pk=payload["response"]).first()


def resume_link_send(*, response: Response, email: str, ip: str | None = None) -> Response:
    """E-mail a link that resumes the draft (from a worker, once this transaction commits)."""
    from mailing.services import transactional_enqueue

    email = _text(email)
    if not email:
        raise ValidationError({"email": _("Enter your e-mail address")})
    try:
        email_clean(email)
    except ValidationError as error:
        raise ValidationError({"email": error}) from None
    with transaction.atomic():
        locked = _lock_draft(response)
        _require_open(locked.consultation)
        RESPONDING.refuse_too_many(ip, step="resume-link")
        locked.email = email
        locked.saved_at = timezone.now()
        locked.save(update_fields=["email", "saved_at"])
        consultation = locked.consultation
        context = {
            "consultation": consultation,
            "link": resume_url(locked),
            "days": resume_days(),
            "closes_at": timezone.localtime(consultation.closes_at),
            "site_name": settings.CIVIC_SITE_NAME,
        }
        transactional_enqueue(
            organisation=consultation.organisation,
            to_email=email,
            subject=render_to_string(
                "consultations/respond/email/resume_subject.txt", context
            ).strip(),
            text=render_to_string("consultations/respond/email/resume.txt", context),
        )
    return locked


# Abandoned drafts -------------------------------------------------------------------------------

DRAFTS_DELETED_AT_ONCE = 500


def drafts_remove(*, now: datetime.datetime | None = None) -> int:
    """Delete drafts that can no longer be sent: untouched for longer than a resume link works
    (CIVIC_RESPONSE_RESUME_DAYS), or of a consultation that has closed. A draft may hold an
    e-mail address and answers its resident never sent, so it is not kept for nothing. Deletes a
    few hundred at a time (each with its answers) so no lock is held for long; returns how many."""
    now = now or timezone.now()
    abandoned = Response.objects.filter(status=Response.Status.DRAFT).filter(
        Q(saved_at__lt=now - datetime.timedelta(days=resume_days()))
        | Q(consultation__closes_at__lte=now)
    )
    removed = 0
    while True:
        with transaction.atomic():
            batch = list(
                abandoned.select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:DRAFTS_DELETED_AT_ONCE]
            )
            if not batch:
                return removed
            AnswerChoice.objects.filter(answer__response_id__in=batch).delete()
            Answer.objects.filter(response_id__in=batch).delete()
            _count, deleted = Response.objects.filter(pk__in=batch).delete()
            removed += deleted.get(Response._meta.label, 0)
