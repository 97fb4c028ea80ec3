"""What is kept of signatures: signers who asked to hear become contacts with that consent
(signatures_record), and signatures lose who signed a while after the petition closes
(signatures_anonymise).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.models import (
    ACTIVITY_SIGNATURE,
    SOURCE_PETITION,
    Petition,
    PetitionPolicy,
    Signature,
)
from petitions.services import (
    petition_purpose,
)

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
