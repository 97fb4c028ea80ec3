"""Following a debate from its page: a page with the consent to tick (never ticked for the
person) and a button, and a page with one button to stop. Both are plain forms, so they work
without JavaScript; every rule is in debates.following."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.form_guard import Refused
from civic.formatting import day, markdown_to_html
from debates import following, views
from debates.forms import FollowForm
from debates.models import Debate


def debate_extras(request: HttpRequest, debate: Debate) -> dict:
    """What the debate's page shows of this part: its published conclusion (read with the debate,
    no query) and, for a signed-in resident, whether they follow it."""
    try:
        conclusion = debate.conclusion
    except ObjectDoesNotExist:
        conclusion = None
    if conclusion is not None and conclusion.published_at is None:
        conclusion = None
    return {
        "conclusion": conclusion,
        "conclusion_html": markdown_to_html(conclusion.text) if conclusion else "",
        "conclusion_day": day(conclusion.published_at) if conclusion else "",
        "can_follow": debate.status == Debate.Status.PUBLISHED,
        "following": following.is_following(user=request.user, debate=debate),
    }


@login_required
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    debate = views.describe(views._debate(request, slug), timezone.now())
    refusal = None
    form = FollowForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            following.follow_start(
                user=request.user, debate=debate, consents=form.cleaned_data["consents"]
            )
        except Refused as error:
            refusal = error
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("You follow this debate. We will e-mail you when there is news.")
            )
            return redirect("debates:debate", debate.slug)
    return render(
        request,
        "debates/follow.html",
        {
            "debate": debate,
            "form": form,
            "refusal": refusal,
            "following": following.is_following(user=request.user, debate=debate),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    """A page with one button (the GET changes nothing); the debate's page posts here too."""
    debate = views.describe(views._debate(request, slug), timezone.now())
    if request.method == "POST":
        following.follow_stop(user=request.user, debate=debate)
        messages.success(
            request, _("You no longer follow this debate. We will not e-mail you about it.")
        )
        return redirect("debates:debate", debate.slug)
    return render(
        request,
        "debates/unfollow.html",
        {"debate": debate, "following": following.is_following(user=request.user, debate=debate)},
    )
