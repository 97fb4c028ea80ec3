"""Debates' public pages: the list of debates and a debate's page (the question, the state in
words, the background and the consultation it informs).

Every rule is in debates.services; these views read the request and draw the answer with plain
forms, so that everything works without JavaScript. Each page keeps to a fixed number of queries
whatever it lists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from civic import open_now
from civic.form_guard import Refused, refusal_status
from civic.formatting import markdown_light_to_html, markdown_to_html, when
from civic.pagecache import one_of, page_number, shared_page
from civic.pagination import paginate
from civic.ratelimits import client_ip
from civic.selectors import published_or_run_by
from debates import services, views_follow
from debates.forms import CommentSortForm, DebateFilterForm, EndorseForm, PointForm
from debates.models import Comment, CommentVote, Debate, Endorsement, Point, Review

PER_PAGE = 20
Stage = Debate.Stage
STAGE_TAGS = {
    Stage.DRAFT: "govuk-tag--grey",
    Stage.UPCOMING: "govuk-tag--grey",
    Stage.OPEN: "govuk-tag--green",
    Stage.CLOSED: "govuk-tag--purple",
}


def state_words(debate: Debate, now) -> str:
    """What residents can do in the debate now, and until when, in a sentence."""
    if debate.status == Debate.Status.DRAFT:
        return _("This debate is a draft: only the council's staff can see it.")
    phase = Debate.SCHEDULE.at(debate, now)
    if phase.key == Stage.UPCOMING:
        if phase.until:
            return _("This debate opens on %(date)s.") % {"date": when(phase.until)}
        return _("The dates of this debate are not set yet.")
    if phase.key == Stage.OPEN:
        if phase.until:
            return _("This debate is open until %(date)s.") % {"date": when(phase.until)}
        return _("This debate is open.")
    return _("This debate closed on %(date)s.") % {"date": when(phase.since)}


def describe(item, now, words=state_words):
    """A debate (or a conversation, with its own `words`) with its stage, the stage's label and
    tag, and its state in words, for a page."""
    item.current_stage = item.stage_at(now)
    item.stage_label = type(item).Stage(item.current_stage).label
    item.stage_tag = STAGE_TAGS[item.current_stage]
    item.state_words = words(item, now)
    return item


def _debate(request: HttpRequest, slug: str) -> Debate:
    debate = (
        published_or_run_by(
            Debate.objects.select_related("department__organisation", "consultation", "conclusion"),
            request.user,
            published=Q(status=Debate.Status.PUBLISHED),
        )
        .filter(slug=slug)
        .first()
    )
    if debate is None:
        raise Http404(_("There is no debate here."))
    return debate


@require_safe
@shared_page
def debate_list(request: HttpRequest) -> HttpResponse:
    """Two queries whatever it lists: the count and the page."""
    now = timezone.now()
    form = DebateFilterForm(request.GET or None)
    chosen = form.chosen
    debates = Debate.objects.published().select_related("department__organisation")
    if chosen.get("stage"):
        debates = debates.in_stage(chosen["stage"], now)
    pages = paginate(request, debates.order_by("-opens_at", "-pk"), per_page=PER_PAGE)
    for debate in pages["page"].object_list:
        describe(debate, now)
    return render(
        request,
        "debates/list.html",
        {
            "heading": _("Debates"),
            "form": form,
            **pages,
            "filtered": form.filtered,
        },
    )


def _points(debate: Debate) -> dict[str, list[Point]]:
    """The debate's points by side, most endorsed first, in one query."""
    sides: dict[str, list[Point]] = {side: [] for side in Point.Side.values}
    points = (
        Point.objects.filter(debate=debate)
        .shown()
        .with_endorsement_count()
        .order_by("-endorsement_count", "-created_at", "-pk")
    )
    for point in points:
        sides[point.side].append(point)
    return sides


@require_safe
@shared_page(query={"sort": one_of(*CommentSortForm.SORTS), "page": page_number})
def debate_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Five queries whatever it holds: the debate (with its department and consultation), its
    points with their endorsements counted, and a page of comment threads (_threads); and for a
    signed-in resident, their votes on the page's comments."""
    # Here, not at the top: the comment pages build on this module's helpers.
    from debates.views_comments import comment_actions

    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    sides = _points(debate)
    threads = _threads(request, debate)
    consultation = debate.consultation
    linked = None
    if consultation is not None and consultation.published_at is not None:
        linked = {
            "title": consultation.title,
            "url": reverse("consultations:detail", args=[consultation.slug]),
        }
    return render(
        request,
        "debates/debate.html",
        {
            "debate": debate,
            "background": markdown_to_html(debate.background),
            "consultation": linked,
            "sides": [
                (Point.Side.FOR, _("Points for"), _("Add a point for"), sides[Point.Side.FOR]),
                (
                    Point.Side.AGAINST,
                    _("Points against"),
                    _("Add a point against"),
                    sides[Point.Side.AGAINST],
                ),
            ],
            "can_argue": debate.allows("argue", now),
            **threads,
            **comment_actions(request, debate, threads["threads"], now),
            "can_moderate": request.user.has_perm("debates.moderate_debate", debate),
            **views_follow.debate_extras(request, debate),
        },
    )


# Points for and against --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def point_add(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    refusal = None
    if request.method == "POST":
        form = PointForm(request.POST)
        if form.is_valid():
            try:
                services.point_add(
                    user=request.user,
                    debate=debate,
                    side=form.cleaned_data["side"],
                    text=form.cleaned_data["text"],
                    follows=form.cleaned_data["follows"],
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
                messages.success(request, _("Your point is published. Thank you."))
                return redirect("debates:debate", debate.slug)
    else:
        side = request.GET.get("side")
        form = PointForm(initial={"side": side if side in Point.Side.values else None})
    status = refusal_status(refusal)
    return render(
        request,
        "debates/point_add.html",
        {
            "debate": debate,
            "form": form,
            "refusal": refusal,
            "open": debate.allows("argue", now),
            "token": services.point_token(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def point_endorse(request: HttpRequest, slug: str, point_id: int) -> HttpResponse:
    """A page with one button: endorsing is a POST, so that it works without JavaScript and no
    link followed by a scanner endorses anything."""
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    point = Point.objects.filter(debate=debate, pk=point_id).shown().first()
    if point is None:
        raise Http404(_("There is no point here."))
    point.debate = debate
    refusal = None
    form = EndorseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.point_endorse(
                user=request.user, point=point, follows=form.cleaned_data["follows"], now=now
            )
        except Refused as error:
            refusal = error
        else:
            messages.success(request, _("You endorse this point. Thank you."))
            return redirect("debates:debate", debate.slug)
    return render(
        request,
        "debates/point_endorse.html",
        {
            "debate": debate,
            "point": point,
            "form": form,
            "refusal": refusal,
            "endorsing": Endorsement.objects.filter(point=point, user=request.user).exists(),
            "open": debate.allows("argue", now),
        },
    )


# Comments, read in threads -----------------------------------------------------------------------

COMMENTS_PER_PAGE = 20
# How a page of threads is ordered: best by the sum of its votes, then newest first (the keys are
# CommentSortForm.SORTS).
COMMENT_ORDER = {
    "best": ["-score", "-created_at", "-pk"],
    "newest": ["-created_at", "-pk"],
    "oldest": ["created_at", "pk"],
}


def _threads(request: HttpRequest, debate: Debate) -> dict:
    """A page of the debate's top-level comments, sorted as asked, each with its replies (two
    levels, oldest first): three queries however many comments there are (the count, the page,
    and the replies of the page's threads)."""
    form = CommentSortForm(request.GET or None)
    sort = "best"
    if form.is_bound and form.is_valid() and form.cleaned_data["sort"]:
        sort = form.cleaned_data["sort"]
    # The score as a subquery per comment, not a join and GROUP BY over every vote: the count
    # leaves it out, and only the comments the page shows (or sorts by it) add their votes.
    votes = (
        CommentVote.objects.filter(comment=OuterRef("pk"))
        .order_by()
        .values("comment")
        .annotate(total=Sum("value"))
        .values("total")
    )
    scored = Comment.objects.filter(debate=debate).annotate(
        score=Coalesce(Subquery(votes), 0), review_status=F("review__status")
    )
    pages = paginate(
        request,
        scored.filter(depth=1).order_by(*COMMENT_ORDER[sort]),
        per_page=COMMENTS_PER_PAGE,
    )
    threads = list(pages["page"].object_list)
    replies = list(
        scored.filter(thread_id__in=[comment.pk for comment in threads], depth__gt=1).order_by(
            "created_at", "pk"
        )
    )
    children: dict[int, list[Comment]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    for comment in [*threads, *replies]:
        comment.children = children.get(comment.pk, [])
        # What a visitor who is not signed in may do: nothing (comment_actions sets the rest for
        # one who is). Set here, so that the template finds each at once rather than by a failed
        # lookup, which costs a dir() of the comment each time.
        comment.can_vote, comment.my_vote, comment.actions = False, 0, []
        # A comment hidden for review or removed keeps its place in the thread, without words.
        comment.hidden = comment.review_status in Review.UNSEEN
        comment.html = (
            "" if comment.deleted_at or comment.hidden else markdown_light_to_html(comment.text)
        )
    return {"sort_form": form, "threads": threads, **pages}


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Debates open now, for the home page (one query)."""
    now = timezone.now()
    debates = (
        Debate.objects.open_at(now)
        .select_related("department__organisation")
        .order_by("closes_at", "-pk")
    )
    if organisation is not None:
        debates = debates.filter(department__organisation=organisation)
    return [
        open_now.OpenItem(
            title=debate.question,
            url=reverse("debates:debate", args=[debate.slug]),
            organisation=debate.department.organisation.name,
            summary=debate.summary,
            status=state_words(debate, now),
        )
        for debate in debates[:limit]
    ]
