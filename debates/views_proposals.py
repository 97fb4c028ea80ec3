"""Spaces where residents propose debates (debates.proposals): the list of spaces, a space's page
with its published debates, and the form to propose one, which shows a signed-in resident their
own proposals and what became of them. Plain forms: everything works without JavaScript."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from civic.form_guard import Refused
from civic.formatting import markdown_to_html
from civic.forms import ServiceErrorsMixin
from civic.pagecache import shared_page
from civic.ratelimits import client_ip
from debates import proposals as services
from debates.models import Debate, DebateSpace
from debates.views import describe


class ProposalForm(ServiceErrorsMixin, forms.Form):
    """The honeypot (`website`) and the signed moment the form was drawn (`started`) are drawn
    by hand; every rule is the service's."""

    question = forms.CharField(
        label=gettext_lazy("Your question"),
        help_text=gettext_lazy(
            "One question others can argue for and against, ending with a question mark. "
            "Up to 200 characters."
        ),
        required=False,
        max_length=1000,
        error_messages={
            "max_length": gettext_lazy("Your question must be 200 characters or fewer")
        },
    )
    background = forms.CharField(
        label=gettext_lazy("Why it matters"),
        help_text=gettext_lazy("What others need to know to take part. Up to 3,000 characters."),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "max_length": gettext_lazy("Why it matters must be 3000 characters or fewer")
        },
    )


def _space(slug: str) -> DebateSpace:
    space = DebateSpace.objects.select_related("department__organisation").filter(slug=slug).first()
    if space is None:
        raise Http404(_("There is no space for debates here."))
    return space


@require_safe
@shared_page
def space_list(request: HttpRequest) -> HttpResponse:
    spaces = DebateSpace.objects.select_related("department__organisation").order_by("title")
    return render(
        request,
        "debates/space_list.html",
        {"spaces": list(spaces), "heading": _("Propose a debate")},
    )


@require_safe
@shared_page
def space_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The space and the debates published from it: two queries."""
    space = _space(slug)
    now = timezone.now()
    debates = list(
        Debate.objects.published()
        .filter(space=space)
        .select_related("department__organisation")
        .order_by("-published_at", "-pk")
    )
    for debate in debates:
        describe(debate, now)
    return render(
        request,
        "debates/space.html",
        {
            "space": space,
            "description": markdown_to_html(space.description),
            "debates": debates,
        },
    )


@require_http_methods(["GET", "POST"])
def proposal_add(request: HttpRequest, slug: str) -> HttpResponse:
    space = _space(slug)
    form = ProposalForm(request.POST if request.method == "POST" else None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            debate = services.debate_propose(
                user=request.user,
                space=space,
                question=form.cleaned_data["question"],
                background=form.cleaned_data["background"],
                honeypot=request.POST.get("website", ""),
                token=request.POST.get("started", ""),
                ip=client_ip(request),
            )
        except Refused as error:
            refusal = error
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return render(request, "debates/proposal_sent.html", {"space": space, "debate": debate})
    status = 200
    if refusal is not None and refusal.code == "rate_limited":
        status = 429
    elif form.errors:
        status = 400
    return render(
        request,
        "debates/proposal_add.html",
        {
            "space": space,
            "form": form,
            "refusal": refusal,
            "signed_in": request.user.is_authenticated and bool(request.user.email),
            "token": services.proposal_token(),
            "mine": list(services.proposals_of(request.user, space)),
            "sign_in_url": reverse("account_login") + "?next=" + request.path,
        },
        status=status,
    )
