"""Taking part in a conversation with an e-mail address and no account.

A resident gives their address (`email_participation_ask`); the council sends a signed link to it
(the same kind of link a petition's signature is confirmed with), and following it
(`email_participation_confirm`) makes them a participant in this browser: it carries their key
in the same signed cookie an anonymous visitor's browser carries. Only a confirmed participant
can vote, so every vote counted is one whose address has been shown to work. The database keeps
one participant per address per conversation, so asking again sends the same person's link again
(to use on another device), never a second participant. Their taking part is recorded in contacts
once they confirm, with their consent to hear how the conversation goes if they gave it.

Public form settings, read when used:

    CIVIC_CONVERSATION_EMAIL_BURST          "5/m"   addresses given from one internet address ...
    CIVIC_CONVERSATION_EMAIL_SUSTAINED      "30/h"  ... in a burst and over a longer window
    CIVIC_CONVERSATION_EMAIL_MIN_SECONDS    2       least time from drawing the form to sending it
    CIVIC_CONVERSATION_EMAIL_LINK_DAYS      7       how long a link works
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from contacts.models import ConsentPurpose
from contacts.services import ConsentGiven, item_purpose, participation_record
from debates.conversations import new_anonymous_key
from debates.models import ACTIVITY_CONVERSATION, SOURCE_DEBATE, Conversation, Participant

LINK_SALT = "debates.conversation-email-link"
NEWS_WORDING = gettext_lazy("Tell me how this conversation goes and what the council does next")

ASKING = FormGuard(
    action="debates:conversation-email",
    salt="debates.conversation-email-form",
    least_seconds=Setting("CIVIC_CONVERSATION_EMAIL_MIN_SECONDS", 2),
    limits=[
        Limit("burst", "CIVIC_CONVERSATION_EMAIL_BURST", "5/m"),
        Limit("sustained", "CIVIC_CONVERSATION_EMAIL_SUSTAINED", "30/h"),
    ],
    allow_list="CIVIC_CONVERSATION_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many e-mail addresses given from your internet connection in a "
        "short time. Try again later, or sign in to take part."
    ),
)
email_token = ASKING.token


def link_days() -> int:
    return int(getattr(settings, "CIVIC_CONVERSATION_EMAIL_LINK_DAYS", 7))


def conversation_purpose(conversation: Conversation) -> ConsentPurpose:
    """The consent purpose "news about this conversation"."""
    return item_purpose(
        organisation_id=conversation.organisation_id,
        item=conversation,
        name=_("The conversation “%(title)s”") % {"title": conversation.title[:150]},
        description=_("An e-mail about how the conversation goes and what the council does next."),
    )


def _address(email: str) -> str:
    email = str(email or "").strip().lower()
    if not email:
        raise ValidationError({"email": _("Enter your e-mail address")}, code="required")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": _("Enter an e-mail address in the correct format, like name@example.com")},
            code="invalid",
        ) from None
    if len(email) > Participant._meta.get_field("email").max_length:
        raise ValidationError(
            {"email": _("Your e-mail address must be 254 characters or fewer")}, code="max_length"
        )
    return email


def link_token(participant: Participant) -> str:
    return signing.dumps(participant.pk, salt=LINK_SALT, compress=True)


def link_url(participant: Participant) -> str:
    return settings.CIVIC_SITE_URL + reverse(
        "debates:conversation_email_confirm",
        args=[participant.conversation.slug, link_token(participant)],
    )


def participant_from_link(*, token: str, conversation: Conversation) -> Participant | None:
    """The participant a link names, if the link is genuine, recent and for this conversation."""
    try:
        participant_id = signing.loads(token, salt=LINK_SALT, max_age=link_days() * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(participant_id, int):
        return None
    return Participant.objects.filter(
        pk=participant_id, conversation=conversation, email__isnull=False
    ).first()


@transaction.atomic
def email_participation_ask(
    *,
    conversation: Conversation,
    email: str,
    wants_news: bool = False,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Participant:
    """Send a link to take part to the address. One participant per address per conversation,
    kept by the database: asking again sends the same participant's link again. Refused when
    the conversation is not open or past the public-form guard; ValidationError by field."""
    from mailing.services import transactional_enqueue

    now = now or timezone.now()
    if not conversation.allows("vote", now):
        raise Refused(_("This conversation is not open for votes."), code="closed")
    ASKING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    email = _address(email)
    participant = Participant.objects.filter(conversation=conversation, email=email).first()
    if participant is None:
        try:
            with transaction.atomic():
                participant = Participant.objects.create(
                    conversation=conversation,
                    email=email,
                    anonymous_key=new_anonymous_key(),
                    wants_news=wants_news,
                    created_at=now,
                )
        except IntegrityError:
            participant = Participant.objects.get(conversation=conversation, email=email)
    if wants_news and not participant.wants_news:
        Participant.objects.filter(pk=participant.pk).update(wants_news=True)
    participant.conversation = conversation
    context = {
        "conversation": conversation,
        "url": link_url(participant),
        "days": link_days(),
        "site_name": conversation.organisation.name,
    }
    transactional_enqueue(
        organisation=conversation.organisation,
        to_email=email,
        subject=render_to_string("debates/email/conversation_link_subject.txt", context).strip(),
        text=render_to_string("debates/email/conversation_link.txt", context),
    )
    return participant


@transaction.atomic
def email_participation_confirm(
    *, participant: Participant, browser_key: str | None, now: datetime | None = None
) -> Participant:
    """The person followed their link: they are a confirmed participant, known in this browser
    by the key it returns. The first time, this browser's own key becomes theirs if it is not
    already someone else's in the conversation (so its anonymous taking part elsewhere is kept),
    and their taking part is recorded in contacts with the consent they gave."""
    now = now or timezone.now()
    locked = (
        Participant.objects.select_for_update()
        .select_related("conversation")
        .get(pk=participant.pk)
    )
    if locked.email_confirmed_at is not None:
        return locked
    if browser_key and browser_key != locked.anonymous_key:
        try:
            with transaction.atomic():
                Participant.objects.filter(pk=locked.pk).update(anonymous_key=browser_key)
            locked.anonymous_key = browser_key
        except IntegrityError:
            pass  # the browser is someone in the conversation already: the link's key stands
    locked.email_confirmed_at = now
    locked.save(update_fields=["email_confirmed_at"])
    conversation = locked.conversation
    consents = []
    if locked.wants_news:
        consents.append(
            ConsentGiven(
                purpose=conversation_purpose(conversation),
                wording=str(NEWS_WORDING),
                method=_("Conversation “%(title)s”") % {"title": conversation.title[:150]},
            )
        )
    participation_record(
        organisation=conversation.organisation,
        email=locked.email,
        kind=ACTIVITY_CONVERSATION,
        item=conversation,
        item_title=conversation.title,
        reference=f"participant-{locked.pk}",
        source=SOURCE_DEBATE,
        department=conversation.department,
        occurred_at=now,
        consents=consents,
    )
    return locked
