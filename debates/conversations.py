"""Every change to a conversation (Pol.is-style: short statements voted agree, disagree or pass,
one at a time). Each officer action checks a permission and is audited.

    conversation_problems   what stops a draft conversation from being published, by field
    conversation_publish    a draft goes public once it passes its checks
    participant_for         who is taking part: a signed-in person, or an anonymous visitor's key
    statement_add           a participant adds a short statement, checked before or after it shows
    statement_moderate      an officer shows or rejects a resident's statement
    statement_vote          agree, disagree or pass: one row per participant per statement
    next_statement          the next statement a participant has not voted on yet
    votes_export            the vote matrix as rows, participants numbered, for an officer

Public form settings, read when used:

    CIVIC_CONVERSATION_JOIN_BURST           "10/m"  anonymous participants from one address ...
    CIVIC_CONVERSATION_JOIN_SUSTAINED       "60/h"  ... in a burst and over a longer window
    CIVIC_CONVERSATION_JOIN_MIN_SECONDS     2       least time from drawing the vote form to a
                                                    first anonymous vote
    CIVIC_CONVERSATION_STATEMENT_BURST      "5/m"   statements from one address
    CIVIC_CONVERSATION_STATEMENT_SUSTAINED  "30/h"
    CIVIC_CONVERSATION_STATEMENT_MIN_SECONDS 3
    CIVIC_CONVERSATION_IP_ALLOWLIST         []      networks exempt from the limits
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from datetime import datetime
from itertools import groupby

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.formatting import when
from civic.models import AuditEntry, User
from civic.services import audit_record, require, state_move
from civic.sqltext import column, table
from contacts.services import participation_record
from debates.conversation_results import recompute_soon
from debates.models import (
    ACTIVITY_CONVERSATION,
    ACTIVITY_STATEMENT,
    SOURCE_DEBATE,
    STATEMENT_MAX_LENGTH,
    Conversation,
    Participant,
    Statement,
    StatementVote,
)
from debates.services import dates_problems, publish_checked

NOT_RUNNER = gettext_lazy("You do not run this conversation.")
# The fewest statements of its own a conversation opens with, so the first people have
# something to vote on.
LEAST_SEEDS = 3

# An anonymous visitor's first vote makes them a participant: the guard keeps a script from
# making thousands. Their later votes need no guard (one per statement, changed in place).
JOINING = FormGuard(
    action="debates:conversation-join",
    salt="debates.conversation-vote",
    least_seconds=Setting("CIVIC_CONVERSATION_JOIN_MIN_SECONDS", 2),
    limits=[
        Limit("burst", "CIVIC_CONVERSATION_JOIN_BURST", "10/m"),
        Limit("sustained", "CIVIC_CONVERSATION_JOIN_SUSTAINED", "60/h"),
    ],
    allow_list="CIVIC_CONVERSATION_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many new people taking part from your internet connection in a "
        "short time. Try again later, or sign in to take part."
    ),
)
vote_token = JOINING.token

ADDING = FormGuard(
    action="debates:statement",
    salt="debates.statement-start",
    least_seconds=Setting("CIVIC_CONVERSATION_STATEMENT_MIN_SECONDS", 3),
    limits=[
        Limit("burst", "CIVIC_CONVERSATION_STATEMENT_BURST", "5/m"),
        Limit("sustained", "CIVIC_CONVERSATION_STATEMENT_SUSTAINED", "30/h"),
    ],
    allow_list="CIVIC_CONVERSATION_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many statements from your internet connection in a short time. "
        "Try again later."
    ),
)
statement_token = ADDING.token


def new_anonymous_key() -> str:
    """The random key an anonymous visitor's signed cookie carries; it names nobody."""
    return secrets.token_urlsafe(24)


# Publishing -------------------------------------------------------------------------------------


def conversation_problems(conversation: Conversation) -> dict[str, str]:
    """What stops a conversation from being published, by field ("" for the whole), in words an
    officer can act on. The publish page and conversation_publish both ask this."""
    problems = dates_problems(
        conversation, missing=gettext_lazy("Enter the date the conversation %(phase)s")
    )
    if not conversation.question.strip().endswith("?"):
        problems["question"] = _("Enter the question, ending with a question mark")
    if not conversation.background.strip():
        problems["background"] = _("Enter the background residents need to take part")
    seeds = conversation.statements.filter(is_seed=True, status=Statement.Status.SHOWN).count()
    if seeds < LEAST_SEEDS:
        problems[""] = _(
            "Add at least %(least)s statements of your own for residents to vote on first"
        ) % {"least": LEAST_SEEDS}
    return problems


@transaction.atomic
def conversation_publish(
    *, actor: User, conversation: Conversation, now: datetime | None = None
) -> Conversation:
    require(actor, "debates.publish_conversation", conversation, message=NOT_RUNNER)
    return publish_checked(
        conversation,
        conversation_problems,
        actor=actor,
        summary="Published the conversation",
        now=now,
    )


# Who is taking part -----------------------------------------------------------------------------


def _open_refusal(conversation: Conversation, action: str, now: datetime) -> Refused | None:
    """Why nobody can `action` ("vote", "add") in the conversation now, in words; None if they
    can."""
    if conversation.allows(action, now):
        return None
    if conversation.stage_at(now) == Conversation.Stage.UPCOMING and conversation.opens_at:
        return Refused(
            _("You can take part from %(date)s.") % {"date": when(conversation.opens_at)},
            code="closed",
        )
    return Refused(_("This conversation has closed."), code="closed")


def may_take_part(conversation: Conversation, user) -> bool:
    """Whether this visitor may take part at all: signed in with an e-mail address, or anyone
    where the conversation allows anonymous participation."""
    signed_in = getattr(user, "is_authenticated", False) and bool(user.email)
    return signed_in or conversation.allow_anonymous


def participant_for(
    *,
    conversation: Conversation,
    user,
    anonymous_key: str | None,
    create: bool = False,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Participant | None:
    """The participant this visitor is in the conversation: by their account when signed in,
    else by the key of their signed cookie where the conversation allows anonymous
    participation. With `create`, one is made if there is none yet (an anonymous one only past
    the public-form guard, which raises Refused); the database keeps it to one per person or
    key even when two requests make it at once. None when there is none and `create` is off."""
    now = now or timezone.now()
    if getattr(user, "is_authenticated", False) and user.email:
        found = {"user": user}
    elif conversation.allow_anonymous and anonymous_key:
        found = {"anonymous_key": anonymous_key}
    elif anonymous_key and (participant := _confirmed_by_email(conversation, anonymous_key)):
        return participant  # made and confirmed by debates.conversation_email
    elif conversation.allow_anonymous:
        raise Refused(_("Turn on cookies in your browser to take part."), code="cookies")
    else:
        raise Refused(_("Sign in to take part."), code="sign_in")
    participant = Participant.objects.filter(conversation=conversation, **found).first()
    if participant is not None or not create:
        return participant
    if "anonymous_key" in found:
        JOINING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                conversation=conversation, created_at=now, **found
            )
            if "user" in found:
                _record(user, conversation, ACTIVITY_CONVERSATION, f"participant-{participant.pk}")
    except IntegrityError:
        participant = Participant.objects.filter(conversation=conversation, **found).first()
        if participant is None:
            raise
    return participant


def _confirmed_by_email(conversation: Conversation, key: str) -> Participant | None:
    """Someone who took part with a confirmed e-mail address and no account, known by the key
    their link gave their browser (debates.conversation_email)."""
    return Participant.objects.filter(
        conversation=conversation, anonymous_key=key, email_confirmed_at__isnull=False
    ).first()


def _record(user: User, conversation: Conversation, kind: str, reference: str) -> None:
    """A signed-in person took part in the conversation (anonymous visitors are nobody's
    contact)."""
    participation_record(
        organisation=conversation.organisation,
        email=user.email,
        kind=kind,
        item=conversation,
        item_title=conversation.title,
        reference=reference,
        source=SOURCE_DEBATE,
        name=user.name,
        user=user,
        department=conversation.department,
    )


# Statements -------------------------------------------------------------------------------------


@transaction.atomic
def statement_add(
    *,
    conversation: Conversation,
    participant: Participant,
    text: str,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Statement:
    """A participant adds a short statement while the conversation is open. It shows at once,
    or once an officer has checked it, as the conversation says. Raises Refused for what they
    cannot fix on the form, ValidationError by field."""
    now = now or timezone.now()
    if participant.conversation_id != conversation.pk:
        raise Refused(_("You can only add statements to this conversation."), code="invalid")
    refusal = _open_refusal(conversation, "add", now)
    if refusal is not None:
        raise refusal
    ADDING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    text = " ".join(str(text or "").split())
    if not text:
        raise ValidationError({"text": _("Enter your statement")}, code="required")
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": _(
                    "Your statement must be %(limit)s characters or fewer: make one point at a time"
                )
                % {"limit": STATEMENT_MAX_LENGTH}
            },
            code="max_length",
        )
    if conversation.statements.filter(text__iexact=text).exclude(status=Statement.Status.REJECTED):
        raise ValidationError(
            {"text": _("Someone has already made this statement: vote on it instead")},
            code="unique",
        )
    shows_at_once = conversation.statement_moderation == Conversation.Moderation.AFTER
    statement = Statement.objects.create(
        conversation=conversation,
        text=text,
        status=Statement.Status.SHOWN if shows_at_once else Statement.Status.PENDING,
        author=participant.user,
        participant=participant,
        created_at=now,
    )
    if participant.user is not None:
        _record(participant.user, conversation, ACTIVITY_STATEMENT, f"statement-{statement.pk}")
    return statement


@transaction.atomic
def statement_moderate(*, actor: User, statement: Statement, status: str) -> Statement:
    """An officer shows a resident's statement, or rejects it: a rejected statement leaves the
    conversation, its votes kept but counted nowhere. The officer's own statements are edited
    on the conversation's page instead."""
    require(actor, "debates.moderate_conversation", statement.conversation, message=NOT_RUNNER)
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    if locked.is_seed:
        raise Refused(_("Change the council's own statements on the conversation's page."))
    summaries = {
        Statement.Status.SHOWN: "Showed the statement",
        Statement.Status.REJECTED: "Rejected the statement",
    }
    if status not in summaries:
        raise Refused(_("Choose whether to show or reject the statement."), code="invalid")
    state_move(
        locked,
        status,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary=summaries[status],
    )
    return locked


# Voting -----------------------------------------------------------------------------------------


def _vote_refusal(statement: Statement, choice: int, now: datetime) -> None:
    """Raise what keeps this vote from counting: a choice that is not agree, disagree or pass, a
    conversation not open, a statement not shown."""
    if choice not in StatementVote.Choice.values:
        raise ValidationError({"choice": _("Choose agree, disagree or pass")}, code="invalid")
    refusal = _open_refusal(statement.conversation, "vote", now)
    if refusal is not None:
        raise refusal
    if statement.status != Statement.Status.SHOWN:
        raise Refused(_("This statement is not open for votes."), code="not_shown")


def statement_vote(
    *, participant: Participant, statement: Statement, choice: int, now: datetime | None = None
) -> StatementVote:
    """Agree (1), disagree (-1) or pass (0) on a shown statement while the conversation is
    open. One row per participant per statement: voting again changes the row, and two votes
    sent at once still make one (INSERT ... ON CONFLICT DO UPDATE)."""
    now = now or timezone.now()
    conversation = statement.conversation
    if participant.conversation_id != conversation.pk:
        raise Refused(_("You can only vote in this conversation."), code="invalid")
    _vote_refusal(statement, choice, now)
    (vote,) = StatementVote.objects.bulk_create(
        [
            StatementVote(
                participant=participant, statement=statement, choice=choice, updated_at=now
            )
        ],
        update_conflicts=True,
        unique_fields=["participant", "statement"],
        update_fields=["choice", "updated_at"],
    )
    # The conversation's opinion groups are worked out again a few seconds later, once however
    # many votes arrive meanwhile.
    recompute_soon(conversation.pk)
    return vote


@functools.cache
def _known_vote_sql(found_by: str) -> str:
    """statement_vote_known's statement for a participant found by `found_by` ("user" or
    "anonymous_key"), made once: the names are the models' own, quoted."""
    vote, participant = StatementVote, Participant
    fields = ("participant", "statement", "choice", "updated_at")
    choice, updated = column(vote, "choice"), column(vote, "updated_at")
    # Only the models' own table and column names, quoted, go into the text.
    return (
        f"INSERT INTO {table(vote)} ({', '.join(column(vote, f) for f in fields)}) "  # noqa: S608
        f"SELECT {column(participant, 'id')}, %s, %s, %s FROM {table(participant)} "
        f"WHERE {column(participant, 'conversation')} = %s "
        f"AND {column(participant, found_by)} = %s "
        f"ON CONFLICT ({column(vote, 'participant')}, {column(vote, 'statement')}) DO UPDATE "
        f"SET {choice} = excluded.{choice}, {updated} = excluded.{updated} "
        f"RETURNING {column(vote, 'participant')}"
    )


def statement_vote_known(
    *,
    statement: Statement,
    choice: int,
    user,
    anonymous_key: str | None,
    now: datetime | None = None,
) -> bool:
    """The vote of someone who already takes part in the statement's conversation, found by
    their account, or by their cookie's key where the conversation allows anonymous
    participation, as participant_for finds them: True once their vote is stored, in one
    statement that finds them and writes the vote (INSERT ... SELECT ... ON CONFLICT DO UPDATE);
    False, with nothing written, for someone who takes no part yet (the caller makes them a
    participant and votes with statement_vote). Refuses as statement_vote does."""
    now = now or timezone.now()
    conversation = statement.conversation
    _vote_refusal(statement, choice, now)
    if getattr(user, "is_authenticated", False) and user.email:
        found_by, value = "user", user.pk
    elif conversation.allow_anonymous and anonymous_key:
        found_by, value = "anonymous_key", anonymous_key
    else:
        return False
    sql = _known_vote_sql(found_by)
    when_voted = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [statement.pk, choice, when_voted, conversation.pk, value])
        found = cursor.fetchone() is not None
    if found:
        recompute_soon(conversation.pk)
    return found


def next_statement(participant: Participant | None, conversation: Conversation) -> Statement | None:
    """The next shown statement the participant has not voted on: the council's own first, then
    the oldest; None once they have voted on all. One query."""
    statements = conversation.statements.filter(status=Statement.Status.SHOWN)
    if participant is not None:
        statements = statements.exclude(
            pk__in=StatementVote.objects.filter(participant=participant).values("statement_id")
        )
    return statements.order_by("-is_seed", "pk").first()


# The vote matrix ----------------------------------------------------------------------------------


def votes_export(*, actor: User, conversation: Conversation) -> tuple[list[str], Iterator[list]]:
    """The vote matrix for an officer's own analysis: a row per participant, numbered 1, 2, 3 in
    the order they joined (never an account or a key), and a column per statement that shows
    (its number and text), each cell 1 agree, -1 disagree, 0 pass, or empty for no vote.
    Audited; every cell is made safe for spreadsheets by civic.exports."""
    require(actor, "debates.export_conversation", conversation, message=NOT_RUNNER)
    statements = list(conversation.statements.filter(status=Statement.Status.SHOWN).order_by("pk"))
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=conversation,
        summary=f"Exported the vote matrix ({len(statements)} statements)",
    )
    header = [str(_("participant")), *(statement.text for statement in statements)]
    return header, _matrix_rows(conversation, [s.pk for s in statements])


def _matrix_rows(conversation: Conversation, statement_ids: list[int]) -> Iterator[list]:
    column = {statement_id: index for index, statement_id in enumerate(statement_ids)}
    votes = (
        StatementVote.objects.filter(
            participant__conversation=conversation, statement_id__in=statement_ids
        )
        .order_by("participant_id")
        .values_list("participant_id", "statement_id", "choice")
        .iterator(chunk_size=5000)
    )
    by_participant = groupby(votes, key=lambda vote: vote[0])
    for number, (_participant, group) in enumerate(by_participant, start=1):
        cells: list = [""] * len(statement_ids)
        for _same, statement_id, choice in group:
            cells[column[statement_id]] = choice
        yield [number, *cells]
