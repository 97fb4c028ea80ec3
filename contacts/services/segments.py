"""Using segments: counting, sampling and exporting their contacts (exports are audited)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from civic.models import AuditEntry, User
from civic.services import audit_record
from contacts.models import Segment
from contacts.segments import segment_queryset

EXPORT_HEADER = ["email", "name", "phone", "postcode", "area", "represents", "source", "joined"]


def segment_preview(*, segment: Segment, sample_size: int = 10) -> tuple[int, list]:
    contacts = segment_queryset(organisation=segment.organisation, definition=segment.definition)
    return contacts.count(), list(contacts.select_related("area").order_by("pk")[:sample_size])


def segment_export_rows(*, actor: User, segment: Segment) -> Iterator[list]:
    """Rows of the segment's contacts for a CSV, recording the export before the first row."""
    contacts = (
        segment_queryset(organisation=segment.organisation, definition=segment.definition)
        .select_related("area")
        .order_by("pk")
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditEntry.Action.EXPORT,
            obj=segment,
            summary=f"Exported the contacts of segment {segment.name} as CSV",
        )
    for contact in contacts.iterator(chunk_size=2000):
        yield [
            contact.email,
            contact.name,
            contact.phone,
            contact.postcode,
            contact.area.name if contact.area else "",
            contact.represents,
            contact.get_source_display(),
            contact.created_at.date().isoformat(),
        ]
