"""Conversations' public pages, under /debates/conversations/: the list, a conversation's page
with one statement at a time and Agree, Disagree and Pass buttons, the form to add a statement,
and the open data of statements and their vote counts.

Every rule is in debates.conversations; these views read the request (the account, or the signed
cookie of an anonymous participant) and draw the answer with plain forms, so that everything works
without JavaScript.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from civic.form_guard import Refused, refusal_status
from civic.formatting import markdown_to_html, when
from civic.pagecache import drawn_alike, drawn_part, kept_copy, shared_page, value
from civic.pagination import paginate
from civic.ratelimits import client_ip
from civic.selectors import published_or_run_by
from debates import conversations as services
from debates.api import ConversationSerializer
from debates.forms import StatementForm, VoteForm
from debates.models import Conversation, Participant, Statement, StatementVote
from debates.views import describe

PER_PAGE = 20
JSON_CACHE_SECONDS = 10
# The signed cookie of an anonymous participant: a random key, the same for every conversation.
PARTICIPANT_COOKIE = "civic_participant"
PARTICIPANT_COOKIE_SALT = "debates.conversation-participant"
PARTICIPANT_COOKIE_DAYS = 365
Stage = Conversation.Stage


def state_words(conversation: Conversation, now) -> str:
    """What residents can do in the conversation now, and until when, in a sentence."""
    if conversation.status == Conversation.Status.DRAFT:
        return _("This conversation is a draft: only the council's staff can see it.")
    phase = Conversation.SCHEDULE.at(conversation, now)
    if phase.key == Stage.UPCOMING:
        if phase.until:
            return _("This conversation opens on %(date)s.") % {"date": when(phase.until)}
        return _("The dates of this conversation are not set yet.")
    if phase.key == Stage.OPEN:
        if phase.until:
            return _("This conversation is open until %(date)s.") % {"date": when(phase.until)}
        return _("This conversation is open.")
    return _("This conversation closed on %(date)s.") % {"date": when(phase.since)}


def _describe(conversation: Conversation, now) -> Conversation:
    return describe(conversation, now, state_words)


def _published(slug: str) -> Conversation | None:
    """The published conversation at `slug` (None if there is none), its background drawn and
    its shown statements by id (`shown_statements`), in the order they are put to participants
    (the council's own first, then the oldest): the same for every visitor, so read once a
    generation of the pages in each process (civic.pagecache.kept_copy), not twice a vote."""
    conversation = (
        Conversation.objects.published()
        .select_related("department__organisation")
        .filter(slug=slug)
        .first()
    )
    if conversation is not None:
        _with_statements(conversation)
    return conversation


def _with_statements(conversation: Conversation) -> Conversation:
    conversation.background_html = markdown_to_html(conversation.background)
    shown = conversation.statements.filter(status=Statement.Status.SHOWN)
    conversation.shown_statements = {
        statement.pk: statement for statement in shown.order_by("-is_seed", "pk")
    }
    return conversation


def _run_by_visitor(request: HttpRequest, slug: str) -> Conversation:
    """A conversation that is not published, for those who run it."""
    conversation = (
        published_or_run_by(
            Conversation.objects.select_related("department__organisation"),
            request.user,
            published=Q(status=Conversation.Status.PUBLISHED),
        )
        .filter(slug=slug)
        .first()
    )
    if conversation is None:
        raise Http404(_("There is no conversation here."))
    return _with_statements(conversation)


def _conversation(request: HttpRequest, slug: str) -> Conversation:
    """The conversation at `slug` as this visitor may see it: a published one (a copy of the one
    this process keeps; its shown statements are shared and never changed), or a draft for those
    who run it."""
    return kept_copy(
        f"debates:conversation:{slug}",
        lambda: _published(slug),
        lambda: _run_by_visitor(request, slug),
    )


def _anonymous_key(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(PARTICIPANT_COOKIE, default=None, salt=PARTICIPANT_COOKIE_SALT)


def _keep_key(response: HttpResponse, key: str) -> HttpResponse:
    response.set_signed_cookie(
        PARTICIPANT_COOKIE,
        key,
        salt=PARTICIPANT_COOKIE_SALT,
        max_age=PARTICIPANT_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _own_votes(request: HttpRequest, conversation: Conversation) -> tuple[dict[int, int], bool]:
    """This visitor's votes on the conversation's shown statements (each statement's id and the
    choice, in the statements' order), and whether they may take part: one query, through
    their account or their cookie's key. Someone who took part with a confirmed e-mail address
    and no account (debates.conversation_email), where the conversation takes no anonymous
    participants, is known by their key: one query more, for them only."""
    takes_part = services.may_take_part(conversation, request.user)
    key = _anonymous_key(request)
    if request.user.is_authenticated and request.user.email:
        whose = Q(participant__user=request.user)
    elif conversation.allow_anonymous and key:
        whose = Q(participant__anonymous_key=key)
    elif key and not takes_part and _participant(request, conversation) is not None:
        whose = Q(participant__anonymous_key=key)
        takes_part = True
    else:
        return {}, takes_part
    shown = conversation.shown_statements
    votes = dict(
        StatementVote.objects.filter(whose, participant__conversation=conversation).values_list(
            "statement_id", "choice"
        )
    )
    return {pk: votes[pk] for pk in shown if pk in votes}, takes_part


def _participant(request: HttpRequest, conversation: Conversation) -> Participant | None:
    """Who this visitor already is in the conversation, if anyone (never makes one)."""
    key = _anonymous_key(request)
    if not request.user.is_authenticated and not key:
        return None
    if not services.may_take_part(conversation, request.user):
        try:  # someone who confirmed their e-mail address (debates.conversation_email), or nobody
            return services.participant_for(
                conversation=conversation, user=request.user, anonymous_key=key
            )
        except Refused:
            return None
    return services.participant_for(conversation=conversation, user=request.user, anonymous_key=key)


def _joining(request: HttpRequest, conversation: Conversation, key: str, *, started_field: str,
             now=None) -> Participant:  # fmt: skip
    """Who this visitor is in the conversation, made a participant now if they take no part yet:
    an anonymous one only past the public-form guard, with the start time the form sent as
    `started_field`."""
    return services.participant_for(
        conversation=conversation,
        user=request.user,
        anonymous_key=key,
        create=True,
        honeypot=request.POST.get("website", ""),
        token=request.POST.get(started_field, ""),
        ip=client_ip(request),
        now=now,
    )


def _takes_part(request: HttpRequest, conversation: Conversation, participant) -> bool:
    return participant is not None or services.may_take_part(conversation, request.user)


@require_safe
@shared_page
def conversation_list(request: HttpRequest) -> HttpResponse:
    """Two queries whatever it lists: the count and the page."""
    now = timezone.now()
    conversations = Conversation.objects.published().select_related("department__organisation")
    pages = paginate(request, conversations.order_by("-opens_at", "-pk"), per_page=PER_PAGE)
    for conversation in pages["page"].object_list:
        _describe(conversation, now)
    return render(
        request,
        "debates/conversation_list.html",
        {"heading": _("Conversations"), **pages, "filtered": False},
    )


def _page(request: HttpRequest, conversation: Conversation, *, refusal=None, status=200):
    """The conversation's page: the statement to vote on next (or the one asked for by
    ?statement=, to change a vote), how far the visitor has got, and their votes so far. One
    query (the visitor's votes) besides the conversation and its statements, which the process
    keeps (_published). Those three are the visitor's own pieces, each drawn from pieces that
    many visitors share; the page around them is drawn once for every visitor alike
    (civic.pagecache.drawn_alike), so a vote's page costs no template of its own."""
    now = timezone.now()
    _describe(conversation, now)
    shown = conversation.shown_statements
    votes, takes_part = _own_votes(request, conversation)
    statement = None
    asked = request.GET.get("statement", "")
    if asked.isdigit():
        statement = shown.get(int(asked))
    if statement is None:
        # As services.next_statement: the council's own first, then the oldest (shown's order).
        statement = next((item for item in shown.values() if item.pk not in votes), None)
    can_vote = conversation.allows("vote", now)
    can_add = conversation.allows("add", now)
    words = {choice.value: choice.label for choice in StatementVote.Choice}

    def statement_html() -> str:
        current = votes.get(getattr(statement, "pk", None))
        form = can_vote and takes_part
        return drawn_part(
            request,
            (getattr(statement, "pk", None), current, form, bool(shown), conversation.slug),
            "debates/_conversation_statement.html",
            {
                "conversation": conversation,
                "statement": statement,
                "current_choice": words.get(current, ""),
                "form": form,
                "total": len(shown),
                "choices": StatementVote.Choice,
            },
            fill={"token": services.vote_token},
        )

    def votes_html() -> str:
        return mark_safe(  # noqa: S308 - pieces drawn from our template
            "".join(
                drawn_part(
                    request,
                    (pk, choice, can_vote),
                    "debates/_conversation_vote.html",
                    {"statement": shown[pk], "choice": words[choice], "can_vote": can_vote},
                )
                for pk, choice in votes.items()
            )
        )

    def progress_html() -> str:
        counts = {"voted": len(votes), "total": len(shown)}
        return drawn_part(request, tuple(counts.values()), "debates/_conversation_progress.html",
                          counts)  # fmt: skip

    fill = {"progress": progress_html, "statement": statement_html, "votes": votes_html}

    def draw() -> HttpResponse:
        return render(
            request,
            "debates/conversation.html",
            {
                "conversation": conversation,
                "background": conversation.background_html,
                "progress_html": value(request, "progress"),
                "statement_html": value(request, "statement"),
                "has_votes": bool(votes),
                "votes_html": value(request, "votes"),
                "can_vote": can_vote,
                "can_add": can_add,
                "may_take_part": takes_part,
                "refusal": refusal,
                "sign_in_url": reverse("account_login") + "?next=" + request.path,
            },
            status=status,
        )

    if refusal is not None or conversation.status != Conversation.Status.PUBLISHED:
        request.page_fill = fill
        return draw()
    user = request.user
    alike = (conversation.pk, user.is_authenticated, user.is_staff, takes_part, can_vote, can_add,
             bool(votes))  # fmt: skip
    return drawn_alike(request, f"debates:conversation:{alike}", draw, fill)


@require_safe
def conversation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _conversation(request, slug))


@require_http_methods(["GET", "POST"])
def statement_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """Agree, Disagree or Pass on one statement. A GET (a link followed, a crawler) goes back to
    the conversation's page: only a POST votes. The page is drawn (its state in words) only
    when the vote is refused: a vote counted is answered with a redirect."""
    conversation = _conversation(request, slug)
    back = reverse("debates:conversation", args=[conversation.slug])
    if request.method != "POST":
        return redirect(back)
    form = VoteForm(request.POST)
    if not form.is_valid():
        refusal = Refused(_("Choose agree, disagree or pass."), code="invalid")
        return _page(request, conversation, refusal=refusal, status=400)
    statement = conversation.shown_statements.get(form.cleaned_data["statement"])
    if statement is not None:
        statement = copy.copy(statement)
    else:  # not shown, or not this conversation's: the service says which
        statement = conversation.statements.filter(pk=form.cleaned_data["statement"]).first()
    if statement is None:
        refusal = Refused(_("This statement is not in this conversation."), code="invalid")
        return _page(request, conversation, refusal=refusal, status=400)
    statement.conversation = conversation
    known_key = _anonymous_key(request)
    key = known_key or services.new_anonymous_key()
    choice = form.cleaned_data["choice"]
    try:
        # Someone who already takes part votes in one statement; a newcomer is made a
        # participant first, past the public-form guard.
        if services.statement_vote_known(
            statement=statement, choice=choice, user=request.user, anonymous_key=known_key
        ):
            kept_key = None if request.user.is_authenticated and request.user.email else key
        else:
            participant = _joining(request, conversation, key, started_field="started")
            services.statement_vote(participant=participant, statement=statement, choice=choice)
            kept_key = participant.anonymous_key
    except Refused as error:
        status = refusal_status(error)
        return _page(request, conversation, refusal=error, status=status)
    except ValidationError as error:
        return _page(request, conversation, refusal=Refused(error.messages[0]), status=400)
    response = redirect(back + "#conversation-statement")
    response.status_code = 303
    if kept_key:
        _keep_key(response, kept_key)
    return response


@require_http_methods(["GET", "POST"])
def statement_add(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    conversation = _describe(_conversation(request, slug), now)
    refusal = None
    participant = None
    form = StatementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        key = _anonymous_key(request) or services.new_anonymous_key()
        try:
            participant = _joining(request, conversation, key, started_field="joining", now=now)
            statement = services.statement_add(
                conversation=conversation,
                participant=participant,
                text=form.cleaned_data["text"],
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
            response = render(
                request,
                "debates/statement_added.html",
                {"conversation": conversation, "statement": statement},
            )
            if participant.anonymous_key:
                _keep_key(response, participant.anonymous_key)
            return response
    status = refusal_status(refusal)
    return render(
        request,
        "debates/statement_add.html",
        {
            "conversation": conversation,
            "form": form,
            "refusal": refusal,
            "open": conversation.allows("add", now),
            "may_take_part": _takes_part(
                request, conversation, participant or _participant(request, conversation)
            ),
            "token": services.statement_token(),
            # An anonymous visitor's first statement makes them a participant: that guard too.
            "joining_token": services.vote_token(),
            "sign_in_url": reverse("account_login") + "?next=" + request.path,
        },
        status=status,
    )


@require_safe
def conversation_json(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """A published conversation's statements that show and how many agreed, disagreed and
    passed on each, and the opinion groups a worker last worked out (`groups`): never who
    voted. The same figures as the API's
    /api/v1/conversations/<slug>/. Open data, kept in the cache for a few seconds."""
    key = f"debates:conversation-json:{conversation_id}:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        conversation = (
            Conversation.objects.published()
            .select_related("department__organisation", "result")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            cached = ({"detail": _("There is no conversation here.")}, 404)
        else:
            cached = (ConversationSerializer(conversation, context={"request": request}).data, 200)
        cache.set(key, cached, JSON_CACHE_SECONDS)
    data, status = cached
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    response["Cache-Control"] = f"public, max-age={JSON_CACHE_SECONDS}"
    return response
