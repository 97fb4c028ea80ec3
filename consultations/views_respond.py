"""Responding to a consultation's survey, one page at a time, with plain forms (POST, redirect,
GET) so that every step works without JavaScript.

The draft belongs to the visitor's session: its id is kept there, set when the response starts
or when a "come back later" link is followed. Every rule is in
consultations.services.responding; these views read the request and draw the answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from civic.form_guard import refusal_status
from civic.ratelimits import client_ip
from consultations.forms_respond import CheckForm, PageForm, ResumeLinkForm
from consultations.models import Answer, AnswerChoice, Consultation, Question, Response
from consultations.services.answers import (
    Survey,
    answer_states,
    answers_summary,
    survey_load,
    survey_progress,
    visibility,
)
from consultations.services.responding import (
    Consents,
    Refused,
    already_responded,
    answers_save,
    response_start,
    response_submit,
    resume_days,
    start_token,
)
from consultations.services.resume import response_from_resume_token, resume_link_send

Kind = Question.Kind


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _consultation(slug: str) -> Consultation:
    """A published consultation; a draft is nobody's business but its officers'."""
    return get_object_or_404(
        Consultation.objects.published().select_related("department__organisation"), slug=slug
    )


def _session_key(consultation: Consultation) -> str:
    return f"consultations.response.{consultation.pk}"


def _draft(request: HttpRequest, consultation: Consultation) -> Response | None:
    """The response this session is working on (a submitted one too: a replayed form meets it)."""
    response_id = request.session.get(_session_key(consultation))
    if response_id is None:
        return None
    response = consultation.responses.filter(pk=response_id).first()
    if response is not None and response.user_id and response.user_id != request.user.pk:
        return None  # started signed in as somebody else
    return response


def _page_url(consultation: Consultation, number: int) -> str:
    return reverse("consultations:respond_page", args=[consultation.slug, number])


def _check_url(consultation: Consultation) -> str:
    return reverse("consultations:respond_check", args=[consultation.slug])


def _start_url(consultation: Consultation) -> str:
    return reverse("consultations:respond", args=[consultation.slug])


def _next_url(survey: Survey, visible, *, after: int) -> str:
    for number, page in enumerate(survey.pages, 1):
        if number > after and page.pk in visible.pages:
            return _page_url(survey.consultation, number)
    return _check_url(survey.consultation)


def _previous_number(survey: Survey, visible, *, before: int) -> int | None:
    numbers = [
        number
        for number, page in enumerate(survey.pages, 1)
        if number < before and page.pk in visible.pages
    ]
    return numbers[-1] if numbers else None


def _unfinished_url(survey: Survey, response: Response, *, from_check: bool = False) -> str:
    """Where the resident left off: the first page with a required question unanswered, else
    the page after the last one they answered anything on, else check your answers. Coming
    from a "Change" link, only an unanswered required question stops the way back to the check
    page (a changed answer may have brought in a page)."""
    states = answer_states(response)
    visible = visibility(survey, states)
    last_answered = 0
    for number, page in enumerate(survey.pages, 1):
        if page.pk not in visible.pages:
            continue
        shown = [question for question in page.questions.all() if question.pk in visible.questions]
        if any(question.required and question.pk not in states for question in shown):
            return _page_url(survey.consultation, number) + ("?next=check" if from_check else "")
        if any(question.pk in states for question in shown):
            last_answered = number
    if from_check:
        return _check_url(survey.consultation)
    return _next_url(survey, visible, after=last_answered)


def _unavailable(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    return render(
        request,
        "consultations/respond/unavailable.html",
        {"consultation": consultation, "stage": consultation.stage},
    )


def _sign_in(request: HttpRequest, consultation: Consultation, *, next_url: str = ""):
    return render(
        request,
        "consultations/respond/sign_in.html",
        {"consultation": consultation, "next": next_url or _start_url(consultation)},
    )


def _already(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    reference = (
        consultation.responses.filter(user=request.user, status=Response.Status.SUBMITTED)
        .values_list("reference", flat=True)
        .first()
    )
    return render(
        request,
        "consultations/respond/already.html",
        {"consultation": consultation, "reference": reference},
    )


def _gate(request: HttpRequest, consultation: Consultation) -> HttpResponse | None:
    """The page to show instead when nobody may respond now, or not without signing in."""
    if not consultation.is_open():
        return _unavailable(request, consultation)
    if not consultation.allow_anonymous and not request.user.is_authenticated:
        return _sign_in(request, consultation, next_url=request.get_full_path())
    return None


def _refused(request: HttpRequest, consultation: Consultation, refusal: Refused):
    """The page for a refusal the resident cannot fix on the form they sent."""
    if refusal.code == "closed":
        return _unavailable(request, consultation)
    if refusal.code == "sign_in":
        return _sign_in(request, consultation, next_url=request.get_full_path())
    if refusal.code == "already_responded":
        return _already(request, consultation)
    return None


def _submitted_redirect(request: HttpRequest, response: Response) -> HttpResponse:
    messages.info(request, _("Your response has been sent, so it can no longer be changed."))
    return redirect("consultations:respond_done", response.consultation.slug, response.reference)


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """The start page, or, with a response under way, the way back in and the offer of a
    link by e-mail to come back later."""
    consultation = _consultation(slug)
    if page := _gate(request, consultation):
        return page
    draft = _draft(request, consultation)
    if draft is not None and draft.status != Response.Status.DRAFT:
        draft = None
    if draft is None and request.user.is_authenticated:  # started on another device
        draft = (
            consultation.responses.filter(user=request.user, status=Response.Status.DRAFT)
            .order_by("-started_at")
            .first()
        )
        if draft is not None:
            request.session[_session_key(consultation)] = draft.pk
    if draft is not None:
        return _under_way(request, consultation, draft)
    if already_responded(consultation=consultation, user=request.user):
        return _already(request, consultation)

    refusal = None
    if request.method == "POST":
        try:
            response = response_start(
                consultation=consultation,
                user=request.user,
                token=request.POST.get("started", ""),
                honeypot=request.POST.get("website", ""),
                ip=client_ip(request),
            )
        except Refused as error:
            if page := _refused(request, consultation, error):
                return page
            refusal = error
        else:
            request.session[_session_key(consultation)] = response.pk
            return redirect(_page_url(consultation, 1))
    survey = survey_load(consultation)
    return render(
        request,
        "consultations/respond/start.html",
        {
            "consultation": consultation,
            "token": start_token(),
            "question_count": len(survey.questions),
            "refusal": refusal,
            "resume_days": resume_days(),
        },
        status=refusal_status(refusal),
    )


def _under_way(request: HttpRequest, consultation: Consultation, draft: Response):
    survey = survey_load(consultation)
    if request.method == "POST" and request.POST.get("action") != "link":
        return redirect(_unfinished_url(survey, draft))  # "Start now" pressed twice
    form = ResumeLinkForm(request.POST or None, initial={"email": draft.email})
    refusal = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            resume_link_send(
                response=draft, email=form.cleaned_data["email"], ip=client_ip(request)
            )
        except Refused as error:
            if page := _refused(request, consultation, error):
                return page
            if error.code == "submitted":
                return _submitted_redirect(request, draft)
            refusal = error
            status = refusal_status(error)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _(
                    "We have sent a link to %(email)s. It works for %(days)s days, or until the "
                    "consultation closes."
                )
                % {"email": form.cleaned_data["email"].strip(), "days": resume_days()},
            )
            return redirect(_start_url(consultation))
    return render(
        request,
        "consultations/respond/under_way.html",
        {
            "consultation": consultation,
            "form": form,
            "continue_url": _unfinished_url(survey, draft),
            "refusal": refusal,
            "resume_days": resume_days(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    consultation = _consultation(slug)
    if gate := _gate(request, consultation):
        return gate
    draft = _draft(request, consultation)
    if draft is None:
        return redirect(_start_url(consultation))
    if draft.status != Response.Status.DRAFT:
        return _submitted_redirect(request, draft)
    survey = survey_load(consultation)
    if not 1 <= number <= len(survey.pages):
        raise Http404
    survey_page = survey.pages[number - 1]
    visible = visibility(survey, answer_states(draft))
    if survey_page.pk not in visible.pages:  # skipped by an earlier answer
        return redirect(_next_url(survey, visible, after=number))
    on_page = {question.pk for question in survey_page.questions.all()}
    questions = [
        question
        for question in survey_page.questions.all()
        if question.pk in visible.questions
        # a condition on an answer given on this same page is settled when the page is sent
        or _condition_question(question) in on_page
    ]
    previous = _previous_number(survey, visible, before=number)
    refusal = None
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        form = PageForm(questions=questions, data=request.POST)
        try:
            answers_save(
                response=draft,
                page=survey_page,
                answers=form.raw_answers(),
                complete=action == "continue",
                user=request.user,
            )
        except Refused as error:
            if error.code == "submitted":
                return _submitted_redirect(request, draft)
            if page := _refused(request, consultation, error):
                return page
            refusal = error
        except ValidationError as error:
            form.add_errors(error)
        else:
            if action == "back":
                if previous is None:
                    return redirect(_start_url(consultation))
                return redirect(_page_url(consultation, previous))
            if action == "save":
                messages.success(request, _("Your answers so far are saved."))
                return redirect(_start_url(consultation))
            if request.POST.get("next") == "check":
                return redirect(_unfinished_url(survey, draft, from_check=True))
            visible = visibility(survey, answer_states(draft))
            return redirect(_next_url(survey, visible, after=number))
    else:
        answers = draft.answers.filter(question__in=questions).prefetch_related(
            Prefetch("choices", queryset=AnswerChoice.objects.order_by("rank", "pk"))
        )
        form = PageForm(questions=questions, answers=answers)
    return render(
        request,
        "consultations/respond/page.html",
        {
            "consultation": consultation,
            "survey_page": survey_page,
            "number": number,
            "form": form,
            "items": form.items(),
            "has_previous": previous is not None,
            "from_check": (request.POST if request.method == "POST" else request.GET).get("next")
            == "check",
            "refusal": refusal,
        },
    )


def _condition_question(question: Question) -> int | None:
    condition = question.condition
    if isinstance(condition, dict):
        try:
            return int(condition.get("question"))
        except (TypeError, ValueError):
            return None
    return None


def _initial_email(request: HttpRequest, draft: Response) -> str:
    if draft.email:
        return draft.email
    answered = (
        Answer.objects.filter(response=draft, question__kind=Kind.EMAIL)
        .exclude(text="")
        .values_list("text", flat=True)
        .first()
    )
    if answered:
        return answered
    return request.user.email if request.user.is_authenticated else ""


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(slug)
    draft = _draft(request, consultation)
    if draft is not None and draft.status == Response.Status.SUBMITTED:
        # The back button or a second click: the response is in, once.
        return redirect("consultations:respond_done", consultation.slug, draft.reference)
    if gate := _gate(request, consultation):
        return gate
    if draft is None:
        return redirect(_start_url(consultation))
    refusal = None
    show_missing = False
    if request.method == "POST":
        form = CheckForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        try:
            response = response_submit(
                response=draft,
                user=request.user,
                email=data.get("email", ""),
                send_receipt=data.get("send_receipt", False),
                consents=Consents(
                    hear_about_outcome=data.get("hear_about_outcome", False),
                    hear_about_new=data.get("hear_about_new", False),
                    outcome_wording=str(form.fields["hear_about_outcome"].label),
                    new_wording=str(form.fields["hear_about_new"].label),
                ),
                agrees_to_publish=data.get("agrees_to_publish", False),
                honeypot=request.POST.get("website", ""),
                ip=client_ip(request),
            )
        except Refused as error:
            if page := _refused(request, consultation, error):
                return page
            refusal = error
        except ValidationError as error:
            show_missing = any(key != "email" for key in error.error_dict)
            if "email" in error.error_dict:
                form.add_error("email", error.error_dict["email"])
        else:
            if data.get("send_receipt"):
                messages.info(
                    request,
                    _("We have e-mailed a copy of your answers to %(email)s.")
                    % {"email": response.email},
                )
            return redirect("consultations:respond_done", consultation.slug, response.reference)
    else:
        form = CheckForm(initial={"email": _initial_email(request, draft)})
    survey = survey_load(consultation)
    sections = answers_summary(draft, survey)
    _survey, _visible, _answered, missing = survey_progress(draft, survey)
    numbers = {
        question.pk: number
        for number, survey_page in enumerate(survey.pages, 1)
        for question in survey_page.questions.all()
    }
    missing = [
        {
            "question": question,
            "url": f"{_page_url(consultation, numbers[question.pk])}?next=check#q{question.pk}",
        }
        for question in missing
    ]
    return render(
        request,
        "consultations/respond/check.html",
        {
            "consultation": consultation,
            "sections": sections,
            "form": form,
            "missing": missing,
            # In the error summary after a submission, each linking to its question's page.
            "missing_links": [
                (item["url"], _("Answer “%(question)s”") % {"question": item["question"].text})
                for item in missing
            ]
            if show_missing
            else [],
            "show_missing": show_missing,
            "refusal": refusal,
        },
        status=refusal_status(refusal),
    )


@require_safe
def done(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    consultation = _consultation(slug)
    response = get_object_or_404(
        consultation.responses, reference=reference, status=Response.Status.SUBMITTED
    )
    own = request.session.get(_session_key(consultation)) == response.pk or (
        request.user.is_authenticated and response.user_id == request.user.pk
    )
    if not own:  # a reference says nothing to anyone but the person who sent it
        raise Http404
    return render(
        request,
        "consultations/respond/done.html",
        {"consultation": consultation, "response": response},
    )


@require_safe
def resume(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Follow a "come back later" link: the draft becomes this session's, and the resident
    goes to the first page they have not finished."""
    consultation = _consultation(slug)
    response = response_from_resume_token(token=token, consultation=consultation)
    if response is None:
        return render(
            request,
            "consultations/respond/resume_invalid.html",
            {"consultation": consultation, "resume_days": resume_days()},
            status=410,
        )
    if response.status != Response.Status.DRAFT:
        return render(
            request,
            "consultations/respond/resume_invalid.html",
            {"consultation": consultation, "submitted": True},
        )
    if gate := _gate(request, consultation):
        return gate
    if response.user_id and request.user.pk != response.user_id:
        return _sign_in(request, consultation, next_url=request.get_full_path())
    request.session[_session_key(consultation)] = response.pk
    return redirect(_unfinished_url(survey_load(consultation), response))
