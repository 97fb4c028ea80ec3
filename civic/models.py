"""The platform core: people, councils, their departments and wards, roles and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from civic.colours import contrast_ratio
from civic.fields import PostcodeField
from civic.lifecycle import Lifecycle

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # and six hexadecimal digits, like #1d4f91")
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        """A site admin, as `manage.py createsuperuser` makes one (docs/operations.md).

        The operator types the address on the server's own console, often before the site can
        send mail at all, so it counts as verified: allauth's mandatory verification would
        otherwise keep the first admin out until a message they cannot receive arrives."""
        from allauth.account.models import EmailAddress

        extra.update(is_staff=True, is_superuser=True)
        with transaction.atomic(using=self._db):
            user = self._create(email, password, **extra)
            EmailAddress.objects.using(self._db).create(
                user=user, email=user.email, verified=True, primary=True
            )
        return user


class User(AbstractUser):
    """Anyone with an account. Residents need none for most activities; staff always have one."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case")
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Organisation(models.Model):
    """A council. One installation can host several, each with its own name and colour."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name for web addresses"), max_length=80, unique=True)
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1d4f91",
        validators=[hex_colour],
        help_text=_("Used behind white text in the header, so it must be dark enough to read."),
    )
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail address"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)

    def clean(self) -> None:
        well_formed = self.brand_colour and hex_colour.regex.match(self.brand_colour)
        if well_formed and contrast_ratio(self.brand_colour, "#ffffff") < 4.5:
            raise ValidationError(
                {
                    "brand_colour": _(
                        "Choose a darker colour: white text on it must have a contrast "
                        "ratio of at least 4.5 to 1"
                    )
                }
            )


class Department(models.Model):
    """Owns consultations and other items; officers are scoped to one or more departments."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name for web addresses"), max_length=80)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="department_slug_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})"

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


class InDepartmentsItem:
    """A row that belongs to an item run by a department (a consultation's question, a budget
    process's idea), for the permission predicates of civic.rules, which read `department_id`
    and `organisation_id`. `item_path` names the item from the row, through attributes joined by
    dots ("process", "idea.process")."""

    item_path = ""

    def _item(self):
        item = self
        for name in self.item_path.split("."):
            item = getattr(item, name)
        return item

    @property
    def department_id(self) -> int:
        return self._item().department_id

    @property
    def organisation_id(self) -> int:
        return self._item().department.organisation_id


class Area(models.Model):
    """A ward or district, identified by its ONS code (E05011234 for a ward)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="areas")
    code = models.CharField(_("ONS code"), max_length=12)
    name = models.CharField(_("name"), max_length=200)
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True, help_text=_("Used for reach figures.")
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="area_code_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


class Postcode(models.Model):
    """One row of the postcode directory: which area (ward) a postcode lies in."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="postcodes"
    )
    postcode = PostcodeField()
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="postcodes")

    class Meta:
        ordering = ["postcode"]
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        constraints = [
            # One answer per council: a newer directory that moves a postcode to another ward
            # replaces the old row instead of leaving two.
            models.UniqueConstraint(
                fields=["organisation", "postcode"], name="postcode_unique_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["postcode"], name="postcode_lookup")]

    def __str__(self) -> str:
        return self.postcode


class Role(models.Model):
    """What a member of staff may do, and where.

    Residents need no role. A site admin is a superuser. Everyone else acting for a council holds
    one role per organisation: an officer works within the departments listed, a facilitator keeps
    the organisation's contacts and mailing, an organisation admin runs the whole organisation.
    """

    class Kind(models.TextChoices):
        OFFICER = "officer", _("Officer")
        FACILITATOR = "facilitator", _("Facilitator")
        ORGANISATION_ADMIN = "organisation_admin", _("Organisation admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=32, choices=Kind.choices)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="roles",
        help_text=_("For officers: the departments whose items they run."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "kind"], name="role_unique_per_user_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.organisation}"

    def audit_label(self) -> str:
        """Named in the audit log as staff named it (see civic.services.audit_record)."""
        return str(self)


class AuditEntry(models.Model):
    """One action by an officer, facilitator or admin. Append-only: the database refuses changes.

    The actor is kept as an id and a label without a database constraint, so that the entry
    outlives the account and erasure of a person never needs to rewrite the log.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        EDIT = "edit", _("Edit")
        PUBLISH = "publish", _("Publish")
        CLOSE = "close", _("Close")
        MODERATE = "moderate", _("Moderate")
        EXPORT = "export", _("Export")
        DELETE = "delete", _("Delete")
        SEND = "send", _("Send")
        IMPORT = "import", _("Import")
        VIEW = "view", _("View")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=16, choices=Action.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"


class PostcodeImport(models.Model):
    """A postcode directory file an officer uploaded, loaded by a background worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Loading")
        DONE = "done", _("Loaded")
        FAILED = "failed", _("Failed")

    # A worker takes a queued file; a run that died is run again; a loaded file stays loaded.
    lifecycle = Lifecycle(
        Status,
        {
            Status.QUEUED: {Status.RUNNING},
            Status.RUNNING: {Status.RUNNING, Status.DONE, Status.FAILED},
            Status.FAILED: {Status.RUNNING},
            Status.DONE: set(),
        },
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="postcode_imports"
    )
    file = models.FileField(_("CSV file"), upload_to="postcode-imports/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    loaded = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    problems = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("postcode import")
        verbose_name_plural = _("postcode imports")

    def __str__(self) -> str:
        return f"{self.file.name} ({self.get_status_display()})"
