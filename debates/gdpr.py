"""What debates hold about a contact, for their copy of their data and for erasure (registered
with contacts.gdpr_registry in DebatesConfig.ready).

Points and endorsements belong to a contact through their account: the one the contact is linked
to, or one with the contact's address, in the contact's organisation.

Erasure keeps every endorsement, comment vote and report (the counts stay true) and removes
whose it was (and a report's detail); a comment stays in its place in the thread without its
author, replaced whole if it names them. A point the person made stays, since others endorsed
it, but no longer names them: the link to its author goes, and a point that names them is
replaced whole (what is around a name tells who they are as well). A debate they proposed in a
space goes if it was never published; a published one stays without them, the same way.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.gdpr_registry import identifying_terms, names_them, theirs
from contacts.models import Contact
from debates.models import (
    STATEMENT_MAX_LENGTH,
    Comment,
    CommentVote,
    Debate,
    Endorsement,
    Follow,
    Participant,
    Point,
    Report,
    Statement,
    StatementVote,
)

# Shown in place of a point that named the person who made it.
ERASED_TEXT = _(
    "This was removed because the person who wrote it asked for their data to be erased."
)


def _points(contact: Contact):
    return Point.objects.filter(
        theirs("author", contact),
        debate__department__organisation_id=contact.organisation_id,
    )


def _endorsements(contact: Contact):
    return Endorsement.objects.filter(
        theirs("user", contact),
        point__debate__department__organisation_id=contact.organisation_id,
    )


def _comments(contact: Contact):
    return Comment.objects.filter(
        theirs("author", contact),
        debate__department__organisation_id=contact.organisation_id,
    )


def _votes(contact: Contact):
    return CommentVote.objects.filter(
        theirs("user", contact),
        comment__debate__department__organisation_id=contact.organisation_id,
    )


def _reports(contact: Contact):
    return Report.objects.filter(
        theirs("reporter", contact),
        review__debate__department__organisation_id=contact.organisation_id,
    )


def _proposals(contact: Contact):
    """Debates they proposed in a space (debates.proposals)."""
    return Debate.objects.filter(
        theirs("proposed_by", contact),
        department__organisation_id=contact.organisation_id,
    )


def export_contributions(contact: Contact) -> list[dict]:
    rows = [
        {
            "debate": debate.question,
            "what": f"proposed a debate ({debate.get_status_display().lower()})",
            "when": debate.created_at.isoformat(),
            "point": debate.background,
        }
        for debate in _proposals(contact).order_by("pk")
    ]
    rows += [
        {
            "debate": point.debate.question,
            "what": f"made a point {point.get_side_display().lower()}",
            "when": point.created_at.isoformat(),
            "point": point.text,
        }
        for point in _points(contact).select_related("debate").order_by("pk")
    ]
    rows += [
        {
            "debate": endorsement.point.debate.question,
            "what": "endorsed a point",
            "when": endorsement.created_at.isoformat(),
            "point": endorsement.point.text,
        }
        for endorsement in _endorsements(contact).select_related("point__debate").order_by("pk")
    ]
    rows += [
        {
            "debate": comment.debate.question,
            "what": f"commented ({comment.get_stance_display().lower()})",
            "when": comment.created_at.isoformat(),
            "point": comment.text,
        }
        for comment in _comments(contact).select_related("debate").order_by("pk")
    ]
    rows += [
        {
            "debate": vote.comment.debate.question,
            "what": "voted a comment up" if vote.value > 0 else "voted a comment down",
            "when": vote.created_at.isoformat(),
            "point": "",
        }
        for vote in _votes(contact).select_related("comment__debate").order_by("pk")
    ]
    rows += [
        {
            "debate": report.review.debate.question,
            "what": f"reported a {'comment' if report.review.comment_id else 'point'}"
            f" ({report.get_reason_display().lower()})",
            "when": report.created_at.isoformat(),
            "point": report.detail,
        }
        for report in _reports(contact).select_related("review__debate").order_by("pk")
    ]
    return rows


def erase_contributions(contact: Contact) -> int:
    terms = identifying_terms(contact)
    erased = _endorsements(contact).update(user=None) + _votes(contact).update(user=None)
    # A report stays (the item's count stays true) without who made it or what they wrote.
    erased += _reports(contact).update(reporter=None, detail="")
    for comment in _comments(contact):
        if names_them(comment.text, terms):
            comment.text = str(ERASED_TEXT)
        comment.author = None
        comment.save(update_fields=["text", "author"])
        erased += 1
    # A debate they proposed that was never published goes; a published one stays (others took
    # part in it) without its proposer, its words replaced whole if they name them.
    proposals = _proposals(contact)
    erased += (
        proposals.exclude(status=Debate.Status.PUBLISHED).delete()[1].get(Debate._meta.label, 0)
    )
    for debate in proposals.filter(status=Debate.Status.PUBLISHED):
        words = (debate.question, debate.summary, debate.background, debate.slug)
        if any(names_them(text.replace("-", " "), terms) for text in words):
            debate.question = debate.summary = str(ERASED_TEXT)[:200]
            debate.background = str(ERASED_TEXT)
            debate.slug = f"debate-{debate.pk}"
        debate.proposed_by = None
        debate.save(update_fields=["question", "summary", "background", "slug", "proposed_by"])
        erased += 1
    for point in _points(contact):
        if names_them(point.text, terms):
            point.text = str(ERASED_TEXT)
        point.author = None
        point.save(update_fields=["text", "author"])
        erased += 1
    return erased


# Conversations ----------------------------------------------------------------------------------
# A person takes part in a conversation through their account or with their e-mail address (an
# anonymous participant is nobody's contact). Erasure removes them as a participant with every
# vote they cast; the statements they wrote stay (others voted on them) without their author,
# replaced whole if they name them.


def _participants(contact: Contact):
    """Through their account, or with their address and no account (conversation_email)."""
    by_address = Q(email__iexact=contact.email) if contact.email else Q(pk__in=[])
    return Participant.objects.filter(
        theirs("user", contact) | by_address,
        conversation__department__organisation_id=contact.organisation_id,
    )


def _statements(contact: Contact):
    return Statement.objects.filter(
        theirs("author", contact),
        conversation__department__organisation_id=contact.organisation_id,
    )


def export_conversations(contact: Contact) -> list[dict]:
    votes = StatementVote.objects.filter(participant__in=_participants(contact)).select_related(
        "statement__conversation"
    )
    rows = [
        {
            "conversation": vote.statement.conversation.title,
            "what": f"voted {vote.get_choice_display().lower()}",
            "when": vote.updated_at.isoformat(),
            "statement": vote.statement.text,
        }
        for vote in votes.order_by("pk")
    ]
    rows += [
        {
            "conversation": statement.conversation.title,
            "what": "added a statement",
            "when": statement.created_at.isoformat(),
            "statement": statement.text,
        }
        for statement in _statements(contact).select_related("conversation").order_by("pk")
    ]
    return rows


def erase_conversations(contact: Contact) -> int:
    terms = identifying_terms(contact)
    erased = 0
    for statement in _statements(contact):
        if names_them(statement.text, terms):
            statement.text = str(ERASED_TEXT)[:STATEMENT_MAX_LENGTH]
        statement.author = None
        statement.participant = None
        statement.save(update_fields=["text", "author", "participant"])
        erased += 1
    participants = _participants(contact)
    erased += StatementVote.objects.filter(participant__in=participants).count()
    erased += participants.delete()[1].get(Participant._meta.label, 0)
    return erased


# Following (debates.following) ------------------------------------------------------------------


def _follows(contact: Contact):
    return Follow.objects.filter(
        Q(contact=contact) | theirs("user", contact),
        debate__department__organisation_id=contact.organisation_id,
    )


def export_follows(contact: Contact) -> list[dict]:
    """The debates the person follows; whether they still get its e-mails is their consent,
    which contacts' own section of the copy lists."""
    return [
        {"debate": follow.debate.question, "followed since": follow.created_at.isoformat()}
        for follow in _follows(contact).select_related("debate").order_by("pk")
    ]


def erase_follows(contact: Contact) -> int:
    """Their follows go, and with them the record of what they were sent."""
    follows = _follows(contact)
    count = follows.count()
    follows.delete()
    return count
