"""Every change of state in the platform core, called alike from the admin, pages, API and tasks."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from civic.models import (
    Area,
    AuditEntry,
    Department,
    Organisation,
    Postcode,
    PostcodeImport,
    Role,
    User,
)
from civic.postcodes import normalise_postcode
from civic.queueing import queue_after_commit
from civic.rules import organisation_of

# Anything shaped like an e-mail address (local part, @, a domain with a dot).
_EMAIL_ADDRESS = re.compile(r"[^\s@()<>\[\]\"',;:]+@[^\s@()<>\[\]\"',;:]+\.[^\s@()<>\[\]\"',;:]+")
EMAIL_REDACTED = "[e-mail address]"

logger = logging.getLogger(__name__)


def _audit_label(obj) -> str:
    """How the log names an object: by its kind and number, unless the model's `audit_label()`
    names it otherwise. The log is append-only, so what it holds outlives any erasure: a name a
    resident chose (a petition's title, an uploaded file's name, a person) must never enter it.
    A model whose label is written by staff (a department, a campaign) opts in to showing it."""
    if obj is None:
        return ""
    if hasattr(obj, "audit_label"):
        label = obj.audit_label()
    else:
        label = f"{capfirst(str(obj._meta.verbose_name))} #{obj.pk}"
    return audit_text(label)[:200]


def audit_text(text: str) -> str:
    """Text fit for the append-only log: any e-mail address in it is replaced, so that a caller
    that quotes one by mistake (an officer's reason, a filter) cannot write it in for good."""
    return _EMAIL_ADDRESS.sub(EMAIL_REDACTED, str(text))


def audit_query(query: QueryDict | dict, *, search: str = "q") -> str:
    """How a list page's query is put in the log: which filters were used, and whether a search
    was made, never the values typed (a search for a person is their name or address)."""
    names = sorted({name for name in query if name != search and query.get(name) not in ("", None)})
    parts = []
    if query.get(search):
        parts.append("searched")
    if names:
        parts.append("filtered by " + ", ".join(names))
    return "; ".join(parts)


def require(
    actor: User | None,
    permission: str,
    obj=None,
    *,
    message: str | None = None,
    system: bool = False,
) -> None:
    """Refuse with `PermissionDenied` unless `actor` holds `permission` on `obj`.

    Every service checks its officer here, before it changes anything. `message` is what the
    officer reads, in plain English ("You do not run this consultation.").

    The rule for `actor=None`: None means the platform acting on its own (a worker, a
    management command, an erasure the person asked for), never a forgotten argument. It is let
    through only where the service says the platform may do this, by passing `system=True`; such
    a service types its argument `actor: User | None`. Everywhere else None is refused, so a
    caller that did not pass the officer cannot act unchecked.
    """
    if actor is None:
        if system:
            return
    elif actor.has_perm(permission, obj):
        return
    raise PermissionDenied(message or _("You do not have permission to do that."))


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj=None,
    summary: str = "",
    organisation: Organisation | None = None,
) -> AuditEntry:
    """Record one action by a member of staff, inside the transaction that makes the change.

    Every entry of the log is written here, so this is where personal data is kept out of it:
    objects are named by `_audit_label`, and the summary goes through `audit_text`. Callers name
    files, people and searches by number or kind, never by what a resident typed."""
    organisation_id = organisation.pk if organisation is not None else organisation_of(obj)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.email if actor is not None and actor.pk else "system"),
        action=action,
        organisation_id=organisation_id,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=_audit_label(obj),
        summary=audit_text(summary),
    )


def state_move(
    obj,
    target: str,
    *,
    actor: User | None,
    summary: str | None,
    action: str = AuditEntry.Action.EDIT,
    fields: dict | None = None,
    refusal: str | None = None,
    organisation: Organisation | None = None,
) -> None:
    """Move `obj` to `target` if its model's `lifecycle` allows it from the state it is in,
    writing `fields` with it and recording the audit entry; else raise the lifecycle's
    `ValidationError` and change nothing.

    The caller holds the row locked (`select_for_update`), so that two clicks make one move.
    `summary=None` (no audit entry) is only for the platform's own bookkeeping, such as a
    worker taking a queued job: a move an officer makes is always audited."""
    lifecycle = type(obj).lifecycle
    if summary is None and actor is not None:
        raise ValueError("A move made by an officer must say what it was (summary=)")
    lifecycle.check(obj, target, refusal=refusal)
    changes = dict(fields or {})
    if lifecycle.field is not None:
        changes[lifecycle.field] = target
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(changes))
    if summary is not None:
        audit_record(
            actor=actor, action=action, obj=obj, summary=summary, organisation=organisation
        )


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    organisation: Organisation,
    kind: str,
    departments: list[Department] | None = None,
) -> Role:
    """Give a member of staff a role; staff sign in to the admin, so they become staff users."""
    departments = departments or []
    if any(department.organisation_id != organisation.pk for department in departments):
        raise ValidationError(
            {"departments": "Choose departments of the role's own organisation only"}
        )
    role, _created = Role.objects.get_or_create(user=user, organisation=organisation, kind=kind)
    if departments:
        role.departments.add(*departments)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=role,
        summary=f"Gave user #{user.pk} the role {role.get_kind_display()}",
    )
    return role


@dataclass
class PostcodeLoadReport:
    loaded: int = 0  # new postcodes, and postcodes moved to another ward
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


_POSTCODE_COLUMNS = ("pcds", "pcd", "postcode")
_WARD_COLUMNS = ("wd25cd", "wd24cd", "wd23cd", "wd22cd", "wd21cd", "osward", "ward_code", "ward")


def _pick(header: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower(): name for name in header}
    return next((lowered[name] for name in candidates if name in lowered), None)


def _postcodes_save(
    organisation: Organisation, batch: dict[str, int], report: PostcodeLoadReport
) -> None:
    """Insert new postcodes and move those whose ward changed, in one statement per batch."""
    known = dict(
        Postcode.objects.filter(organisation=organisation, postcode__in=batch).values_list(
            "postcode", "area_id"
        )
    )
    changed = {code: area for code, area in batch.items() if known.get(code) != area}
    report.unchanged += len(batch) - len(changed)
    report.loaded += len(changed)
    Postcode.objects.bulk_create(
        [
            Postcode(organisation=organisation, postcode=code, area_id=area)
            for code, area in changed.items()
        ],
        update_conflicts=True,
        unique_fields=["organisation", "postcode"],
        update_fields=["area"],
    )
    batch.clear()


def postcodes_load_csv(
    *, actor: User | None, organisation: Organisation, lines: Iterable[str], batch_size: int = 5000
) -> PostcodeLoadReport:
    """Load a postcode → ward table in the ONS Postcode Directory's shape, streaming the rows.

    Rows are kept when their ward code is one of the organisation's areas; other councils' wards
    are skipped quietly, since the national directory lists every postcode in the country. A
    postcode that a newer directory puts in another ward moves there; loading the same file twice
    changes nothing. Memory stays flat: rows are read and written a batch at a time.
    """
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    postcode_column = _pick(header, _POSTCODE_COLUMNS)
    ward_column = _pick(header, _WARD_COLUMNS)
    report = PostcodeLoadReport()
    if postcode_column is None or ward_column is None:
        report.errors.append(
            "The file needs a postcode column (pcds, pcd or postcode) and a ward code column "
            "(such as wd25cd, osward or ward_code)"
        )
        return report
    areas = {area.code.upper(): area.pk for area in Area.objects.filter(organisation=organisation)}
    batch: dict[str, int] = {}
    with transaction.atomic():
        for line_number, row in enumerate(reader, start=2):
            ward = (row.get(ward_column) or "").strip().upper()
            if ward not in areas:
                continue
            try:
                postcode = normalise_postcode(row.get(postcode_column) or "")
            except ValidationError:
                report.errors.append(
                    f"Line {line_number}: {row.get(postcode_column)!r} is not a UK postcode"
                )
                continue
            batch[postcode] = areas[ward]
            if len(batch) >= batch_size:
                _postcodes_save(organisation, batch, report)
        if batch:
            _postcodes_save(organisation, batch, report)
        audit_record(
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            obj=organisation,
            summary=(
                f"Loaded postcodes: {report.loaded} new or moved, {report.unchanged} unchanged, "
                f"{len(report.errors)} refused"
            ),
        )
    return report


def area_for_postcode(*, organisation: Organisation, postcode: str) -> Area | None:
    """The organisation's area that holds a postcode, or None; raises for a malformed postcode."""
    normal = normalise_postcode(postcode)
    match = (
        Postcode.objects.filter(organisation=organisation, postcode=normal)
        .select_related("area")
        .first()
    )
    return match.area if match else None


def postcode_import_start(
    *, actor: User, organisation: Organisation, uploaded_file
) -> PostcodeImport:
    """Keep the uploaded file and queue its loading once the row is committed."""
    with transaction.atomic():
        postcode_import = PostcodeImport.objects.create(
            organisation=organisation, file=uploaded_file, uploaded_by=actor
        )
        audit_record(
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            obj=postcode_import,
            summary=f"Uploaded file #{postcode_import.pk} to load postcodes",
        )
        queue_after_commit("civic.tasks.postcode_import_task", postcode_import.pk)
    return postcode_import


def postcode_import_run(*, postcode_import_id: int) -> PostcodeImport | None:
    """Load a queued import. Safe to run twice: a finished import is left as it is."""
    with transaction.atomic():
        postcode_import = (
            PostcodeImport.objects.select_for_update(of=("self",))
            .filter(pk=postcode_import_id)
            .select_related("organisation", "uploaded_by")
            .first()
        )
        if postcode_import is None or not PostcodeImport.lifecycle.allows(
            postcode_import, PostcodeImport.Status.RUNNING
        ):
            return postcode_import
        state_move(postcode_import, PostcodeImport.Status.RUNNING, actor=None, summary=None)
    try:
        with postcode_import.file.open("rb") as handle:
            lines = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            report = postcodes_load_csv(
                actor=postcode_import.uploaded_by,
                organisation=postcode_import.organisation,
                lines=lines,
            )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        # What went wrong in words an officer can act on; the exception (which may name a
        # server path) goes to the log, not to the page.
        logger.warning("Postcode import %s unreadable: %s", postcode_import.pk, error)
        state_move(
            postcode_import,
            PostcodeImport.Status.FAILED,
            actor=None,
            summary=None,
            fields={"problems": "The file could not be read: save it as a CSV file in UTF-8."},
        )
        return postcode_import
    failed = report.errors and not (report.loaded or report.unchanged)
    state_move(
        postcode_import,
        PostcodeImport.Status.FAILED if failed else PostcodeImport.Status.DONE,
        actor=None,
        summary=None,
        fields={
            "loaded": report.loaded,
            "unchanged": report.unchanged,
            "problems": "\n".join(report.errors[:1000]),
        },
    )
    return postcode_import
