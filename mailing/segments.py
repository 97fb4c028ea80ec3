"""E-mail engagement as segment conditions (registered with contacts.segments in
MailingConfig.ready): contacts who opened, or clicked a link in, one campaign or any."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext, gettext_lazy

from contacts import segments
from mailing.models import Campaign, Delivery


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


def campaign_choices(organisation) -> list[tuple[str, str]]:
    """What the segment builder offers: any campaign, or one that has gone out (a draft has
    nobody to have opened it)."""
    sent = (
        Campaign.objects.filter(organisation=organisation)
        .exclude(status__in=[Campaign.Status.DRAFT, Campaign.Status.SCHEDULED])
        .order_by("-pk")
        .values_list("pk", "name")
    )
    return [("any", gettext("Any campaign")), *((str(pk), name) for pk, name in sent)]


def register() -> None:
    segments.register_field(
        "email_opened",
        _engaged("opened_at"),
        label=gettext_lazy("Opened an e-mail from"),
        choices=campaign_choices,
    )
    segments.register_field(
        "email_clicked",
        _engaged("clicked_at"),
        label=gettext_lazy("Clicked a link in an e-mail from"),
        choices=campaign_choices,
    )
