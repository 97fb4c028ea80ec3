"""Residents responding to a consultation's survey: a draft kept page by page, then submitted once.

A page's answers are checked together (consultations.services.answers) and stored all or nothing,
a tampered question or option id stores nothing, and a submitted response never changes again.
Resume links are in consultations.services.resume. The database settles the races: the response
row is locked while it is submitted (a double click stores one response), and a partial unique
constraint refuses a second response by one signed-in person.

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.services import area_for_postcode, state_move
from consultations.models import (
    ACTIVITY_RESPONSE,
    SOURCE_SURVEY,
    Answer,
    AnswerChoice,
    Consultation,
    Question,
    Response,
    SurveyPage,
)
from consultations.services import consultation_purpose, consultation_url
from consultations.services.answers import (
    Cleaned,
    Survey,
    Visible,
    answer_clean,
    answer_states,
    answers_summary,
    email_clean,
    required_message,
    survey_load,
    survey_progress,
    text_value,
    visibility,
)
from consultations.services.results import results_recount_soon

# Letters and digits that cannot be mistaken for one another when read aloud or retyped
# (no 0/O, 1/I/L, U/V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
START_SALT = "consultations.respond-start"

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
# Starting, saving a page, submitting
# ---------------------------------------------------------------------------------------------


def reference_new() -> str:
    """Like RC-7K4P-Q2ZD: 29^8, about 500 billion, so guessing one is hopeless and a clash (which
    the unique constraint catches) is rare."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RC-{letters[:4]}-{letters[4:]}"


def require_open(consultation: Consultation, now=None) -> None:
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
    require_open(consultation)
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


def draft_lock(response: Response) -> Response:
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
    locked = draft_lock(response)
    consultation = locked.consultation
    require_open(consultation)
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
        require_open(consultation, now)
        _require_person(consultation, user, locked)
        RESPONDING.refuse_spam(honeypot=honeypot, drawn_at=locked.started_at, now=now)

        survey, visible, _answered, missing = survey_progress(locked)
        errors: dict[Any, ValidationError] = {
            question.pk: ValidationError(required_message(question), code="required")
            for question in missing
        }
        email = text_value(email)
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
        respondent_id = user.pk if signed_in else locked.user_id
        try:
            with transaction.atomic():
                state_move(
                    locked,
                    Response.Status.SUBMITTED,
                    actor=None,
                    summary=None,
                    fields={
                        "user_id": respondent_id,
                        "one_per_person": (
                            respondent_id if consultation.one_response_per_person else None
                        ),
                        "submitted_at": now,
                        # Kept only for what the resident asked to be sent.
                        "email": email if wants_mail else "",
                        "agrees_to_publish": agrees_to_publish,
                    },
                )
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
