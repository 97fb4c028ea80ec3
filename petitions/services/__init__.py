"""Starting, moderating and answering petitions. Every officer action checks a permission and
is audited; residents are told by e-mail through the mailing engine.

Signing and confirming live in petitions.services.signing, the published count in
petitions.services.counting.

    petition_create        a signed-in resident starts a petition (their own signature counts)
    moderation_lock        a moderator holds a petition while they edit it; others wait
    petition_publish       published: open for CIVIC's policy.open_days, then closed on time
    petition_reject        rejected with a coded reason and an explanation e-mailed to the creator
    petition_hide          a rejected petition hidden for legal reasons
    petition_remove        taken down: its page answers 410
    response_publish       the council's response, e-mailed to signers who asked to hear
    debate_schedule        a debate date; debate_publish its outcome, minutes and video
    signatures_invalidate  officers strike out signatures by address, domain, postcode or time
    signatures_record      signers who asked to hear become contacts with that consent
    signatures_anonymise   signatures lose who signed a while after the petition closes
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry, Organisation
from civic.postcodes import normalise_postcode
from civic.queueing import queue_after_commit
from civic.services import audit_record, require
from contacts.models import ConsentPurpose
from contacts.services import item_purpose
from mailing.services.notices import consenters_notify
from petitions.models import (
    ACTIVITY_SIGNATURE,
    SOURCE_PETITION,
    Petition,
    PetitionPolicy,
    Signature,
)
from petitions.services.counting import count_soon, page_forget, petition_count
from petitions.services.signing import signature_email_key, signer_clean

LOCK_MINUTES = 15
NOT_MODERATOR = gettext_lazy("You do not moderate this council's petitions.")


def policy_for(organisation: Organisation) -> PetitionPolicy:
    """The council's petition scheme; a council without one takes no petitions."""
    policy = PetitionPolicy.objects.filter(organisation=organisation).first()
    if policy is None:
        raise ValidationError(_("This council does not take petitions here yet."))
    return policy


def petition_url(petition: Petition) -> str:
    return settings.CIVIC_SITE_URL + reverse("petitions:detail", args=[petition.pk])


def petition_purpose(petition: Petition) -> ConsentPurpose:
    """The consent purpose 'news about this petition': its response and debate."""
    return item_purpose(
        organisation_id=petition.organisation_id,
        item=petition,
        name=_("News about the petition “%(title)s”") % {"title": petition.title[:150]},
        description=_(
            "An e-mail when the council responds to this petition, and when it is debated."
        ),
    )


def _drawn(petition: Petition, template: str, **extra) -> tuple[str, str]:
    """A petition e-mail's subject and text."""
    context = {
        "petition": petition,
        "url": petition_url(petition),
        "site_name": settings.CIVIC_SITE_NAME,
        **extra,
    }
    return (
        render_to_string(f"petitions/email/{template}_subject.txt", context).strip(),
        render_to_string(f"petitions/email/{template}.txt", context),
    )


def _mail(petition: Petition, to_email: str, template: str, **extra) -> None:
    from mailing.services import transactional_enqueue

    subject, text = _drawn(petition, template, **extra)
    transactional_enqueue(
        organisation=petition.organisation,
        to_email=to_email,
        subject=subject,
        text=text,
        contact=extra.get("contact"),
    )


def _creator_email(petition: Petition) -> str:
    return petition.creator.email if petition.creator_id and petition.creator else ""


# Starting ---------------------------------------------------------------------------------------


@dataclass
class Started:
    petition: Petition
    support_url: str


def support_token(petition: Petition) -> str:
    from django.core import signing

    return signing.dumps(petition.pk, salt="petitions.support")


def petition_from_support_token(token: str) -> Petition | None:
    from django.core import signing

    try:
        petition_id = signing.loads(token, salt="petitions.support")
    except signing.BadSignature:
        return None
    return Petition.objects.select_related("organisation").filter(pk=petition_id).first()


def support_url(petition: Petition) -> str:
    return settings.CIVIC_SITE_URL + reverse(
        "petitions:support", args=[petition.pk, support_token(petition)]
    )


@transaction.atomic
def petition_create(
    *,
    user,
    organisation: Organisation,
    title: str,
    background: str,
    details: str = "",
    area=None,
    name: str,
    postcode: str,
    hears_progress: bool = False,
    now: datetime | None = None,
) -> Started:
    """A signed-in resident starts a petition. Their own signature counts at once (their
    address is their account's); the link they share gathers the supporters it needs before
    moderation. Raises ValidationError by field."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False) or not user.email:
        raise PermissionDenied(_("Sign in to start a petition."))
    policy = policy_for(organisation)
    errors: dict[str, ValidationError] = {}
    title = " ".join(str(title or "").split())
    background = str(background or "").strip()
    details = str(details or "").strip()
    limits = {"title": (title, 100), "background": (background, 1000), "details": (details, 2000)}
    for field, (value, limit) in limits.items():
        if field != "details" and not value:
            errors[field] = ValidationError(
                {
                    "title": _("Enter what you want the council to do"),
                    "background": _("Enter why the council should do it"),
                }[field],
                code="required",
            )
        elif len(value) > limit:
            errors[field] = ValidationError(
                _("This must be %(limit)s characters or fewer") % {"limit": limit},
                code="max_length",
            )
    name, postcode = signer_clean(name, postcode, errors=errors)
    if area is not None and area.organisation_id != organisation.pk:
        errors["area"] = ValidationError(_("Choose one of the council's areas"), code="invalid")
    if errors:
        raise ValidationError(errors)

    from civic.services import area_for_postcode

    petition = Petition.objects.create(
        organisation=organisation,
        department=policy.department,
        area=area,
        creator=user,
        creator_name=name,
        title=title,
        background=background,
        details=details,
        created_at=now,
    )
    Signature.objects.create(
        petition=petition,
        name=name,
        email=user.email,
        email_normalised=signature_email_key(user.email),
        postcode=postcode,
        area=area_for_postcode(organisation=organisation, postcode=postcode),
        hears_progress=hears_progress,
        status=Signature.Status.CONFIRMED,
        created_at=now,
        confirmed_at=now,
    )
    count_soon(petition.pk)
    link = support_url(petition)
    _mail(
        petition,
        user.email,
        "started",
        support_link=link,
        supporters=policy.supporters_required,
    )
    return Started(petition, link)


def moderation_queue_notice(petition: Petition) -> None:
    """Tell the creator that enough supporters confirmed and the petition is being checked."""
    email = _creator_email(petition)
    if email:
        _mail(petition, email, "submitted")


# Moderation -------------------------------------------------------------------------------------


def moderation_lock(*, actor, petition: Petition, now: datetime | None = None) -> bool:
    """Hold the petition for this moderator for LOCK_MINUTES (renewed while they work on it).
    False while another moderator holds it."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    held = Petition.objects.filter(
        Q(locked_by__isnull=True) | Q(locked_by=actor) | Q(locked_until__lte=now),
        pk=petition.pk,
    ).update(locked_by=actor, locked_until=now + timedelta(minutes=LOCK_MINUTES))
    if held:
        petition.locked_by, petition.locked_until = actor, now + timedelta(minutes=LOCK_MINUTES)
    return bool(held)


def moderation_unlock(*, actor, petition: Petition) -> None:
    Petition.objects.filter(pk=petition.pk, locked_by=actor).update(
        locked_by=None, locked_until=None
    )


def lock_holder(petition: Petition, *, actor, now: datetime | None = None):
    """Who else holds the petition now, or None."""
    now = now or timezone.now()
    held = petition.locked_until is not None and petition.locked_until > now
    if held and petition.locked_by_id and petition.locked_by_id != actor.pk:
        return petition.locked_by
    return None


def _locked_for_action(actor, petition: Petition, now: datetime) -> Petition:
    """The petition locked in this transaction, refusing if another moderator holds it."""
    locked = (
        Petition.objects.select_for_update(of=("self",))
        .select_related("organisation", "creator")
        .get(pk=petition.pk)
    )
    page_forget(locked.pk)  # whatever the officer changes shows at once
    holder = lock_holder(locked, actor=actor, now=now)
    if holder is not None:
        raise ValidationError(
            _("%(name)s is moderating this petition; try again after %(time)s.")
            % {
                "name": holder.get_full_name() or holder.email,
                "time": timezone.localtime(locked.locked_until).strftime("%H:%M"),
            },
            code="locked",
        )
    return locked


def _move(locked: Petition, status: str) -> None:
    if status not in Petition.TRANSITIONS[locked.status]:
        raise ValidationError(
            _("A petition that is “%(now)s” cannot become “%(next)s”.")
            % {"now": locked.get_status_display(), "next": Petition.Status(status).label},
            code="transition",
        )


@transaction.atomic
def petition_publish(*, actor, petition: Petition, now: datetime | None = None) -> Petition:
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    locked = _locked_for_action(actor, petition, now)
    _move(locked, Petition.Status.OPEN)
    policy = policy_for(locked.organisation)
    locked.status = Petition.Status.OPEN
    locked.opened_at = now
    locked.closes_at = now + timedelta(days=policy.open_days)
    locked.moderated_at, locked.moderated_by = now, actor
    locked.locked_by, locked.locked_until = None, None
    locked.save()
    audit_record(
        actor=actor, action=AuditEntry.Action.PUBLISH, obj=locked, summary="Published the petition"
    )
    email = _creator_email(locked)
    if email:
        _mail(locked, email, "published")
    count_soon(locked.pk)
    return locked


@transaction.atomic
def petition_reject(
    *,
    actor,
    petition: Petition,
    reason: str,
    explanation: str,
    hide: bool = False,
    now: datetime | None = None,
) -> Petition:
    """Reject with one of Petition.Reason and an explanation, both e-mailed to the creator. A
    rejected petition stays visible with its reason unless hidden for legal reasons."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    errors = {}
    if reason not in Petition.Reason.values:
        errors["rejection_reason"] = ValidationError(_("Choose a reason"), code="required")
    explanation = str(explanation or "").strip()
    if not explanation:
        errors["rejection_details"] = ValidationError(
            _("Explain the decision to the person who started the petition"), code="required"
        )
    if errors:
        raise ValidationError(errors)
    locked = _locked_for_action(actor, petition, now)
    status = Petition.Status.HIDDEN if hide else Petition.Status.REJECTED
    _move(locked, status)
    locked.status = status
    locked.rejection_reason, locked.rejection_details = reason, explanation
    locked.moderated_at, locked.moderated_by = now, actor
    locked.locked_by, locked.locked_until = None, None
    locked.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        obj=locked,
        summary=f"Rejected the petition ({reason}{', hidden' if hide else ''})",
    )
    email = _creator_email(locked)
    if email:
        _mail(
            locked,
            email,
            "rejected",
            reason=Petition.Reason(reason).label,
            explanation=explanation,
            hidden=hide,
        )
    return locked


@transaction.atomic
def petition_hide(*, actor, petition: Petition, now: datetime | None = None) -> Petition:
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    locked = _locked_for_action(actor, petition, now)
    _move(locked, Petition.Status.HIDDEN)
    locked.status = Petition.Status.HIDDEN
    locked.moderated_at, locked.moderated_by = now, actor
    locked.locked_by, locked.locked_until = None, None
    locked.save(
        update_fields=["status", "moderated_at", "moderated_by", "locked_by", "locked_until"]
    )
    audit_record(
        actor=actor, action=AuditEntry.Action.MODERATE, obj=locked, summary="Hid the petition"
    )
    return locked


@transaction.atomic
def petition_remove(
    *, actor, petition: Petition, reason: str, now: datetime | None = None
) -> Petition:
    """Take a petition down (its page answers 410 Gone); signatures stop counting."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError(
            {"removed_reason": ValidationError(_("Say why the petition is removed"), "required")}
        )
    locked = _locked_for_action(actor, petition, now or timezone.now())
    _move(locked, Petition.Status.REMOVED)
    locked.status = Petition.Status.REMOVED
    locked.removed_reason = reason
    locked.locked_by, locked.locked_until = None, None
    locked.save(update_fields=["status", "removed_reason", "locked_by", "locked_until"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        obj=locked,
        summary=f"Removed the petition: {reason[:150]}",
    )
    return locked


# The council's answer ---------------------------------------------------------------------------


def _require_published(petition: Petition) -> None:
    if petition.status != Petition.Status.OPEN:
        raise ValidationError(_("Only a published petition can be answered."), code="status")


@transaction.atomic
def response_publish(
    *, actor, petition: Petition, text: str, now: datetime | None = None
) -> Petition:
    """Publish the council's response; every confirmed signer who asked to hear is e-mailed."""
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"response": _("Enter the council's response")}, code="required")
    locked = _locked_for_action(actor, petition, now)
    _require_published(locked)
    first = locked.responded_at is None
    locked.response, locked.responded_at = text, locked.responded_at or now
    locked.save(update_fields=["response", "responded_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=locked,
        summary="Published the council's response" if first else "Changed the council's response",
    )
    if first:
        _notify_signers(locked, "response")
    return locked


@transaction.atomic
def debate_schedule(*, actor, petition: Petition, when: date) -> Petition:
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    locked = _locked_for_action(actor, petition, timezone.now())
    _require_published(locked)
    if when is None:
        raise ValidationError({"debate_date": _("Enter the date of the debate")})
    locked.debate_date = when
    locked.save(update_fields=["debate_date"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=locked,
        summary=f"Scheduled the debate for {when.isoformat()}",
    )
    return locked


@transaction.atomic
def debate_publish(
    *,
    actor,
    petition: Petition,
    summary: str,
    minutes_url: str = "",
    video_url: str = "",
    now: datetime | None = None,
) -> Petition:
    """Publish what the debate decided (with links to the minutes and the video); every
    confirmed signer who asked to hear is e-mailed."""
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    summary = str(summary or "").strip()
    if not summary:
        raise ValidationError({"debate_summary": _("Enter what the debate decided")})
    locked = _locked_for_action(actor, petition, now)
    _require_published(locked)
    if locked.debate_date is None or locked.debate_date > timezone.localdate(now):
        raise ValidationError(
            {"debate_date": _("Record the debate's date, on or before today, first")}
        )
    first = locked.debated_at is None
    locked.debate_summary = summary
    locked.debate_minutes_url, locked.debate_video_url = minutes_url, video_url
    locked.debated_at = locked.debated_at or now
    locked.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=locked,
        summary="Published the outcome of the debate",
    )
    if first:
        _notify_signers(locked, "debated")
    return locked


def _notify_signers(petition: Petition, template: str) -> None:
    """E-mail every confirmed signer who asked to hear, from a worker once this commits."""
    queue_after_commit("petitions.tasks.petition_notify_task", petition.pk, template)


def signers_notify(*, petition_id: int, template: str) -> int:
    """One message to each contact with a live consent for the petition's news, through
    mailing's notices (in batches, drawn once). Run by a worker; the signers' consents are
    recorded first, so that nobody who confirmed a moment ago is missed."""
    petition = Petition.objects.select_related("organisation").get(pk=petition_id)
    signatures_record(petition_id=petition.pk)
    subject, text = _drawn(petition, template)  # the same for everyone: drawn once
    return consenters_notify(purpose_id=petition_purpose(petition).pk, subject=subject, text=text)


# Signatures: officers' invalidation, contacts, anonymising ----------------------------------


@dataclass(frozen=True)
class Invalidation:
    """Which signatures an officer strikes out; every given field must match."""

    ip: str = ""
    domain: str = ""
    postcode: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> Q:
        condition = Q()
        if self.ip:
            network = ipaddress.ip_network(self.ip, strict=False)
            if network.num_addresses == 1:
                condition &= Q(ip=str(network.network_address))
            else:
                condition &= Q(ip__in_network=str(network))
        if self.domain:
            condition &= Q(email_normalised__endswith="@" + self.domain.lower().lstrip("@"))
        if self.postcode:
            condition &= Q(postcode=self.postcode)
        if self.since:
            condition &= Q(created_at__gte=self.since)
        if self.until:
            condition &= Q(created_at__lt=self.until)
        return condition


def invalidation_clean(
    *, ip: str = "", domain: str = "", postcode: str = "", since=None, until=None
) -> Invalidation:
    """Raises ValidationError by field; at least one field is needed."""
    errors = {}
    ip, domain, postcode = (str(value or "").strip() for value in (ip, domain, postcode))
    if ip:
        try:
            ipaddress.ip_network(ip, strict=False)
        except ValueError:
            errors["ip"] = ValidationError(_("Enter an IP address or a network like 192.0.2.0/24"))
    if domain and ("." not in domain or " " in domain):
        errors["domain"] = ValidationError(_("Enter a domain like example.com"))
    if postcode:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError as error:
            errors["postcode"] = error
    if since and until and since >= until:
        errors["until"] = ValidationError(_("The end must be after the start"))
    if not (ip or domain or postcode or since or until):
        errors["ip"] = ValidationError(
            _("Give at least one of an address, a domain, a postcode or a time range")
        )
    if errors:
        raise ValidationError(errors)
    return Invalidation(ip, domain.lower(), postcode, since, until)


def signatures_matching(petition: Petition, invalidation: Invalidation):
    return petition.signatures.filter(
        invalidation.query(),
        status__in=[Signature.Status.PENDING, Signature.Status.CONFIRMED],
    )


@transaction.atomic
def signatures_invalidate(
    *,
    actor,
    petition: Petition,
    invalidation: Invalidation,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Strike out the matching signatures (pending or confirmed), audited, and count the
    petition again in the same transaction. Returns how many."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why these signatures are invalid")})
    changed = signatures_matching(petition, invalidation).update(
        status=Signature.Status.INVALIDATED, invalidated_at=now, invalidation_reason=reason[:200]
    )
    described = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("address", invalidation.ip),
            ("domain", invalidation.domain),
            ("postcode", invalidation.postcode),
            ("from", invalidation.since and invalidation.since.isoformat()),
            ("until", invalidation.until and invalidation.until.isoformat()),
        )
        if value
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        obj=petition,
        summary=f"Invalidated {changed} signatures ({described}): {reason[:100]}",
    )
    petition_count(petition_id=petition.pk, now=now)  # the officer sees the new count at once
    return changed


RECORD_BATCH = 500


def signatures_record(*, petition_id: int | None = None, limit: int = 20_000) -> int:
    """Make each confirmed signer who asked to hear about a petition a contact with that consent,
    the signature on their timeline (a worker does this in batches after confirmations, so
    signing stays fast). Claimed with SKIP LOCKED: workers at once never record one twice."""
    from contacts.services import ConsentGiven, participation_record

    recorded = 0
    while recorded < limit:
        with transaction.atomic():
            pending = Signature.objects.filter(
                status=Signature.Status.CONFIRMED, hears_progress=True, recorded_at__isnull=True
            )
            if petition_id is not None:
                pending = pending.filter(petition_id=petition_id)
            batch = list(
                pending.select_for_update(skip_locked=True, of=("self",))
                .select_related("petition__organisation", "petition__department")
                .order_by("confirmed_at")[:RECORD_BATCH]
            )
            if not batch:
                break
            purposes = {}
            for signature in batch:
                petition = signature.petition
                if petition.pk not in purposes:
                    purposes[petition.pk] = petition_purpose(petition)
                participation_record(
                    organisation=petition.organisation,
                    email=signature.email,
                    kind=ACTIVITY_SIGNATURE,
                    item=petition,
                    item_title=petition.title,
                    reference=f"petition-{petition.pk}-signature-{signature.pk}",
                    source=SOURCE_PETITION,
                    name=signature.name,
                    postcode=signature.postcode,
                    department=petition.department,
                    occurred_at=signature.confirmed_at,
                    consents=[
                        ConsentGiven(
                            purpose=purposes[petition.pk],
                            wording=_("Tell me about this petition's progress"),
                            method=_("Signed the petition “%(title)s”")
                            % {"title": petition.title[:150]},
                        )
                    ],
                )
            Signature.objects.filter(pk__in=[signature.pk for signature in batch]).update(
                recorded_at=timezone.now()
            )
            recorded += len(batch)
    return recorded


def signatures_anonymise(*, now: datetime | None = None) -> int:
    """Signatures of petitions closed for longer than their council's policy.anonymise_days
    keep only their ward and state: name, address, postcode and IP go. Returns how many."""
    now = now or timezone.now()
    anonymised = 0
    for policy in PetitionPolicy.objects.all():
        due = Petition.objects.filter(
            organisation_id=policy.organisation_id,
            anonymised_at__isnull=True,
            closes_at__lte=now - timedelta(days=policy.anonymise_days),
        )
        for petition in due:
            with transaction.atomic():
                anonymised += Signature.objects.filter(petition=petition).strip_identity(
                    now=now, marker="anonymised"
                )
                Petition.objects.filter(pk=petition.pk).update(anonymised_at=now)
    return anonymised
