"""Importing contacts from a CSV or XLSX file: upload, map the columns, check, then import. The
files themselves are read by contacts.services.import_files.

The import is a worker's job and must survive a crash. Rows are written a batch at a time, each
batch in one transaction together with the import's checkpoint (processed_rows, the counts and
the problems), so a batch either counts fully or not at all. A rerun resumes at the checkpoint;
an import started again from the beginning finds its contacts by e-mail address and treats them
as existing ones. The unique constraint on (organisation, lower(email)) is the referee: a
contact that another request inserted meanwhile ends the batch's bulk insert with an
IntegrityError, and the batch is then written row by row.

The dry run goes through the same code as the import with writing turned off, so the figures it
reports are the figures the import will produce on an unchanged database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.files import delete_after_commit
from civic.models import AuditEntry, Organisation, Postcode, User
from civic.postcodes import normalise_postcode
from civic.queueing import queue_after_commit
from civic.services import audit_record, state_move
from civic.validators import validate_upload
from contacts.models import ConsentEvent, ConsentPurpose, Contact, ContactImport, Tag
from contacts.services.import_files import (
    ALLOWED_EXTENSIONS,
    UnreadableFile,
    cell_text,
    data_rows,
    file_headings,
    file_preview,
    mapping_guess,
    raw_rows,
)

BATCH_SIZE = 2000
PROBLEMS_KEPT = 1000  # a file of nonsense must not grow the import row without bound

# What a column can become, in the order the mapping page offers them.
FIELD_CHOICES = [
    ("", gettext_lazy("Ignore this column")),
    ("email", gettext_lazy("E-mail address")),
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("postcode", gettext_lazy("Postcode")),
    ("represents", gettext_lazy("Organisation or group they represent")),
    ("notes", gettext_lazy("Notes")),
    ("tag", gettext_lazy("Tag (each value becomes a tag)")),
    ("consent_date", gettext_lazy("Date consent was given")),
    ("consent_source", gettext_lazy("Where consent was given")),
]
FIELDS = {value for value, _label in FIELD_CHOICES if value}
DETAIL_FIELDS = ("name", "phone", "postcode", "represents", "notes")
MAX_LENGTHS = {"email": 254, "name": 200, "phone": 40, "represents": 200, "tag": 80}

# Problem codes -> what the report says; the rows keep the code so the page can translate.
PROBLEMS = {
    "missing_email": gettext_lazy("No e-mail address: the row is skipped"),
    "bad_email": gettext_lazy("Not a valid e-mail address: the row is skipped"),
    "duplicate_email": gettext_lazy(
        "Same e-mail address as an earlier row, which is imported instead: the row is skipped"
    ),
    "bad_postcode": gettext_lazy("Not a real UK postcode: the row is skipped"),
    "too_long": gettext_lazy("A value is too long for its field: the row is skipped"),
    "no_consent": gettext_lazy(
        "No consent imported: the row needs both a consent date and a consent source"
    ),
    "bad_consent_date": gettext_lazy(
        "No consent imported: the consent date must be a past date like 2024-03-01 or 01/03/2024"
    ),
    "unreadable": gettext_lazy("The file could not be read"),
}
SKIPPING_PROBLEMS = {"missing_email", "bad_email", "duplicate_email", "bad_postcode", "too_long"}

# What the dry run writes back to the import row, besides its status.
_REPORT_FIELDS = (
    "mapping",
    "existing",
    "consent_purpose",
    "problems",
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "skipped_count",
)


_KEEP = object()  # a setting the caller leaves as the import holds it


# Mapping ----------------------------------------------------------------------------------------


def mapping_problems(
    *, mapping: dict[str, str], consent_purpose: ConsentPurpose | None
) -> list[tuple[str | None, str]]:
    """What is wrong with a mapping, as (column heading or 'consent_purpose' or None, message)."""
    problems: list[tuple[str | None, str]] = []
    labels = dict(FIELD_CHOICES)
    by_field: dict[str, list[str]] = {}
    for heading, target in mapping.items():
        if target and target not in FIELDS:
            problems.append((heading, _("Choose what this column holds from the list")))
        elif target:
            by_field.setdefault(target, []).append(heading)
    for target, headings in by_field.items():
        if target != "tag" and len(headings) > 1:
            for heading in headings:
                problems.append(
                    (
                        heading,
                        _("Map only one column to %(field)s") % {"field": labels[target]},
                    )
                )
    if "email" not in by_field:
        problems.append((None, _("Choose the column that holds the e-mail addresses")))
    has_consent_columns = "consent_date" in by_field and "consent_source" in by_field
    if consent_purpose is not None and not has_consent_columns:
        problems.append(
            (
                "consent_purpose",
                _(
                    "To import consent, map one column to the date consent was given and one "
                    "to where it was given"
                ),
            )
        )
    return problems


def _check_settings(
    *,
    contact_import: ContactImport,
    mapping: dict[str, str],
    existing: str,
    consent_purpose: ConsentPurpose | None,
) -> None:
    errors: dict[str, list[str]] = {}
    for key, message in mapping_problems(mapping=mapping, consent_purpose=consent_purpose):
        errors.setdefault("consent_purpose" if key == "consent_purpose" else "mapping", []).append(
            message
        )
    if existing not in ContactImport.Existing.values:
        errors.setdefault("existing", []).append(_("Choose what happens to existing contacts"))
    if (
        consent_purpose is not None
        and consent_purpose.organisation_id != contact_import.organisation_id
    ):
        errors.setdefault("consent_purpose", []).append(
            _("Choose a consent purpose of the import's own organisation")
        )
    if errors:
        raise ValidationError(errors)


def _apply_settings(
    contact_import: ContactImport,
    *,
    mapping: dict[str, str] | None,
    existing: str | None,
    consent_purpose,
) -> None:
    if mapping is not None:
        contact_import.mapping = dict(mapping)
    if existing is not None:
        contact_import.existing = existing
    if consent_purpose is not _KEEP:
        contact_import.consent_purpose = consent_purpose
    _check_settings(
        contact_import=contact_import,
        mapping=contact_import.mapping,
        existing=contact_import.existing,
        consent_purpose=contact_import.consent_purpose,
    )


# Rows -------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    single: dict[str, int]
    tags: list[int]

    @classmethod
    def of(cls, headings: list[str], mapping: dict[str, str]) -> _Columns:
        single: dict[str, int] = {}
        tags: list[int] = []
        for index, heading in enumerate(headings):
            target = mapping.get(heading, "")
            if target == "tag":
                tags.append(index)
            elif target:
                single[target] = index
        return cls(single=single, tags=tags)


@dataclass
class _Row:
    number: int
    email: str
    details: dict[str, str]
    tags: dict[str, str]  # lower-case name -> name as written first
    consent_at: datetime | None = None
    consent_source: str = ""


def _consent_date(value) -> datetime | None:
    """Midnight, local time, of a date cell: a real date, YYYY-MM-DD or DD/MM/YYYY."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = cell_text(value)
        day = None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
            with contextlib.suppress(ValueError):
                day = datetime.strptime(text, pattern).date()
                break
    if day is None or day > timezone.localdate():
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class _Parser:
    columns: _Columns
    consent: bool
    seen: dict[str, int] = field(default_factory=dict)  # e-mail -> row that imports it

    def parse(self, number: int, cells: list) -> tuple[_Row | None, list[dict]]:
        """The row's contact, or None and why it is skipped; consent problems come along."""

        def cell(target: str):
            index = self.columns.single.get(target)
            return cells[index] if index is not None and index < len(cells) else None

        def problem(code: str, value: str = "") -> dict:
            return {"row": number, "code": code, "problem": str(PROBLEMS[code]), "value": value}

        email = cell_text(cell("email")).lower()
        if not email:
            return None, [problem("missing_email")]
        try:
            validate_email(email)
        except ValidationError:
            return None, [problem("bad_email", email[:254])]
        if len(email) > MAX_LENGTHS["email"]:
            return None, [problem("bad_email", email[:254])]
        if email in self.seen:
            return None, [problem("duplicate_email", f"{email} (row {self.seen[email]})")]
        details = {target: cell_text(cell(target)) for target in DETAIL_FIELDS}
        if details["postcode"]:
            try:
                details["postcode"] = normalise_postcode(details["postcode"])
            except ValidationError:
                return None, [problem("bad_postcode", details["postcode"][:40])]
        tags: dict[str, str] = {}
        for index in self.columns.tags:
            name = cell_text(cells[index]) if index < len(cells) else ""
            if name:
                tags.setdefault(name.lower(), name)
        for target, limit in MAX_LENGTHS.items():
            values = tags.values() if target == "tag" else [details.get(target, "")]
            if any(len(value) > limit for value in values):
                return None, [problem("too_long", target)]
        row = _Row(number=number, email=email, details=details, tags=tags)
        warnings = []
        if self.consent:
            raw_date, source = cell("consent_date"), cell_text(cell("consent_source"))
            if not cell_text(raw_date) or not source:
                warnings.append(problem("no_consent"))
            elif (at := _consent_date(raw_date)) is None:
                warnings.append(problem("bad_consent_date", cell_text(raw_date)[:40]))
            else:
                row.consent_at, row.consent_source = at, source
        self.seen[email] = number
        return row, warnings


# Batches ----------------------------------------------------------------------------------------


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0


@dataclass
class _Job:
    contact_import: ContactImport
    write: bool

    @property
    def organisation_id(self) -> int:
        return self.contact_import.organisation_id

    @property
    def purpose(self) -> ConsentPurpose | None:
        return self.contact_import.consent_purpose

    def consent_method(self, source: str) -> str:
        number = self.contact_import.pk
        return (_("Contact import #%(number)s: %(source)s") % {"number": number, "source": source})[
            :200
        ]


def _existing_contacts(organisation_id: int, emails: list[str]) -> dict[str, Contact]:
    found = (
        Contact.objects.filter(organisation_id=organisation_id)
        .exclude(email="")
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
    )
    return {contact.email_lower: contact for contact in found}


def _changes(contact: Contact, row: _Row, mode: str, areas: dict[str, int]) -> list[str]:
    """Set the row's details on an existing contact as the mode says; the fields changed."""
    changed = []
    if mode == ContactImport.Existing.SKIP:
        return changed
    for target in DETAIL_FIELDS:
        value = row.details[target]
        current = getattr(contact, target)
        if not value or value == current:
            continue  # a blank cell never erases what a contact holds
        if mode == ContactImport.Existing.FILL and current:
            continue
        setattr(contact, target, value)
        changed.append(target)
        if target == "postcode":
            contact.area_id = areas.get(value)
            changed.append("area")
    return changed


def _create_contacts(job: _Job, new: list[tuple[_Row, Contact]]) -> list[tuple[_Row, Contact]]:
    """Insert the batch's new contacts; those another request inserted meanwhile come back."""
    if not new:
        return []
    try:
        with transaction.atomic():
            Contact.objects.bulk_create([contact for _row, contact in new])
        return []
    except IntegrityError:
        pass
    lost = []
    for row, contact in new:
        contact.pk = None
        try:
            with transaction.atomic():
                contact.save(force_insert=True)
        except IntegrityError:
            lost.append(row)
    if not lost:
        return []
    others = _existing_contacts(job.organisation_id, [row.email for row in lost])
    return [(row, others[row.email]) for row in lost if row.email in others]


def _tag_ids(job: _Job, names: dict[str, str]) -> dict[str, int]:
    """Lower-case tag name -> id; in a write, the organisation's missing tags are made."""
    if not names:
        return {}

    def known() -> dict[str, int]:
        return dict(
            Tag.objects.filter(organisation_id=job.organisation_id)
            .annotate(name_lower=Lower("name"))
            .filter(name_lower__in=list(names))
            .values_list("name_lower", "pk")
        )

    ids = known()
    missing = [name for key, name in names.items() if key not in ids]
    if missing and job.write:
        Tag.objects.bulk_create(
            [Tag(organisation_id=job.organisation_id, name=name) for name in missing],
            ignore_conflicts=True,  # a tag made meanwhile by someone else is the same tag
        )
        ids = known()
    return ids


def _process_batch(job: _Job, rows: list[_Row]) -> _Counts:
    """Decide, and when writing make, what each row does. Runs inside the batch's transaction."""
    counts = _Counts()
    if not rows:
        return counts
    contact_import = job.contact_import
    mode = contact_import.existing
    postcodes = {row.details["postcode"] for row in rows if row.details["postcode"]}
    areas = dict(
        Postcode.objects.filter(
            organisation_id=job.organisation_id, postcode__in=postcodes
        ).values_list("postcode", "area_id")
    )
    existing = _existing_contacts(job.organisation_id, [row.email for row in rows])
    new = [
        (
            row,
            Contact(
                organisation_id=job.organisation_id,
                email=row.email,
                source=Contact.Source.IMPORT,
                area_id=areas.get(row.details["postcode"]),
                **row.details,
            ),
        )
        for row in rows
        if row.email not in existing
    ]
    old = [(row, existing[row.email]) for row in rows if row.email in existing]
    if job.write:
        lost = _create_contacts(job, new)
        lost_rows = {id(row) for row, _contact in lost}
        new = [(row, contact) for row, contact in new if id(row) not in lost_rows]
        old += lost
    counts.created = len(new)

    if mode == ContactImport.Existing.SKIP:
        counts.skipped += len(old)
        old = []
    changed_contacts: dict[int, Contact] = {}
    changed_fields: set[str] = set()
    for row, contact in old:
        fields = _changes(contact, row, mode, areas)
        if fields:
            changed_contacts[contact.pk] = contact
            changed_fields.update(fields)

    # Tags and consent: for new contacts everything is new; for existing ones, what is missing.
    touched = new + old
    tag_names: dict[str, str] = {}
    for row, _contact in touched:
        for key, name in row.tags.items():
            tag_names.setdefault(key, name)  # the first spelling in the file names a new tag
    tag_ids = _tag_ids(job, tag_names)
    old_ids = [contact.pk for _row, contact in old]
    held_tags = set(
        Contact.tags.through.objects.filter(
            contact_id__in=old_ids, tag_id__in=list(tag_ids.values())
        ).values_list("contact_id", "tag_id")
    )
    purpose = job.purpose
    held_consent = set()
    if purpose is not None:
        held_consent = set(
            ConsentEvent.objects.filter(
                contact_id__in=old_ids, purpose=purpose, action=ConsentEvent.Action.GIVEN
            ).values_list("contact_id", "created_at")
        )
    links, events, grown = [], [], set()
    for row, contact in touched:
        for key in row.tags:
            tag_id = tag_ids.get(key)
            if tag_id is None or (contact.pk, tag_id) not in held_tags:
                grown.add(id(row))
                if tag_id is not None:
                    links.append(Contact.tags.through(contact_id=contact.pk, tag_id=tag_id))
        if (
            purpose is not None
            and row.consent_at is not None
            and (contact.pk, row.consent_at) not in held_consent
        ):
            grown.add(id(row))
            events.append(
                ConsentEvent(
                    contact_id=contact.pk,
                    purpose=purpose,
                    action=ConsentEvent.Action.GIVEN,
                    method=job.consent_method(row.consent_source),
                    created_at=row.consent_at,
                )
            )
    for row, contact in old:
        if contact.pk in changed_contacts or id(row) in grown:
            counts.updated += 1
        else:
            counts.skipped += 1

    if job.write:
        if changed_contacts:
            Contact.objects.bulk_update(
                list(changed_contacts.values()), sorted(changed_fields), batch_size=500
            )
        if links:
            Contact.tags.through.objects.bulk_create(links, ignore_conflicts=True)
        if events:
            ConsentEvent.objects.bulk_create(events)
    return counts


def _keep_problems(contact_import: ContactImport, problems: list[dict]) -> None:
    room = PROBLEMS_KEPT - len(contact_import.problems)
    if room > 0:
        contact_import.problems = contact_import.problems + problems[:room]


def _batches(
    contact_import: ContactImport, handle, *, batch_size: int, start_after: int = 0
) -> Iterator[tuple[list[_Row], list[dict], int, int]]:
    """(rows to write, problems, rows read in the batch, skipped rows) per batch of the file.

    Rows before `start_after` are parsed again but not handed out, so that duplicates of an
    e-mail address imported before a crash are still recognised after it.
    """
    with raw_rows(handle, contact_import.file.name) as raw:
        first = next(raw, None)
        if first is None:
            return
        headings = file_headings(first)
        columns = _Columns.of(headings, contact_import.mapping)
        parser = _Parser(
            columns=columns,
            consent=contact_import.consent_purpose_id is not None,
        )
        rows: list[_Row] = []
        problems: list[dict] = []
        read = skipped = 0
        for position, (number, cells) in enumerate(data_rows(raw), start=1):
            row, found = parser.parse(number, cells)
            if position <= start_after:
                continue
            read += 1
            problems += found
            if row is None:
                skipped += 1
            else:
                rows.append(row)
            if read == batch_size:
                yield rows, problems, read, skipped
                rows, problems, read, skipped = [], [], 0, 0
        if read:
            yield rows, problems, read, skipped


def _count_rows(contact_import: ContactImport) -> int:
    with (
        contact_import.file.open("rb") as handle,
        raw_rows(handle, contact_import.file.name) as raw,
    ):
        next(raw, None)
        return sum(1 for _row in data_rows(raw))


def _summary(contact_import: ContactImport) -> str:
    return (
        f"created {contact_import.created_count}, updated {contact_import.updated_count}, "
        f"skipped {contact_import.skipped_count} of {contact_import.total_rows} rows"
    )


# Services ---------------------------------------------------------------------------------------


def contact_import_upload(
    *, actor: User, organisation: Organisation, uploaded_file
) -> ContactImport:
    """Keep an uploaded file for mapping; the columns it can name are guessed from its headings."""
    validate_upload(uploaded_file, allowed=ALLOWED_EXTENSIONS)
    try:
        uploaded_file.seek(0)
        preview = file_preview(uploaded_file, uploaded_file.name, samples=0)
    except UnreadableFile as error:
        raise ValidationError({"file": [str(error)]}) from error
    finally:
        uploaded_file.seek(0)
    with transaction.atomic():
        contact_import = ContactImport.objects.create(
            organisation=organisation,
            file=uploaded_file,
            uploaded_by=actor,
            mapping=mapping_guess(preview.headings),
        )
        audit_record(
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            obj=contact_import,
            summary=f"Uploaded the file of contact import #{contact_import.pk}",
        )
    return contact_import


def contact_import_dry_run(
    *,
    actor: User,
    contact_import: ContactImport,
    mapping: dict[str, str] | None = None,
    existing: str | None = None,
    consent_purpose: ConsentPurpose | object | None = _KEEP,
    batch_size: int = BATCH_SIZE,
) -> ContactImport:
    """Check the file against the database and report what an import would do, changing no
    contact: the import row keeps the settings, the would-be counts and every problem row."""
    ContactImport.lifecycle.check(contact_import, ContactImport.Status.CHECKED)
    _apply_settings(
        contact_import,
        mapping=mapping,
        existing=existing,
        consent_purpose=consent_purpose,
    )
    contact_import.problems = []
    counts = _Counts()
    total = 0
    job = _Job(contact_import=contact_import, write=False)
    try:
        with contact_import.file.open("rb") as handle:
            for rows, problems, read, skipped in _batches(
                contact_import, handle, batch_size=batch_size
            ):
                found = _process_batch(job, rows)
                counts.created += found.created
                counts.updated += found.updated
                counts.skipped += found.skipped + skipped
                total += read
                _keep_problems(contact_import, problems)
    except UnreadableFile as error:
        contact_import.problems = [
            {"row": None, "code": "unreadable", "problem": error.message, "value": ""}
        ]
    contact_import.total_rows = total
    contact_import.processed_rows = 0
    contact_import.created_count = counts.created
    contact_import.updated_count = counts.updated
    contact_import.skipped_count = counts.skipped
    with transaction.atomic():
        # The check took a while: write its report only if nobody started the import meanwhile.
        locked = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        state_move(
            locked,
            ContactImport.Status.CHECKED,
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            summary=f"Checked contact import #{contact_import.pk}: would have "
            + _summary(contact_import),
            fields={name: getattr(contact_import, name) for name in _REPORT_FIELDS},
        )
    return locked


def contact_import_start(
    *,
    actor: User,
    contact_import: ContactImport,
    mapping: dict[str, str] | None = None,
    existing: str | None = None,
    consent_purpose: ConsentPurpose | object | None = _KEEP,
) -> ContactImport:
    """Queue the import on a worker once this transaction has committed."""
    with transaction.atomic():
        locked = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        ContactImport.lifecycle.check(
            locked,
            ContactImport.Status.QUEUED,
            refusal=_("The file is already being imported"),
        )
        contact_import = locked  # the row as it stands, checkpoint included
        _apply_settings(
            contact_import,
            mapping=mapping,
            existing=existing,
            consent_purpose=consent_purpose,
        )
        fields = {name: getattr(contact_import, name) for name in _REPORT_FIELDS}
        if not (locked.status == ContactImport.Status.FAILED and locked.processed_rows > 0):
            # A failed run is resumed from its last committed batch; anything else starts afresh.
            fields.update(
                total_rows=0,
                processed_rows=0,
                created_count=0,
                updated_count=0,
                skipped_count=0,
                problems=[],
            )
        state_move(
            contact_import,
            ContactImport.Status.QUEUED,
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            summary=f"Started contact import #{contact_import.pk}",
            fields=fields,
        )
        queue_after_commit("contacts.tasks.imports.contact_import_task", contact_import.pk)
    return contact_import


def contact_import_run(
    *, contact_import_id: int, batch_size: int = BATCH_SIZE
) -> ContactImport | None:
    """Import a queued file, or resume one that a crash interrupted, from its last checkpoint.

    Safe to run twice at once: each batch checks, under a lock on the import row, that the
    checkpoint is where this run left it, and the run that finds it moved stops.
    """
    with transaction.atomic():
        contact_import = (
            ContactImport.objects.select_for_update(of=("self",))
            .select_related("consent_purpose")
            .filter(pk=contact_import_id)
            .first()
        )
        if contact_import is None or contact_import.status not in (
            ContactImport.Status.QUEUED,
            ContactImport.Status.RUNNING,
        ):
            return contact_import
        if contact_import.status == ContactImport.Status.QUEUED:
            state_move(contact_import, ContactImport.Status.RUNNING, actor=None, summary=None)
    job = _Job(contact_import=contact_import, write=True)
    try:
        if not contact_import.total_rows:
            contact_import.total_rows = _count_rows(contact_import)
            ContactImport.objects.filter(pk=contact_import.pk).update(
                total_rows=contact_import.total_rows
            )
        checkpoint = contact_import.processed_rows
        with contact_import.file.open("rb") as handle:
            for rows, problems, read, skipped in _batches(
                contact_import, handle, batch_size=batch_size, start_after=checkpoint
            ):
                with transaction.atomic():
                    current = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
                    if (
                        current.processed_rows != checkpoint
                        or current.status != ContactImport.Status.RUNNING
                    ):
                        return current  # another run has moved on; it finishes the job
                    counts = _process_batch(job, rows)
                    contact_import.created_count += counts.created
                    contact_import.updated_count += counts.updated
                    contact_import.skipped_count += counts.skipped + skipped
                    contact_import.processed_rows += read
                    _keep_problems(contact_import, problems)
                    contact_import.save(
                        update_fields=[
                            "created_count",
                            "updated_count",
                            "skipped_count",
                            "processed_rows",
                            "problems",
                        ]
                    )
                    checkpoint = contact_import.processed_rows
    except UnreadableFile as error:
        unreadable = {"row": None, "code": "unreadable", "problem": error.message, "value": ""}
        state_move(
            contact_import,
            ContactImport.Status.FAILED,
            actor=None,
            summary=None,
            fields={"problems": [*contact_import.problems, unreadable]},
        )
        return contact_import
    except SoftTimeLimitExceeded:
        raise  # the task queues the run again; it resumes from the last committed batch
    except Exception:
        # Any other crash leaves the import resumable from its checkpoint, not stuck "running".
        contact_import_fail(contact_import_id=contact_import.pk)
        raise
    with transaction.atomic():
        state_move(
            contact_import,
            ContactImport.Status.DONE,
            actor=None,
            action=AuditEntry.Action.IMPORT,
            summary=f"Imported contact import #{contact_import.pk}: " + _summary(contact_import),
        )
        # The file holds many people's details; once imported it is not kept (UK GDPR
        # storage limitation), so erasure never has to reach into uploaded files.
        delete_after_commit(contact_import.file)
    return contact_import


def contact_import_fail(*, contact_import_id: int) -> None:
    """Mark a running import failed, keeping its checkpoint so that starting it again resumes."""
    ContactImport.objects.filter(
        pk=contact_import_id,
        status__in=ContactImport.lifecycle.sources(ContactImport.Status.FAILED),
    ).update(status=ContactImport.Status.FAILED)
