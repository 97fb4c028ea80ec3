"""Residents' comments on a debate: posting one, replying (down to the third level), editing
one's own within the edit window, deleting one's own after a confirmation page, and voting up
or down; and what the debate's page offers the signed-in visitor on each comment.

Every rule is in debates.services; these views read the request and draw the answer. Each form
posts to a page of its own, which answers a GET too (the form with its context), so that
everything works without JavaScript and an error is shown next to its field on that page. With
JavaScript, static/debates/comments.js sends a vote without a page load and redraws the
comment's score from the answer (the comment drawn by _comment.html).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civic.form_guard import Refused, refusal_status
from civic.formatting import markdown_light_to_html
from civic.ratelimits import client_ip
from debates import services
from debates.forms_comments import CommentEditForm, CommentForm, VoteForm
from debates.models import COMMENT_DEPTH_LIMIT, Comment, CommentVote, Debate
from debates.views import COMMENTS_PER_PAGE, _debate, describe

# The header static/debates/comments.js sends with a vote: answer with the comment, not a page.
VOTE_HEADER = "X-Civic-Vote"


# On the debate's page -----------------------------------------------------------------------------


def _all(comments: list[Comment]):
    for comment in comments:
        yield comment
        yield from _all(comment.children)


def comment_actions(request: HttpRequest, debate: Debate, threads: list[Comment], now) -> dict:
    """What the visitor may do on the page's comments: post one, and on each vote, reply, edit
    or delete (_offer). One query (the visitor's own votes on the page), and none for a visitor
    who is not signed in."""
    can_comment = debate.allows("comment", now)
    user = request.user
    if not user.is_authenticated:
        return {"can_comment": can_comment}
    comments = list(_all(threads))
    mine = {}
    if can_comment and comments:
        mine = dict(
            CommentVote.objects.filter(
                user=user, comment_id__in=[comment.pk for comment in comments]
            ).values_list("comment_id", "value")
        )
    for comment in comments:
        _offer(comment, user, can_comment, now, mine.get(comment.pk, 0))
    return {
        "can_comment": can_comment,
        "comment_form": CommentForm(),
        "comment_token": services.comment_token(),
        "back": request.get_full_path(),
    }


def _offer(comment: Comment, user, can_comment: bool, now, my_vote: int) -> Comment:
    """What the signed-in `user` may do with `comment`: vote (`can_vote`, with `my_vote`), and
    the links of `actions`. The services refuse the rest."""
    live = comment.deleted_at is None
    own = live and comment.author_id == user.pk
    comment.can_vote = can_comment and live
    comment.my_vote = my_vote
    comment.actions = []
    if can_comment and live and comment.depth < COMMENT_DEPTH_LIMIT:
        comment.actions.append(("debates:comment_reply", _("Reply")))
    if own and now <= comment.created_at + services.edit_window():
        comment.actions.append(("debates:comment_edit", _("Edit")))
    if own:
        comment.actions.append(("debates:comment_delete", _("Delete")))
    return comment


# Finding things -----------------------------------------------------------------------------------


def _comment(debate: Debate, comment_id: int) -> Comment:
    """One comment of the debate with its score, as the page shows it."""
    comment = (
        Comment.objects.filter(debate=debate, pk=comment_id)
        .annotate(score=Coalesce(Sum("votes__value"), 0))
        .first()
    )
    if comment is None:
        raise Http404(_("There is no comment here."))
    comment.debate = debate
    comment.children = []
    comment.html = "" if comment.deleted_at else markdown_light_to_html(comment.text)
    return comment


def _own(request: HttpRequest, debate: Debate, comment_id: int) -> Comment:
    """The signed-in resident's own comment; another's is not found (the service refuses it
    too)."""
    comment = _comment(debate, comment_id)
    if comment.author_id != request.user.pk:
        raise Http404(_("There is no comment of yours here."))
    return comment


def _back(request: HttpRequest, debate: Debate) -> str:
    """The page of the debate the resident came from (`next`, which the forms carry), if it is
    this debate's; else the debate's first page."""
    url = reverse("debates:debate", args=[debate.slug])
    back = urlsplit(request.POST.get("next") or request.GET.get("next") or "")
    if (back.scheme, back.netloc, back.path, back.fragment) == ("", "", url, ""):
        return f"{url}?{back.query}" if back.query else url
    return url


def _place(request: HttpRequest, debate: Debate, comment: Comment, *, new: bool = False) -> str:
    """Where the debate's page shows `comment`: the page the resident came from, else (and for
    a new comment, which need not be there) the page of its thread among the newest."""
    url = reverse("debates:debate", args=[debate.slug])
    back = _back(request, debate)
    if back != url and not new:
        return f"{back}#comment-{comment.pk}"
    thread = comment if comment.thread_id in (None, comment.pk) else comment.thread
    newer = Comment.objects.filter(debate=debate, depth=1).filter(
        Q(created_at__gt=thread.created_at) | Q(created_at=thread.created_at, pk__gt=thread.pk)
    )
    page = newer.count() // COMMENTS_PER_PAGE + 1
    return f"{url}?sort=newest&page={page}#comment-{comment.pk}"


# Posting and replying -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def comment_add(request: HttpRequest, slug: str) -> HttpResponse:
    """The form to comment on the debate. The debate's page draws it too and posts it here; an
    error is shown on this page."""
    now = timezone.now()
    return _post(request, describe(_debate(request, slug), now), None, now)


@login_required
@require_http_methods(["GET", "POST"])
def comment_reply(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    return _post(request, debate, _comment(debate, comment_id), now)


def _post(request: HttpRequest, debate: Debate, parent: Comment | None, now) -> HttpResponse:
    label = _("Your reply") if parent is not None else ""
    refusal = None
    if request.method == "POST":
        form = CommentForm(request.POST, label=label)
        if form.is_valid():
            try:
                comment = services.comment_post(
                    user=request.user,
                    debate=debate,
                    parent=parent,
                    stance=form.cleaned_data["stance"],
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
                if parent is None:
                    messages.success(request, _("Your comment is published. Thank you."))
                else:
                    messages.success(request, _("Your reply is published. Thank you."))
                return redirect(_place(request, debate, comment, new=parent is None))
    else:
        form = CommentForm(label=label)
    return render(
        request,
        "debates/comment_form.html",
        {
            "heading": _("Reply to a comment") if parent is not None else _("Add a comment"),
            "debate": debate,
            "quoted": parent,
            "form": form,
            "refusal": refusal,
            "open": debate.allows("comment", now),
            "too_deep": parent is not None and parent.depth >= COMMENT_DEPTH_LIMIT,
            "token": services.comment_token(),
            "back": _back(request, debate),
        },
        status=refusal_status(refusal),
    )


# Editing and deleting one's own -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    comment = _own(request, debate, comment_id)
    refusal = None
    if request.method == "POST":
        form = CommentEditForm(request.POST)
        if form.is_valid():
            try:
                services.comment_edit(
                    user=request.user,
                    comment=comment,
                    stance=form.cleaned_data["stance"],
                    text=form.cleaned_data["text"],
                    now=now,
                )
            except Refused as error:
                refusal = error
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Your comment is changed."))
                return redirect(_place(request, debate, comment))
    else:
        form = CommentEditForm(initial={"stance": comment.stance, "text": comment.text})
    late = now > comment.created_at + services.edit_window()
    return render(
        request,
        "debates/comment_edit.html",
        {
            "heading": _("Edit your comment"),
            "debate": debate,
            "comment": comment,
            "quoted": comment if late and not comment.deleted_at else None,
            "form": form,
            "refusal": refusal,
            "late": late,
            "minutes": int(services.edit_window().total_seconds() // 60),
            "back": _back(request, debate),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    """A page that asks first: deleting is a POST, so that no link followed by a scanner
    deletes anything."""
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    comment = _own(request, debate, comment_id)
    refusal = None
    if request.method == "POST":
        try:
            services.comment_delete(user=request.user, comment=comment, now=now)
        except Refused as error:
            refusal = error
        else:
            messages.success(request, _("Your comment is deleted."))
            return redirect(_place(request, debate, comment))
    return render(
        request,
        "debates/comment_delete.html",
        {
            "heading": _("Delete your comment"),
            "debate": debate,
            "comment": comment,
            "quoted": None if comment.deleted_at else comment,
            "refusal": refusal,
            "back": _back(request, debate),
        },
    )


# Voting -------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def comment_vote(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    """Up or down, one vote per person, changed by pressing the other button; pressing the same
    one again keeps it. The debate's page posts its buttons here; without JavaScript the answer
    is that page again, and with it (VOTE_HEADER) the comment alone. On its own, a page with the
    two buttons."""
    now = timezone.now()
    debate = describe(_debate(request, slug), now)
    comment = _comment(debate, comment_id)
    refusal = None
    if request.method == "POST":
        form = VoteForm(request.POST)
        value = form.cleaned_data["value"] if form.is_valid() else 0
        try:
            services.comment_vote(user=request.user, comment=comment, value=value, now=now)
        except (Refused, ValidationError) as error:
            refusal = error
        else:
            if request.headers.get(VOTE_HEADER):
                return _voted(request, debate, comment.pk, now)
            messages.success(request, _("Your vote is counted."))
            return redirect(_place(request, debate, comment))
    mine = CommentVote.objects.filter(comment=comment, user=request.user)
    my_vote = mine.values_list("value", flat=True).first() or 0
    _offer(comment, request.user, debate.allows("comment", now), now, my_vote)
    return render(
        request,
        "debates/comment_vote.html",
        {
            "heading": _("Vote on a comment"),
            "debate": debate,
            "comment": comment,
            "refusal": refusal,
            "back": _back(request, debate),
        },
    )


def _voted(request: HttpRequest, debate: Debate, comment_id: int, now) -> HttpResponse:
    """The comment as the page draws it, with its new score and the resident's vote, for
    comments.js to put in place of the old one."""
    comment = _comment(debate, comment_id)
    my_vote = CommentVote.objects.get(comment=comment, user=request.user).value
    _offer(comment, request.user, debate.allows("comment", now), now, my_vote)
    return render(
        request,
        "debates/_comment.html",
        {"debate": debate, "comment": comment, "back": _back(request, debate)},
    )
