"""Petitions: starting one, and what the other services share (the council's scheme, a petition's
address, its consent purpose and its e-mails). Every officer action checks a permission and is
audited; residents are told by e-mail through the mailing engine.

Moderation lives in petitions.services.moderation, the council's answer in
petitions.services.answering, officers' invalidation of signatures in
petitions.services.invalidation, what is kept of signatures in petitions.services.retention,
signing and confirming in petitions.services.signing, the published count in
petitions.services.counting. The services views and tasks call are imported here too.

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

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import Organisation
from contacts.models import ConsentPurpose
from contacts.services import item_purpose
from petitions.models import (
    Petition,
    PetitionPolicy,
    Signature,
)
from petitions.services.counting import count_soon
from petitions.services.signing import signature_email_key, signer_clean

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


def petition_email_drawn(petition: Petition, template: str, **extra) -> tuple[str, str]:
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


def petition_email_send(petition: Petition, to_email: str, template: str, **extra) -> None:
    from mailing.services import transactional_enqueue

    subject, text = petition_email_drawn(petition, template, **extra)
    transactional_enqueue(
        organisation=petition.organisation,
        to_email=to_email,
        subject=subject,
        text=text,
        contact=extra.get("contact"),
    )


def creator_email(petition: Petition) -> str:
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
    petition_email_send(
        petition,
        user.email,
        "started",
        support_link=link,
        supporters=policy.supporters_required,
    )
    return Started(petition, link)


def moderation_queue_notice(petition: Petition) -> None:
    """Tell the creator that enough supporters confirmed and the petition is being checked."""
    email = creator_email(petition)
    if email:
        petition_email_send(petition, email, "submitted")


# The services of the package's modules, for views, the admin and tasks to import from here. They
# come last because those modules import the helpers above.
from petitions.services.answering import (  # noqa: E402
    debate_publish,
    debate_schedule,
    response_publish,
    signers_notify,
)
from petitions.services.invalidation import (  # noqa: E402
    Invalidation,
    invalidation_clean,
    signatures_invalidate,
    signatures_matching,
)
from petitions.services.moderation import (  # noqa: E402
    lock_holder,
    moderation_lock,
    moderation_unlock,
    petition_hide,
    petition_publish,
    petition_reject,
    petition_remove,
)
from petitions.services.retention import signatures_anonymise, signatures_record  # noqa: E402

__all__ = [
    "Invalidation",
    "debate_publish",
    "debate_schedule",
    "invalidation_clean",
    "lock_holder",
    "moderation_lock",
    "moderation_unlock",
    "petition_hide",
    "petition_publish",
    "petition_reject",
    "petition_remove",
    "response_publish",
    "signatures_anonymise",
    "signatures_invalidate",
    "signatures_matching",
    "signatures_record",
    "signers_notify",
]
