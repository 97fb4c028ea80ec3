"""Residents' side of moderation: reporting a comment or a point (debates.moderation holds the
rules). Reporting is a form posted to its own page, so it works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.form_guard import Refused
from debates import moderation
from debates.forms import ReportForm
from debates.models import Comment, Point, Review
from debates.views import _debate


def _shown(items, **lookup):
    """The item if residents can see it (not hidden for review, not removed), else 404."""
    item = (
        items.filter(**lookup)
        .exclude(review__status__in=[Review.Status.HIDDEN, Review.Status.REMOVED])
        .first()
    )
    if item is None:
        raise Http404(_("There is nothing to report here."))
    return item


def _report(request: HttpRequest, debate, *, comment=None, point=None) -> HttpResponse:
    item = comment or point
    refusal = None
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_add(
                user=request.user,
                comment=comment,
                point=point,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                now=timezone.now(),
            )
        except Refused as error:
            refusal = error
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Thank you for your report. A moderator will look at it."))
            anchor = f"comment-{item.pk}" if comment is not None else f"point-{item.pk}"
            return redirect(f"{reverse('debates:debate', args=[debate.slug])}#{anchor}")
    return render(
        request,
        "debates/report.html",
        {
            "debate": debate,
            "item": item,
            "is_comment": comment is not None,
            "form": form,
            "refusal": refusal,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    debate = _debate(request, slug)
    comment = _shown(Comment.objects.filter(debate=debate, deleted_at__isnull=True), pk=comment_id)
    comment.debate = debate
    return _report(request, debate, comment=comment)


@login_required
@require_http_methods(["GET", "POST"])
def point_report(request: HttpRequest, slug: str, point_id: int) -> HttpResponse:
    debate = _debate(request, slug)
    point = _shown(Point.objects.filter(debate=debate), pk=point_id)
    point.debate = debate
    return _report(request, debate, point=point)
