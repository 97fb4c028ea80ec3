"""Subject access, erasure and retention under UK GDPR.

A copy of someone's data is built in the background, kept as one zip (JSON and CSV) behind an
unguessable link that expires, and e-mailed to them. Erasure blanks what identifies the person but
keeps the rows that counts and anonymous answers rest on, so reports stay true. Feature apps add
their own sections through `contacts.gdpr_registry`; this module never imports them.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from civic import pagecache
from civic.exports import csv_rows
from civic.models import AuditEntry, User
from civic.queueing import queue_after_commit
from civic.services import audit_record, require, state_move
from contacts import gdpr_registry
from contacts.models import Activity, ConsentEvent, Contact, ContactImport, DataRequest
from contacts.services.import_files import import_files_without

logger = logging.getLogger(__name__)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
ERASED = "[erased]"
RETENTION_BATCH = 500
NOT_DATA_REQUESTS = _("You cannot handle this council's requests about personal data.")


def export_days() -> int:
    return int(getattr(settings, "CIVIC_DATA_EXPORT_DAYS", 7))


def _when(value: datetime | None) -> str:
    return value.isoformat() if value else ""


# Subject access --------------------------------------------------------------------------------


def contact_data(*, contact: Contact) -> dict:
    """Everything held about a contact, section by section, as their copy shows it."""
    data: dict = {
        "organisation": contact.organisation.name,
        "contact": {
            "id": contact.pk,
            "kind": contact.get_kind_display(),
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "postcode": contact.postcode,
            "area": contact.area.name if contact.area_id else "",
            "represents": contact.represents,
            "source": contact.get_source_display(),
            "notes": contact.notes,
            "account": contact.user.email if contact.user_id else "",
            "joined": _when(contact.created_at),
        },
        "tags": [tag.name for tag in contact.tags.order_by("name")],
        "consents": [
            {
                "purpose": event.purpose.name,
                "action": event.get_action_display(),
                "how": event.method,
                "wording": event.wording,
                "at": _when(event.created_at),
            }
            for event in contact.consent_events.select_related("purpose").order_by(
                "created_at", "pk"
            )
        ],
        "activity": [
            {
                "kind": activity.get_kind_display(),
                "item": activity.item_title,
                "at": _when(activity.occurred_at),
            }
            for activity in contact.activities.order_by("occurred_at", "pk")
        ],
    }
    for section in gdpr_registry.sections():
        data[section.name] = [dict(row) for row in section.exporter(contact)]
    return data


def contact_data_csv(data: dict) -> str:
    """The same sections as one long table: section, row number, field, value (starting with a
    byte-order mark, so that spreadsheet programs read it as UTF-8)."""
    return "".join(csv_rows(["section", "number", "field", "value"], _data_rows(data)))


def _data_rows(data: dict) -> Iterator[list]:
    for section, content in data.items():
        items = enumerate(content, start=1) if isinstance(content, list) else [("", content)]
        for number, item in items:
            if isinstance(item, dict):
                for field, value in item.items():
                    yield [section, number, field, value]
            else:
                yield [section, number, "", item]


def contact_data_zip(data: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "my-data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str)
        )
        archive.writestr("my-data.csv", contact_data_csv(data))
    return buffer.getvalue()


def data_download_url(token: str) -> str:
    """The absolute link e-mailed to the person."""
    path = reverse("contacts:data_download", kwargs={"token": token})
    return f"{settings.CIVIC_SITE_URL}{path}"


def data_request_create(*, contact: Contact, kind: str) -> DataRequest:
    """Record a resident's request; an open request of the same kind is answered with itself.

    Officers act on it from the admin (prepare the download, or erase). Locking the contact row
    makes two clicks at once record one request.
    """
    if kind not in DataRequest.Kind.values:
        raise ValueError(f"Unknown kind of data request: {kind!r}")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.anonymised_at is not None:
            raise ValueError("The contact has been erased already")
        open_request = DataRequest.objects.filter(
            contact=locked,
            kind=kind,
            status__in=[DataRequest.Status.REQUESTED, DataRequest.Status.PROCESSING],
        ).first()
        if open_request is not None:
            return open_request
        return DataRequest.objects.create(
            organisation_id=locked.organisation_id, contact=locked, kind=kind
        )


def data_request_prepare(*, actor: User, data_request: DataRequest) -> DataRequest:
    """An officer starts building the download of a subject access request, in the background."""
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        require(actor, "contacts.change_datarequest", locked, message=NOT_DATA_REQUESTS)
        require(actor, "contacts.export_contacts", locked, message=NOT_DATA_REQUESTS)
        if locked.kind != DataRequest.Kind.ACCESS:
            raise ValueError("Only a request for a copy of someone's data has a download")
        if locked.status in (DataRequest.Status.READY, DataRequest.Status.DONE):
            return locked
        if locked.contact_id is None or locked.contact.anonymised_at is not None:
            raise ValueError("The contact has been erased; there is nothing to download")
        state_move(
            locked,
            DataRequest.Status.PROCESSING,
            actor=actor,
            action=AuditEntry.Action.EXPORT,
            summary=f"Prepared the download for data request #{locked.pk} "
            f"of contact #{locked.contact_id}",
            fields={"handled_by": actor},
        )
        queue_after_commit("contacts.tasks.gdpr.data_request_process_task", locked.pk)
    return locked


def data_request_erase(*, actor: User, data_request: DataRequest) -> DataRequest:
    """An officer erases the contact of an erasure request, now, in one transaction."""
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        require(actor, "contacts.change_datarequest", locked, message=NOT_DATA_REQUESTS)
        if locked.kind != DataRequest.Kind.ERASURE:
            raise ValueError("Only a request to erase someone's data can be erased")
        if locked.status == DataRequest.Status.DONE:
            return locked
        return _erasure_complete(actor=actor, data_request=locked)


def _erasure_complete(*, actor: User | None, data_request: DataRequest) -> DataRequest:
    if data_request.contact_id is not None:
        contact_erase(
            actor=actor, contact=data_request.contact, reason=f"data request #{data_request.pk}"
        )
    state_move(
        data_request,
        DataRequest.Status.DONE,
        actor=actor,
        action=AuditEntry.Action.EDIT,
        summary=f"Completed data request #{data_request.pk}",
        fields={
            "handled_by": actor if actor is not None else data_request.handled_by,
            "completed_at": timezone.now(),
        },
    )
    return data_request


def data_request_process(*, data_request_id: int) -> DataRequest | None:
    """Carry out a request. Safe to run twice: a finished erasure is left alone, and a download
    that is ready is not rebuilt; its e-mail is sent again, which repeats a link and nothing else.
    """
    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().filter(pk=data_request_id).first()
        if data_request is None or data_request.status in (
            DataRequest.Status.DONE,
            DataRequest.Status.EXPIRED,
        ):
            return data_request
        if data_request.kind == DataRequest.Kind.ERASURE:
            return _erasure_complete(actor=None, data_request=data_request)
        contact = data_request.contact
        if contact is None or contact.anonymised_at is not None:
            state_move(data_request, DataRequest.Status.FAILED, actor=None, summary=None)
            return data_request
        if data_request.status != DataRequest.Status.READY:
            _export_build(data_request=data_request, contact=contact)
    _download_mail_send(data_request=data_request)
    return data_request


def _export_build(*, data_request: DataRequest, contact: Contact) -> None:
    content = contact_data_zip(contact_data(contact=contact))
    old_name = data_request.export_file.name
    # The file's name is random and unrelated to the link's token.
    data_request.export_file.save(f"{secrets.token_hex(16)}.zip", ContentFile(content), save=False)
    if old_name:
        _delete_files_on_commit([old_name])
    now = timezone.now()
    state_move(
        data_request,
        DataRequest.Status.READY,
        actor=None,
        summary=None,
        fields={
            "export_file": data_request.export_file,
            "export_token": secrets.token_urlsafe(32),
            "expires_at": now + timedelta(days=export_days()),
            "completed_at": now,
        },
    )


def _download_mail_send(*, data_request: DataRequest) -> None:
    contact = data_request.contact
    if data_request.status != DataRequest.Status.READY or not contact or not contact.email:
        return
    context = {
        "organisation": data_request.organisation,
        "url": data_download_url(data_request.export_token),
        "expires_at": data_request.expires_at,
        "contact_email": settings.CIVIC_CONTACT_EMAIL,
    }
    subject = render_to_string("contacts/gdpr/download_email_subject.txt", context).strip()
    body = render_to_string("contacts/gdpr/download_email.txt", context)
    send_mail(subject, body, None, [contact.email])


def _delete_files_on_commit(names: list[str]) -> None:
    """Remove stored files once the rows that pointed at them are committed without them."""
    from django.core.files.storage import default_storage

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # pragma: no cover - a file already gone is the goal
                logger.warning("could not delete %s", name)

    transaction.on_commit(delete)


def data_exports_expire(*, now: datetime | None = None) -> int:
    """Delete downloads past their date; the link then answers that it has expired."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for data_request in DataRequest.objects.select_for_update().filter(
            status=DataRequest.Status.READY, expires_at__lte=now
        ):
            if data_request.export_file:
                _delete_files_on_commit([data_request.export_file.name])
            state_move(
                data_request,
                DataRequest.Status.EXPIRED,
                actor=None,
                summary=None,
                fields={"export_file": ""},
            )
            expired += 1
    return expired


# Erasure --------------------------------------------------------------------------------------


def contact_erase(*, actor: User | None, contact: Contact, reason: str = "") -> Contact:
    """Remove a person's details everywhere they are held, keeping what counts rest on.

    Consent history and activity stay linked to the anonymised contact (so totals and anonymous
    answers stay true) but hold nothing that identifies them; feature apps' erasers run first,
    while the details they may look the person up by are still there. The audit entry names the
    contact by number only. Safe to run twice: an anonymised contact is left as it is.
    """
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        require(
            actor,
            "contacts.erase_contact",
            locked,
            message=_("You cannot erase this council's contacts."),
            system=True,
        )
        if locked.anonymised_at is not None:
            return locked
        return _erase(actor=actor, contact=locked, reason=reason, requested=True)


def _erase(*, actor: User | None, contact: Contact, reason: str, requested: bool) -> Contact:
    """`requested`: the person asked, or an officer erased them. Then their site account goes too,
    and other records are searched for copies of their details (a scan of the organisation's
    timelines per person: fine for a request, too slow for retention's thousands a night)."""
    terms = gdpr_registry.identifying_terms(contact)
    erased_rows = {section.name: section.eraser(contact) for section in gdpr_registry.sections()}
    if requested:
        erased_rows["accounts"], erased_rows["staff accounts kept"] = _accounts_delete(contact)
    erased_rows = {name: count for name, count in erased_rows.items() if count}
    if contact.email:
        _imports_scrub(contact)
        # Files uploaded for an import not yet run lose the person's rows.
        _delete_files_on_commit(
            import_files_without(organisation_id=contact.organisation_id, email=contact.email)
        )
    # Earlier copies of their data go too; the links then answer "not found".
    for data_request in contact.data_requests.exclude(export_file=""):
        _delete_files_on_commit([data_request.export_file.name])
    contact.data_requests.exclude(export_file="", export_token="").update(
        export_file="", export_token="", expires_at=None
    )
    contact.data_requests.filter(
        status__in=DataRequest.lifecycle.sources(DataRequest.Status.EXPIRED)
    ).update(status=DataRequest.Status.EXPIRED)
    contact.tags.clear()
    # An imported consent quotes the spreadsheet's free-text source, which may name the person;
    # the event itself (purpose, when, given or withdrawn) stays for the counts.
    contact.consent_events.filter(method__startswith="Contact import").update(
        method="Contact import (details removed on erasure)"
    )
    contact.email = ""
    contact.name = ""
    contact.phone = ""
    contact.postcode = ""
    contact.represents = ""
    contact.notes = ""
    contact.user = None
    contact.anonymised_at = timezone.now()
    contact.save(
        update_fields=[
            "email",
            "name",
            "phone",
            "postcode",
            "represents",
            "notes",
            "user",
            "anonymised_at",
        ]
    )
    # Django's own admin history names the object as it was shown; name it as it is now, and
    # any other object it named by the person's details (their account, a petition) by number.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk)
    ).update(object_repr=contact.audit_label())
    if requested:
        _admin_history_scrub(terms)
        _copied_titles_scrub(organisation_id=contact.organisation_id, terms=terms)
    summary = f"Erased contact #{contact.pk}"
    if reason:
        summary += f" ({reason})"
    if erased_rows:
        summary += ": " + ", ".join(f"{name} {count}" for name, count in erased_rows.items())
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=contact, summary=summary)
    # Shared pages drawn before the erasure (a petition they started) go with it.
    transaction.on_commit(pagecache.forget_all)
    return contact


def _accounts_delete(contact: Contact) -> tuple[int, int]:
    """Delete the person's site account (and with it allauth's addresses), and end its sessions.

    Their account is the one linked to the contact, or one whose address, or a confirmed extra
    address, is theirs. Nothing an officer needs hangs on a resident's account (responses,
    petitions and data requests keep their rows without it), so it is deleted rather than
    anonymised. A member of staff's account (staff, superuser, or any role) is never deleted
    this way: it is unlinked and kept, and the audit entry says so. Returns (deleted, kept)."""
    from allauth.account.models import EmailAddress

    owners = Q(pk=contact.user_id) if contact.user_id else Q(pk__in=[])
    if contact.email:
        owners |= Q(email__iexact=contact.email) | Q(
            emailaddress__email__iexact=contact.email, emailaddress__verified=True
        )
    users = User.objects.filter(owners)
    staff = users.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(roles__isnull=False))
    kept = set(staff.values_list("pk", flat=True))
    deleted = set(users.values_list("pk", flat=True)) - kept
    if contact.email:
        # Their address left unconfirmed on someone else's account is theirs too.
        EmailAddress.objects.filter(email__iexact=contact.email).exclude(user_id__in=kept).delete()
    User.objects.filter(pk__in=deleted).delete()
    _sessions_end_on_commit(user_ids=deleted, email=contact.email)
    return len(deleted), len(kept)


def _sessions_end_on_commit(*, user_ids: set[int], email: str) -> None:
    """End the sessions signed in to deleted accounts, and any session that holds the address
    (allauth keeps it during sign-up and sign-in), from the database and the cache alike.

    Sessions are stored signed, not indexed by user, so every live one is read once the erasure
    commits: about 8 s of CPU per 100,000 live sessions on a loaded 2-core machine, for a rare
    request (a council's site keeps far fewer; sessions last two weeks). Sessions kept only in
    cookies need nothing: a cookie for a deleted account signs nobody in."""
    engine = import_module(settings.SESSION_ENGINE)
    if not hasattr(engine.SessionStore, "get_model_class"):
        return
    wanted = {str(pk) for pk in user_ids}
    email = email.strip().lower()

    def end() -> None:
        store = engine.SessionStore()
        model = store.get_model_class()
        ended = []
        live = model.objects.filter(expire_date__gt=timezone.now())
        for key, data in live.values_list("session_key", "session_data").iterator():
            decoded = store.decode(data)
            if str(decoded.get(SESSION_KEY)) in wanted or (
                email and email in json.dumps(decoded, default=str).lower()
            ):
                ended.append(key)
        for key in ended:
            engine.SessionStore(session_key=key).delete()

    if wanted or email:
        transaction.on_commit(end)


def _admin_history_scrub(terms: list[str]) -> None:
    """Entries of Django's admin history whose label names the person are named by number."""
    if not terms:
        return
    named = Q(pk__in=[])
    for term in terms:
        named |= Q(object_repr__icontains=term)
    for entry in LogEntry.objects.filter(named).select_related("content_type"):
        kind = entry.content_type.name if entry.content_type_id else "object"
        entry.object_repr = f"{capfirst(kind)} #{entry.object_id}"
        entry.save(update_fields=["object_repr"])


def _copied_titles_scrub(*, organisation_id: int, terms: list[str]) -> None:
    """A title copied onto other people's records (a petition they started, named after them,
    on its signers' timelines and consents) loses the mention as the title itself does."""
    copies = {Activity: ["item_title"], ConsentEvent: ["method", "wording"]}
    for model, fields in copies.items():
        for field in fields:
            named = Q(pk__in=[])
            for term in terms:
                named |= Q(**{f"{field}__icontains": term})
            rows = model.objects.filter(named, contact__organisation_id=organisation_id)
            for row in rows:
                setattr(row, field, gdpr_registry.redact(getattr(row, field), terms))
                row.save(update_fields=[field])


def _imports_scrub(contact: Contact) -> None:
    """An import's list of problem rows may quote the address; replace those values."""
    email = contact.email.lower()
    for contact_import in ContactImport.objects.filter(
        organisation_id=contact.organisation_id, problems__icontains=email
    ):
        contact_import.problems = [
            {
                key: ERASED if isinstance(value, str) and email in value.lower() else value
                for key, value in problem.items()
            }
            if isinstance(problem, dict)
            else problem
            for problem in contact_import.problems
        ]
        contact_import.save(update_fields=["problems"])


# Retention ------------------------------------------------------------------------------------


def _live_consent() -> Exists:
    """The contact's latest event for some purpose gave consent."""
    later = ConsentEvent.objects.filter(
        contact=OuterRef("contact"), purpose=OuterRef("purpose")
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return Exists(
        ConsentEvent.objects.filter(
            contact=OuterRef("pk"), action=ConsentEvent.Action.GIVEN
        ).exclude(Exists(later))
    )


def contacts_past_retention(*, now: datetime | None = None) -> QuerySet:
    """Contacts with no live consent and nothing new (joining, a consent event, an activity)
    within CIVIC_CONTACT_RETENTION_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CIVIC_CONTACT_RETENTION_DAYS)
    return (
        Contact.objects.active()
        .filter(created_at__lt=cutoff)
        .exclude(
            Exists(ConsentEvent.objects.filter(contact=OuterRef("pk"), created_at__gte=cutoff))
        )
        .exclude(Exists(Activity.objects.filter(contact=OuterRef("pk"), occurred_at__gte=cutoff)))
        .exclude(_live_consent())
    )


def contacts_retention_run(*, now: datetime | None = None) -> int:
    """Anonymise every contact past retention, one short transaction each. Each contact is checked
    again under its lock, so one who signed something a moment ago is kept."""
    erased = 0
    last_pk = 0
    while True:
        batch = list(
            contacts_past_retention(now=now)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:RETENTION_BATCH]
        )
        if not batch:
            return erased
        for pk in batch:
            with transaction.atomic():
                contact = contacts_past_retention(now=now).select_for_update().filter(pk=pk).first()
                if contact is not None:
                    # The site account is the person's own, kept by its own rule (3 years
                    # without signing in); one council's retention does not close it.
                    _erase(
                        actor=None,
                        contact=contact,
                        reason="retention period over",
                        requested=False,
                    )
                    erased += 1
        last_pk = batch[-1]
