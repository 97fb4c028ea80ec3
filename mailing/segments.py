"""E-mail engagement as segment conditions (registered with contacts.segments in
MailingConfig.ready): contacts who opened, or clicked a link in, one campaign or any."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from contacts import segments
from mailing.models import Delivery


def _engaged(timestamp: str):
    def build(condition: dict, organisation) -> Q:
        value = condition.get("value")
        deliveries = Delivery.objects.filter(
            contact=OuterRef("pk"),
            organisation=organisation,
            **{f"{timestamp}__isnull": False},
        )
        if value not in (None, "", "any"):
            try:
                deliveries = deliveries.filter(campaign_id=int(value))
            except (TypeError, ValueError):
                raise ValidationError(
                    f"E-mail engagement takes a campaign number or 'any', not {value!r}"
                ) from None
        return Q(Exists(deliveries))  # contacts.segments applies "not"

    return build


def register() -> None:
    segments.register_field("email_opened", _engaged("opened_at"))
    segments.register_field("email_clicked", _engaged("clicked_at"))
