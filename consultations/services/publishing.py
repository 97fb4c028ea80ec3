"""Publishing responses: officers show (or withdraw) the responses whose respondents agreed to
publication, audited. What a published response shows is read through consultations.selectors.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.services import audit_record, require
from consultations.models import Consultation
from consultations.selectors import publishable_responses, submitted_responses
from consultations.services import NOT_RUNNING


@transaction.atomic
def responses_publish(
    *, actor, consultation: Consultation, response_ids: Iterable[int], published: bool = True
) -> int:
    """Publish (or withdraw) the chosen responses; only responses whose respondents agreed to
    publication can be published. Returns how many changed."""
    require(actor, "consultations.publish_consultation", consultation, message=NOT_RUNNING)
    ids = {int(pk) for pk in response_ids}
    if not ids:
        raise ValidationError(_("Choose at least one response."))
    candidates = (
        publishable_responses(consultation) if published else submitted_responses(consultation)
    )
    chosen = candidates.filter(pk__in=ids, published=not published)
    references = list(chosen.order_by("pk").values_list("reference", flat=True))
    changed = chosen.update(published=published)
    if changed:
        shown = ", ".join(references[:20]) + (" …" if len(references) > 20 else "")
        audit_record(
            actor=actor,
            action=AuditEntry.Action.PUBLISH if published else AuditEntry.Action.EDIT,
            obj=consultation,
            summary=(
                f"{'Published' if published else 'Withdrew'} {changed} "
                f"response{'s' if changed != 1 else ''}: {shown}"
            ),
        )
    return changed
