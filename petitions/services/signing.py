"""Signing a petition: a pending signature, confirmed by a POST from the link e-mailed to it.

The database settles who may sign: one signature per normalised address per petition, and a
second only for another person of the same household (another name, the same postcode), through
a unique (petition, address, household place) whose place is 1 or 2. A refused repeat looks
exactly like a first signature to whoever typed it ("check your e-mail"), and the owner of the
address is told instead, a limited number of times, so the form reveals nobody's signature.

Abuse controls without a CAPTCHA: a honeypot field, a least time between drawing the form and
posting it (a signed timestamp in the form), per-address limits over a short burst and over a
longer window (networks on an allow-list, such as a library's or a council's own, are exempt),
all checked by the shared guard for public forms (civic.form_guard), and disposable e-mail
domains refused. Settings, read when used:

    CIVIC_PETITION_SIGN_BURST        "10/m"   signatures from one address in a short burst
    CIVIC_PETITION_SIGN_SUSTAINED    "60/h"   ... and over a longer window
    CIVIC_PETITION_IP_ALLOWLIST      []       networks exempt from both ("192.0.2.0/24", ...)
    CIVIC_PETITION_MIN_SECONDS       3        the least time from drawing the form to posting it
    CIVIC_PETITION_CONFIRM_DAYS      7        how long a confirmation link works; unconfirmed
                                              signatures are deleted after it
    CIVIC_PETITION_REPEAT_NOTICES    3        e-mails to an address about further attempts
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.localcache import ProcessMemo
from civic.postcodes import normalise_postcode
from civic.queueing import queue_soon
from civic.services import area_for_postcode
from civic.sqltext import insert_new
from petitions.models import Petition, Signature

START_SALT = "petitions.sign-start"
CONFIRM_SALT = "petitions.sign-confirm"
NAME_LIMIT = 100
EMAIL_LIMIT = 254

# Providers that deliver "a.n.other+news@" to "another@": dots and +tags are dropped for them.
_IGNORES_DOTS = {"gmail.com", "googlemail.com"}
_IGNORES_PLUS_TAGS = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "live.co.uk",
    "icloud.com",
    "me.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
}
_SAME_DOMAIN = {"googlemail.com": "gmail.com"}


@dataclass
class Signed:
    """What happened, for tests and logs; the resident sees the same page whatever it says."""

    signature: Signature | None  # the new signature, or None for a repeat
    repeat_of: Signature | None = None
    notice_sent: bool = False


# Settings ---------------------------------------------------------------------------------------


def confirm_days() -> int:
    return int(getattr(settings, "CIVIC_PETITION_CONFIRM_DAYS", 7))


def _repeat_notices() -> int:
    return int(getattr(settings, "CIVIC_PETITION_REPEAT_NOTICES", 3))


# The e-mail address -----------------------------------------------------------------------------


def signature_email_key(email: str) -> str:
    """The key a signature's address is kept under to find a second signature from the same
    mailbox (`Signature.email_normalised`): lower case, and without the dots or +tags of
    providers that ignore them (Gmail delivers j.o.e+petitions@ to joe@). Not a contact's key,
    which keeps the address as typed but for case (contacts.services.contact_email_key)."""
    local, _at, domain = email.strip().lower().rpartition("@")
    domain = _SAME_DOMAIN.get(domain, domain)
    if domain in _IGNORES_PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in _IGNORES_DOTS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def is_disposable(email: str) -> bool:
    """Whether the domain, or a domain it belongs to, is on the maintained list of throwaway
    mail services (the disposable-email-domains package)."""
    from disposable_email_domains import blocklist

    domain = email.strip().lower().rpartition("@")[2]
    parts = domain.split(".")
    return any(".".join(parts[index:]) in blocklist for index in range(len(parts) - 1))


# Abuse protection -------------------------------------------------------------------------------

# A signature the service will not take is a Refused (civic.form_guard), coded closed, spam,
# rate_limited or invalidated.
SIGNING = FormGuard(
    action="petitions:sign",
    salt=START_SALT,
    least_seconds=Setting("CIVIC_PETITION_MIN_SECONDS", 3),
    limits=[
        Limit("burst", "CIVIC_PETITION_SIGN_BURST", "10/m"),
        Limit("sustained", "CIVIC_PETITION_SIGN_SUSTAINED", "60/h"),
    ],
    allow_list="CIVIC_PETITION_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many signatures from your internet connection in a short time. "
        "Try again later."
    ),
)
start_token = SIGNING.token  # the signed moment the form was drawn, carried by the form


# Signing ----------------------------------------------------------------------------------------


def signer_clean(
    name: str, postcode: str, *, errors: dict[str, ValidationError]
) -> tuple[str, str]:
    """A signer's name and postcode as stored (for a petition's creator too: their signature is
    the first); what is wrong with them is added to `errors` by field."""
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = ValidationError(_("Enter your name"), code="required")
    elif len(name) > NAME_LIMIT:
        errors["name"] = ValidationError(
            _("Your name must be %(limit)s characters or fewer") % {"limit": NAME_LIMIT},
            code="max_length",
        )
    postcode = str(postcode or "").strip()
    if not postcode:
        errors["postcode"] = ValidationError(_("Enter your postcode"), code="required")
    else:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError as error:
            errors["postcode"] = error
    return name, postcode


def _clean(name: str, email: str, postcode: str, lives_here: bool) -> tuple[str, str, str]:
    """The name, address and postcode as stored; raises ValidationError by field."""
    errors: dict[str, ValidationError] = {}
    name, postcode = signer_clean(name, postcode, errors=errors)
    email = str(email or "").strip()
    if not email:
        errors["email"] = ValidationError(_("Enter your e-mail address"), code="required")
    else:
        try:
            if len(email) > EMAIL_LIMIT:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = ValidationError(
                _("Enter an e-mail address in the correct format, like name@example.com"),
                code="invalid",
            )
        else:
            if is_disposable(email):
                errors["email"] = ValidationError(
                    _(
                        "Use an e-mail address you keep: addresses from throwaway mail services "
                        "cannot sign"
                    ),
                    code="disposable",
                )
    if not lives_here:
        errors["lives_here"] = ValidationError(
            _("Confirm that you live, work or study in the area to sign"), code="required"
        )
    if errors:
        raise ValidationError(errors)
    return name, email, postcode


def signature_sign(
    *,
    petition: Petition,
    name: str,
    email: str,
    postcode: str,
    lives_here: bool,
    hears_progress: bool = False,
    supporter: bool = False,
    started: str = "",
    honeypot: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Signed:
    """Take a signature, pending until confirmed from the e-mail it sends. `supporter` is for the
    creator's supporters signing through the shared link while the petition gathers them.

    Raises ValidationError by field (name, email, postcode, lives_here), or Refused."""
    now = now or timezone.now()
    if supporter != (petition.status == Petition.Status.SPONSORING) or not petition.is_signable:
        raise Refused(_("This petition is not open for signatures."), code="closed")
    name, email, postcode = _clean(name, email, postcode, lives_here)
    SIGNING.check(honeypot=honeypot, token=started, ip=ip, now=now)
    fields = {
        "petition": petition,
        "name": name,
        "email": email,
        "email_normalised": signature_email_key(email),
        "postcode": postcode,
        "area_id": _area_id(petition, postcode),
        "hears_progress": bool(hears_progress),
        "is_supporter": supporter,
        "ip": ip,
        "created_at": now,
    }
    # Each statement settles its own race (ON CONFLICT), so no transaction is held open here.
    signature = _insert(fields, place=1)
    if signature is None:
        first = Signature.objects.filter(
            petition=petition, email_normalised=fields["email_normalised"], household_place=1
        ).first()
        if first is None:  # deleted meanwhile (an expired signature): one more try
            signature = _insert(fields, place=1)
        elif first.name.casefold() != name.casefold() and first.postcode == postcode:
            signature = _insert(fields, place=2)
        if signature is None:
            repeat_of = (
                first
                or Signature.objects.filter(
                    petition=petition, email_normalised=fields["email_normalised"]
                ).first()
            )
            return Signed(None, repeat_of, _repeat_notice(repeat_of))
    confirmations_soon(petition.pk)
    return Signed(signature)


AREA_CACHE_SECONDS = 600
_recent_areas = ProcessMemo(60)  # and each process keeps what it read for a minute


def _area_id(petition: Petition, postcode: str) -> int | None:
    """The ward of a postcode, from the shared cache for a while: a viral petition's signers
    share a few thousand postcodes, and a ward's postcodes change once a year at most."""
    key = f"petitions:area:{petition.organisation_id}:{postcode.replace(' ', '')}"

    def look_up() -> int:
        area = area_for_postcode(organisation=petition.organisation, postcode=postcode)
        return area.pk if area else 0  # 0: known to lie outside the wards

    return _recent_areas.read_through(key, look_up, seconds=AREA_CACHE_SECONDS) or None


# The one-per-address constraint: a signature's address may hold each household place once.
_ONE_PER_PLACE = ("petition", "email_normalised", "household_place")


def _insert(fields: dict, *, place: int) -> Signature | None:
    """INSERT ... ON CONFLICT DO NOTHING on the one-per-address constraint: the new signature,
    or None when that address already holds that household place (no savepoint and no error
    to recover from, so a viral petition's signing costs one round trip here)."""
    signature = Signature(**fields, household_place=place)
    return signature if insert_new(signature, conflict=_ONE_PER_PLACE) else None


def confirm_token(signature: Signature) -> str:
    return signing.dumps(signature.pk, salt=CONFIRM_SALT, compress=True)


def confirm_url(signature: Signature) -> str:
    return settings.CIVIC_SITE_URL + reverse(
        "petitions:confirm", args=[signature.petition_id, confirm_token(signature)]
    )


CONFIRMATION_BATCH = 500


def confirmations_soon(petition_id: int) -> None:
    """Have a worker put the petition's new confirmation e-mails in the outbox within a second,
    once however many people sign meanwhile: the signing request only stores the signature. If
    the broker is down, the sweep every minute sends them."""
    queue_soon("petitions.tasks.confirmations_send_task", petition_id, delay=1)


def _confirmations(signatures: list[Signature]) -> list[dict]:
    """The confirmation e-mail of each signature. The templates are drawn once per petition,
    with random marks where the signer's name and link go, and each message is that text with
    its own name and link put in: a viral petition's batch costs two renders, not a thousand."""
    drawn: dict[int, tuple[str, str]] = {}
    name_mark, link_mark = secrets.token_hex(12), secrets.token_hex(12)
    messages = []
    for signature in signatures:
        petition = signature.petition
        if petition.pk not in drawn:
            context = {
                "petition": petition,
                "signature": {"name": name_mark},
                "link": link_mark,
                "days": confirm_days(),
                "site_name": settings.CIVIC_SITE_NAME,
            }
            drawn[petition.pk] = (
                render_to_string("petitions/email/confirm_subject.txt", context).strip(),
                render_to_string("petitions/email/confirm.txt", context),
            )
        subject, text = drawn[petition.pk]
        messages.append(
            {
                "organisation": petition.organisation,
                "to_email": signature.email,
                "subject": subject,
                # The link first: a name can hold no mark drawn after it was typed.
                "text": text.replace(link_mark, confirm_url(signature)).replace(
                    name_mark, signature.name
                ),
            }
        )
    return messages


def confirmations_send(*, petition_id: int | None = None, now: datetime | None = None) -> int:
    """Put a confirmation e-mail in the outbox for each pending signature that has none (of one
    petition, or of all), in batches: each batch's messages and the mark on its signatures are
    written in one transaction, and the rows are claimed with SKIP LOCKED, so workers at once,
    a worker that dies or a second run neither skip nor repeat anyone. Returns how many."""
    from mailing.services import transactional_enqueue_many

    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            waiting = Signature.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                status=Signature.Status.PENDING, confirmation_queued_at__isnull=True
            )
            if petition_id is not None:
                waiting = waiting.filter(petition_id=petition_id)
            batch = list(
                waiting.select_related("petition__organisation").order_by("pk")[:CONFIRMATION_BATCH]
            )
            if not batch:
                return sent
            transactional_enqueue_many(_confirmations(batch))
            Signature.objects.filter(pk__in=[signature.pk for signature in batch]).update(
                confirmation_queued_at=now
            )
        sent += len(batch)


def _repeat_notice(signature: Signature | None) -> bool:
    """Tell the owner of an address that it was used to sign again (with the confirmation link
    again if theirs is not confirmed yet), at most CIVIC_PETITION_REPEAT_NOTICES times."""
    if signature is None:
        return False
    with transaction.atomic():
        counted = Signature.objects.filter(
            pk=signature.pk, repeat_notices__lt=_repeat_notices()
        ).update(repeat_notices=F("repeat_notices") + 1)
        if counted:
            _repeat_enqueue(signature)
    return bool(counted)


def _repeat_enqueue(signature: Signature) -> None:
    from mailing.services import transactional_enqueue

    petition = signature.petition
    context = {
        "petition": petition,
        "signature": signature,
        "pending": signature.status == Signature.Status.PENDING,
        "link": confirm_url(signature),
        "petition_url": settings.CIVIC_SITE_URL + reverse("petitions:detail", args=[petition.pk]),
        "site_name": settings.CIVIC_SITE_NAME,
    }
    transactional_enqueue(
        organisation=petition.organisation,
        to_email=signature.email,
        subject=render_to_string("petitions/email/repeat_subject.txt", context).strip(),
        text=render_to_string("petitions/email/repeat.txt", context),
    )


# Confirming -------------------------------------------------------------------------------------


def signature_from_token(*, token: str, petition_id: int) -> Signature | None:
    """The signature a confirmation link names, if the link is genuine, recent and for this
    petition."""
    try:
        signature_id = signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_days() * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(signature_id, int):
        return None
    return (
        Signature.objects.select_related("petition__organisation")
        .filter(pk=signature_id, petition_id=petition_id)
        .first()
    )


def signature_confirm(*, signature: Signature, now: datetime | None = None) -> bool:
    """Confirm a pending signature (once: a second POST changes nothing) and have a worker
    count the petition again. Raises Refused if the petition no longer takes signatures or the
    signature was invalidated. Returns whether this call confirmed it."""
    from petitions.services.counting import count_soon

    now = now or timezone.now()
    petition = signature.petition
    if signature.status == Signature.Status.INVALIDATED:
        raise Refused(_("This signature can no longer be confirmed."), code="invalidated")
    if signature.status == Signature.Status.CONFIRMED:
        return False
    # A supporter who confirms once enough others have (the petition is being checked) still
    # counts when it is published.
    late_supporter = signature.is_supporter and petition.status == Petition.Status.PENDING
    if not (petition.is_signable or late_supporter):
        raise Refused(_("This petition closed before the signature was confirmed."), code="closed")
    with transaction.atomic():
        # One UPDATE that makes only the allowed move, so that two clicks confirm once.
        confirmed = Signature.objects.filter(
            pk=signature.pk, status__in=Signature.lifecycle.sources(Signature.Status.CONFIRMED)
        ).update(status=Signature.Status.CONFIRMED, confirmed_at=now)
        if confirmed:
            count_soon(petition.pk)
    if confirmed:
        signature.refresh_from_db(fields=["status", "confirmed_at"])
    return bool(confirmed)


def unconfirmed_remove(*, now: datetime | None = None) -> int:
    """Delete signatures nobody confirmed while their link worked: they never counted, and the
    address they hold may not even be the signer's."""
    now = now or timezone.now()
    stale = Signature.objects.filter(
        status=Signature.Status.PENDING, created_at__lt=now - timedelta(days=confirm_days())
    )
    deleted, _by_model = stale.delete()
    return deleted
