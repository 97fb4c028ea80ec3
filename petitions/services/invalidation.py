"""Officers strike out signatures by address, network, e-mail domain, postcode or time of signing,
audited; the count is taken again at once.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.postcodes import normalise_postcode
from civic.services import audit_record, require
from petitions.models import (
    Petition,
    Signature,
)
from petitions.services import (
    NOT_MODERATOR,
)
from petitions.services.counting import petition_count


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
        status__in=Signature.lifecycle.sources(Signature.Status.INVALIDATED),
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
