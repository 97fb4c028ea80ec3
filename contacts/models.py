"""Everyone an organisation knows: one record per person (or group), what they agreed to be
contacted about, and everything they took part in."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.fields import PostcodeField
from civic.lifecycle import Lifecycle
from civic.models import Area, Organisation
from contacts import kinds


class Tag(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("name"), name="tag_name_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


class ConsentPurpose(models.Model):
    """Something a contact can agree to hear about: the newsletter, a topic, one consultation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consent_purposes"
    )
    slug = models.SlugField(_("short name"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(
        _("what people are agreeing to"),
        help_text=_("Shown to residents beside the choice, and on their 'my data' page."),
    )
    # A purpose may be about one item (news about this consultation, this petition).
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    item = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="consent_purpose_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


class ContactQuerySet(models.QuerySet):
    def with_live_consent(self, purpose: ConsentPurpose) -> ContactQuerySet:
        """Contacts whose latest consent event for the purpose is a 'given' one."""
        return self.filter(live_consent_q(purpose.pk))

    def active(self) -> ContactQuerySet:
        return self.filter(anonymised_at__isnull=True)


def live_consent_q(purpose_id: int) -> Q:
    """A condition on contacts: their latest event for the purpose gave consent.

    Written as "a 'given' event with no later event" so that PostgreSQL plans it as a semi-join
    and an anti-join over the (contact, purpose, created_at) index, not a subquery per contact.
    """
    later = ConsentEvent.objects.filter(
        contact=OuterRef("contact"), purpose_id=OuterRef("purpose_id")
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    given = ConsentEvent.objects.filter(
        contact=OuterRef("pk"), purpose_id=purpose_id, action=ConsentEvent.Action.GIVEN
    ).filter(~Exists(later))
    return Q(Exists(given))


class Contact(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        GROUP = "group", _("Organisation or group")

    class Source(models.TextChoices):
        """Contacts' own sources; feature apps declare theirs (contacts.kinds)."""

        IMPORT = "import", _("Import")
        SIGN_UP = "sign_up", _("Sign-up")
        TYPED_IN = "typed_in", _("Typed in")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    email = models.EmailField(_("e-mail address"), blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    postcode = PostcodeField(blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    represents = models.CharField(
        _("organisation or group they represent"), max_length=200, blank=True
    )
    source = models.CharField(_("source"), max_length=16, choices=kinds.source_choices)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    notes = models.TextField(_("notes"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    created_at = models.DateTimeField(_("joined"), auto_now_add=True, db_index=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=~Q(email=""),
                name="contact_email_unique_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or str(_("Anonymised contact"))

    def audit_label(self) -> str:
        """How the audit log names a contact: never by name or e-mail, which erasure removes."""
        return f"Contact #{self.pk}"


class ConsentEvent(models.Model):
    """One giving or withdrawal of consent. Append-only: the current state is the latest event."""

    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    method = models.CharField(
        _("how"), max_length=200, help_text=_("The form, link or import it came through.")
    )
    wording = models.TextField(_("wording shown"), blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent history")
        indexes = [
            models.Index(fields=["contact", "purpose", "-created_at"], name="consent_latest")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.purpose}"


class Activity(models.Model):
    """One act of participation, recorded by a feature app through contacts.services."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="activities")
    # What the person did: a kind a feature app declared (contacts.kinds).
    kind = models.CharField(max_length=16, choices=kinds.activity_choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    item = GenericForeignKey("content_type", "object_id")
    item_title = models.CharField(max_length=200)
    department = models.ForeignKey(
        "civic.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The department that runs the item, for officers' access."),
    )
    occurred_at = models.DateTimeField(db_index=True)
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The feature's own id of the act (a response or signature), for idempotency."),
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "kind", "content_type", "reference"],
                condition=~Q(reference=""),
                name="activity_recorded_once",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="activity_item")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.item_title}"


class Segment(models.Model):
    """A saved, dynamic audience: conditions evaluated in the database every time it is used.

    The definition is JSON, for example
    {"match": "all", "conditions": [{"field": "tag", "value": "cyclists"},
      {"match": "any", "conditions": [{"field": "area", "value": "E05000001"},
                                      {"field": "consent", "value": "newsletter"}]}]}
    (see contacts.segments for every field).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("conditions"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


def contact_import_path(instance: ContactImport, filename: str) -> str:
    """Where an uploaded file is kept, under a random name with the uploaded file's extension.

    A file of contacts is often named after a person or a group of people; its name would travel
    into pages, consent records and the audit log, which must not hold it (an import is named by
    its number instead)."""
    extension = Path(filename).suffix.lower()[:8]
    folder = timezone.now().strftime("contact-imports/%Y/%m")
    return f"{folder}/{secrets.token_hex(16)}{extension}"


class ContactImport(models.Model):
    """A CSV or XLSX file of contacts a facilitator uploaded: mapped, dry-run, then imported by a
    background worker that can be re-run after a crash without making duplicates."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded: map the columns")
        CHECKED = "checked", _("Dry run done")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    # A file is checked (a dry run) and started as often as the facilitator likes, except
    # while a worker has it; a failed run resumes from its last committed batch.
    lifecycle = Lifecycle(
        Status,
        {
            Status.UPLOADED: {Status.CHECKED, Status.QUEUED},
            Status.CHECKED: {Status.CHECKED, Status.QUEUED},
            Status.QUEUED: {Status.RUNNING, Status.FAILED},
            Status.RUNNING: {Status.DONE, Status.FAILED},
            Status.DONE: {Status.CHECKED, Status.QUEUED},
            Status.FAILED: {Status.CHECKED, Status.QUEUED},
        },
        refusals={
            Status.CHECKED: _("The file is being imported: wait until it has finished"),
            Status.QUEUED: _("The file is being imported: wait until it has finished"),
        },
    )

    class Existing(models.TextChoices):
        SKIP = "skip", _("Leave existing contacts as they are")
        FILL = "fill", _("Fill in their blank details only")
        OVERWRITE = "overwrite", _("Overwrite their details")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contact_imports"
    )
    file = models.FileField(_("file"), upload_to=contact_import_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    # {"<column heading>": "email" | "name" | "phone" | "postcode" | "represents" | "notes" |
    #  "tag" | "consent_date" | "consent_source" | "" (ignored)}
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    existing = models.CharField(
        _("existing contacts"), max_length=16, choices=Existing.choices, default=Existing.SKIP
    )
    consent_purpose = models.ForeignKey(
        ConsentPurpose,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Consent is imported only with a source and a date for each row."),
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # [{"row": 7, "problem": "bad e-mail address"}, ...]
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self) -> str:
        return f"{_('Contact import')} #{self.pk} ({self.get_status_display()})"


class DataRequest(models.Model):
    """A subject access or erasure request under UK GDPR, from a resident or taken by an officer."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("A copy of my data")
        ERASURE = "erasure", _("Erase my data")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROCESSING = "processing", _("Being prepared")
        READY = "ready", _("Ready to download")
        DONE = "done", _("Done")
        EXPIRED = "expired", _("Download expired")
        FAILED = "failed", _("Failed")

    # A copy is prepared, mailed and expires (and can be prepared again); an erasure is done
    # once. A worker that found the person already erased marks the request failed.
    lifecycle = Lifecycle(
        Status,
        {
            Status.REQUESTED: {Status.PROCESSING, Status.READY, Status.DONE, Status.FAILED},
            Status.PROCESSING: {Status.READY, Status.DONE, Status.FAILED},
            Status.READY: {Status.EXPIRED},
            Status.DONE: set(),
            Status.EXPIRED: {Status.PROCESSING},
            Status.FAILED: {Status.PROCESSING, Status.READY, Status.DONE, Status.FAILED},
        },
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="data_requests"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="data_requests"
    )
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    export_file = models.FileField(upload_to="data-requests/", blank=True)
    export_token = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
