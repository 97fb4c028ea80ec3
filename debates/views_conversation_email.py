"""Taking part in a conversation with an e-mail address and no account: the form that asks for
the address, and the page its link opens, which gives this browser the participant's key. Every
rule is in debates.conversation_email."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from civic.form_guard import Refused, refusal_status
from civic.forms import ServiceErrorsMixin
from civic.ratelimits import client_ip
from debates import conversation_email as services
from debates.views_conversations import _anonymous_key, _conversation, _describe, _keep_key


class EmailForm(ServiceErrorsMixin, forms.Form):
    """The address, and whether to hear how the conversation goes (never ticked for them). The
    honeypot (`website`) and the signed moment the form was drawn (`started`) are drawn by
    hand."""

    email = forms.CharField(
        label=_("Your e-mail address"),
        help_text=_("We will send you a link to take part. We do not show your address."),
        required=False,
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"max_length": _("Your e-mail address must be 254 characters or fewer")},
    )
    wants_news = forms.BooleanField(
        required=False,
        label=services.NEWS_WORDING,
        help_text=_("We will e-mail you about it. You can stop at any time."),
    )


@require_http_methods(["GET", "POST"])
def conversation_email(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    conversation = _describe(_conversation(request, slug), now)
    form = EmailForm(request.POST if request.method == "POST" else None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.email_participation_ask(
                conversation=conversation,
                email=form.cleaned_data["email"],
                wants_news=form.cleaned_data["wants_news"],
                honeypot=request.POST.get("website", ""),
                token=request.POST.get("started", ""),
                ip=client_ip(request),
                now=now,
            )
        except Refused as error:
            refusal = error
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return render(
                request,
                "debates/conversation_email_sent.html",
                {
                    "conversation": conversation,
                    "email": participant.email,
                    "days": services.link_days(),
                },
            )
    status = refusal_status(refusal)
    if form.errors:
        status = 400
    return render(
        request,
        "debates/conversation_email.html",
        {
            "conversation": conversation,
            "form": form,
            "refusal": refusal,
            "open": conversation.allows("vote", now),
            "token": services.email_token(),
            "sign_in_url": reverse("account_login")
            + "?next="
            + reverse("debates:conversation", args=[conversation.slug]),
        },
        status=status,
    )


@require_safe
def conversation_email_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link from the e-mail: the person takes part from now on in this browser. Following
    it again (on another device, or after the cookie has gone) does the same."""
    conversation = _describe(_conversation(request, slug), timezone.now())
    participant = services.participant_from_link(token=token, conversation=conversation)
    if participant is None:
        return render(
            request,
            "debates/conversation_email_confirmed.html",
            {"conversation": conversation, "participant": None},
            status=404,
        )
    participant = services.email_participation_confirm(
        participant=participant, browser_key=_anonymous_key(request)
    )
    response = render(
        request,
        "debates/conversation_email_confirmed.html",
        {"conversation": conversation, "participant": participant},
    )
    response["Cache-Control"] = "private, no-store"
    return _keep_key(response, participant.anonymous_key)
