"""The published count: confirmed signatures counted by a worker, never `+1` per signature.

A confirmation asks for a count a couple of seconds later (CIVIC_PETITION_COUNT_SECONDS); however
many confirmations arrive meanwhile, one count runs, grouped by ward in one index scan, and the
count, the counts by ward and any threshold crossed are written onto the petition in one update.
So the count shown is exact and a few seconds old, and a viral petition's row is written every
few seconds however fast people sign. Beat recounts every published petition on a schedule and
logs any drift it finds (a count that was lost with a worker, say).

Crossing a threshold is recorded once (the petition row is locked while counting) and the
petitions team is told by e-mail.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.localcache import ProcessMemo
from civic.models import Area
from civic.queueing import queue_soon, soon_key
from petitions.models import Petition, PetitionPolicy, Signature, Threshold

logger = logging.getLogger(__name__)
PETITION_COUNT = "petitions.tasks.petition_count_task"


def _count_seconds() -> float:
    return float(getattr(settings, "CIVIC_PETITION_COUNT_SECONDS", 2))


def count_soon(petition_id: int) -> None:
    """Have a worker count the petition in CIVIC_PETITION_COUNT_SECONDS, once however many
    signatures change meanwhile; queued when the transaction commits. If the broker is down,
    the scheduled recount catches up."""
    queue_soon(PETITION_COUNT, petition_id, delay=_count_seconds())


def _by_ward(petition_id: int) -> list[list]:
    """[[area id or None, name, count], ...], largest first, from the confirmed signatures."""
    grouped = list(
        Signature.objects.filter(petition_id=petition_id, status=Signature.Status.CONFIRMED)
        .values("area_id")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("area_id", "count")
    )
    names = dict(
        Area.objects.filter(pk__in=[area for area, _count in grouped if area]).values_list(
            "pk", "name"
        )
    )
    wards = [
        [area, names.get(area) if area else _("Outside the council's wards"), count]
        for area, count in grouped
    ]
    return sorted(wards, key=lambda row: (-row[2], row[1] or ""))


def petition_count(*, petition_id: int, now: datetime | None = None) -> int | None:
    """Count the confirmed signatures, write the counts onto the petition, record thresholds
    crossed (telling the petitions team) and send a petition with enough confirmed supporters
    to moderation. Safe to run twice or at once: the petition row is locked while it is
    written. Returns the count, or None if the petition has gone."""
    now = now or timezone.now()
    wards = _by_ward(petition_id)
    total = sum(row[2] for row in wards)
    with transaction.atomic():
        petition = (
            Petition.objects.select_for_update()
            .select_related("organisation")
            .filter(pk=petition_id)
            .first()
        )
        if petition is None:
            return None
        fields = {"signature_count": total, "ward_counts": wards, "counted_at": now}
        if petition.status == Petition.Status.OPEN:
            fields.update(_thresholds_crossed(petition, total, now))
        elif petition.status == Petition.Status.SPONSORING:
            fields.update(_enough_supporters(petition, now))
        Petition.objects.filter(pk=petition.pk).update(**fields)
        page_forget(petition.pk)
    return total


# What each web process read of an open petition a moment ago (see civic.localcache).
recent_petitions = ProcessMemo(1)


def petition_key(petition_id: int) -> str:
    """The cache key of an open petition as the signing form reads it."""
    return f"petitions:open:{petition_id}"


def page_forget(petition_id: int) -> None:
    """Once this transaction commits, drop the petition's cached row for its signing form, so
    that the next signer sees the change (a moderator's decision, its closing) at once. Its page
    follows by itself: writing the petition changes every shared page (civic.pagecache)."""

    def forget() -> None:
        cache.delete(petition_key(petition_id))
        recent_petitions.forget(petition_key(petition_id))

    transaction.on_commit(forget)


def _thresholds_crossed(petition: Petition, total: int, now: datetime) -> dict:
    policy = PetitionPolicy.objects.filter(organisation_id=petition.organisation_id).first()
    if policy is None:
        return {}
    fields = {}
    for threshold in policy.thresholds.all():
        due_field = (
            "response_due_at" if threshold.kind == Threshold.Kind.RESPONSE else "debate_due_at"
        )
        if total >= threshold.signatures and getattr(petition, due_field) is None:
            fields[due_field] = now
            _tell_team(petition, policy, threshold, total)
    return fields


def _enough_supporters(petition: Petition, now: datetime) -> dict:
    policy = PetitionPolicy.objects.filter(organisation_id=petition.organisation_id).first()
    required = policy.supporters_required if policy else 5
    supporters = Signature.objects.filter(
        petition=petition, status=Signature.Status.CONFIRMED, is_supporter=True
    ).count()
    if supporters < required:
        return {}
    from petitions.services import moderation_queue_notice

    moderation_queue_notice(petition)
    return {"status": Petition.Status.PENDING, "submitted_at": now}


def petitions_team(policy: PetitionPolicy) -> list[str]:
    """The e-mail addresses of the officers of the petitions team."""
    from civic.models import Role

    return sorted(
        set(
            Role.objects.filter(
                organisation_id=policy.organisation_id,
                kind=Role.Kind.OFFICER,
                departments=policy.department_id,
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _tell_team(petition: Petition, policy: PetitionPolicy, threshold, total: int) -> None:
    from mailing.services import transactional_enqueue

    context = {
        "petition": petition,
        "threshold": threshold,
        "total": total,
        "admin_url": settings.CIVIC_SITE_URL
        + reverse("admin:petitions_petition_change", args=[petition.pk]),
        "site_name": settings.CIVIC_SITE_NAME,
    }
    for email in petitions_team(policy):
        transactional_enqueue(
            organisation=petition.organisation,
            to_email=email,
            subject=render_to_string("petitions/email/threshold_subject.txt", context).strip(),
            text=render_to_string("petitions/email/threshold.txt", context),
        )


def petitions_recount(*, now: datetime | None = None) -> dict[str, int]:
    """Count every petition that takes or recently took signatures again, logging each whose
    published count had drifted from its confirmed signatures."""
    drifted = counted = 0
    for petition_id, shown in Petition.objects.filter(
        status__in=[Petition.Status.OPEN, Petition.Status.SPONSORING],
        anonymised_at__isnull=True,
    ).values_list("pk", "signature_count"):
        # A count already queued will catch up with recent confirmations: only a difference
        # with none queued is drift.
        queued = cache.get(soon_key(PETITION_COUNT, petition_id)) is not None
        total = petition_count(petition_id=petition_id, now=now)
        counted += 1
        if total is not None and total != shown and not queued:
            drifted += 1
            logger.warning(
                "Petition %s showed %s signatures but has %s confirmed; corrected",
                petition_id,
                shown,
                total,
            )
    return {"counted": counted, "drifted": drifted}
