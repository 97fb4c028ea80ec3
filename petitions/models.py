"""Resident-led e-petitions: a council's petition rules, the petitions, and their signatures.

A petition's moderation state is stored (an officer decides it); whether it is open or closed
follows from the date it closes, so it closes on time without anyone acting. Its published count
is never bumped per signature: a worker counts the confirmed signatures a few seconds after they
change and writes the count and the counts by ward onto the petition in one update
(petitions.services.counting), so a viral petition's row is written every few seconds, not two
thousand times a minute.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.lifecycle import Lifecycle
from civic.models import Area, Department, Organisation


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class PetitionPolicy(models.Model):
    """One council's petition scheme: who moderates, how many supporters a new petition needs,
    how long petitions stay open, when moderation is overdue and when signatures are
    anonymised. Its thresholds say what a number of signatures earns."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="petition_policy"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("petitions team"),
        help_text=_("Its officers moderate petitions, are told of thresholds and respond."),
    )
    supporters_required = models.PositiveSmallIntegerField(
        _("supporters needed before moderation"), default=5
    )
    open_days = models.PositiveSmallIntegerField(_("days a petition is open"), default=182)
    overdue_days = models.PositiveSmallIntegerField(
        _("days in the moderation queue before it is overdue"), default=5
    )
    anonymise_days = models.PositiveSmallIntegerField(
        _("days after closing before signatures are anonymised"), default=182
    )

    class Meta:
        verbose_name = _("petition scheme")
        verbose_name_plural = _("petition schemes")

    def __str__(self) -> str:
        return str(self.organisation)


class Threshold(models.Model):
    """A number of signatures and what it earns: a written response, or a debate at full council."""

    class Kind(models.TextChoices):
        RESPONSE = "response", _("A response from the council")
        DEBATE = "debate", _("A debate at full council")

    policy = models.ForeignKey(PetitionPolicy, on_delete=models.CASCADE, related_name="thresholds")
    kind = models.CharField(_("earns"), max_length=10, choices=Kind.choices)
    signatures = models.PositiveIntegerField(_("signatures"))

    class Meta:
        ordering = ["signatures"]
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind"], name="threshold_one_per_kind"),
            models.CheckConstraint(condition=Q(signatures__gt=0), name="threshold_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.signatures:,}"

    @property
    def organisation_id(self) -> int:
        return self.policy.organisation_id


_PUBLISHED_STAGES = {
    "open",
    "awaiting_response",
    "debate_scheduled",
    "responded",
    "debated",
    "closed",
}


class PetitionQuerySet(models.QuerySet):
    def public(self) -> PetitionQuerySet:
        """Published, or rejected and not hidden: what anyone may list and read."""
        return self.filter(status__in=[Petition.Status.OPEN, Petition.Status.REJECTED])

    def in_stage(self, stage: str, now=None) -> PetitionQuerySet:
        """Petitions in one of the listing's stages (Petition.Stage), derived as `stage_at` is."""
        now = now or timezone.now()
        if stage not in _PUBLISHED_STAGES:
            return self.filter(status=stage)
        # stage_at's order: debated, scheduled for debate, responded, awaiting, closed, open.
        steps = [
            (Petition.Stage.DEBATED, Q(debated_at__isnull=False)),
            (Petition.Stage.DEBATE_SCHEDULED, Q(debate_date__isnull=False)),
            (Petition.Stage.RESPONDED, Q(responded_at__isnull=False)),
            (
                Petition.Stage.AWAITING_RESPONSE,
                Q(response_due_at__isnull=False) | Q(debate_due_at__isnull=False),
            ),
            (Petition.Stage.CLOSED, Q(closes_at__lte=now)),
            (Petition.Stage.OPEN, Q()),
        ]
        condition = Q(status=Petition.Status.OPEN)
        for name, holds in steps:
            if name == stage:
                return self.filter(condition & holds)
            condition &= ~holds
        raise ValueError(stage)


# How contacts records a signer (declared in PetitionsConfig.ready, contacts.kinds).
SOURCE_PETITION = "petition"
ACTIVITY_SIGNATURE = "signature"


class Petition(models.Model):
    class Status(models.TextChoices):
        SPONSORING = "sponsoring", _("Gathering supporters")
        PENDING = "pending", _("Waiting for moderation")
        OPEN = "open", _("Published")
        REJECTED = "rejected", _("Rejected")
        HIDDEN = "hidden", _("Rejected and hidden")
        REMOVED = "removed", _("Removed")

    # What may happen next from each state: enough supporters send it for moderation, and an
    # officer decides.
    lifecycle = Lifecycle(
        Status,
        {
            Status.SPONSORING: {Status.PENDING, Status.REMOVED},
            Status.PENDING: {Status.OPEN, Status.REJECTED, Status.HIDDEN, Status.REMOVED},
            Status.OPEN: {Status.REMOVED},
            Status.REJECTED: {Status.HIDDEN, Status.REMOVED},
            Status.HIDDEN: {Status.REMOVED},
            Status.REMOVED: set(),
        },
    )

    class Stage(models.TextChoices):
        """Where a petition stands, in residents' words (derived; see `stage`)."""

        SPONSORING = "sponsoring", _("Gathering supporters")
        PENDING = "pending", _("Being checked")
        OPEN = "open", _("Open")
        AWAITING_RESPONSE = "awaiting_response", _("Awaiting a response")
        DEBATE_SCHEDULED = "debate_scheduled", _("Scheduled for debate")
        RESPONDED = "responded", _("Responded")
        DEBATED = "debated", _("Debated")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        HIDDEN = "hidden", _("Hidden")
        REMOVED = "removed", _("Removed")

    class Reason(models.TextChoices):
        """Why a petition is rejected (the scheme's standard reasons)."""

        DUPLICATE = "duplicate", _("There is already a petition about this")
        NOT_COUNCIL = "not_council", _("It is not the council's responsibility")
        OFFENSIVE = "offensive", _("It is offensive, defamatory or discriminatory")
        ALREADY = "already", _("The council is already doing it")
        UNCLEAR = "unclear", _("It is not clear what it asks the council to do")
        PERSONAL = "personal", _("It is about a named person or their private affairs")
        LEGAL = "legal", _("It concerns legal proceedings, or is confidential")
        CAMPAIGN = "campaign", _("It advertises, or supports a party or candidate")
        FOI = "foi", _("It is a request for information (use a freedom of information request)")
        OTHER = "other", _("Another reason, explained below")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="petitions"
    )
    # The petitions team when the petition was started (PetitionPolicy.department): the
    # department whose officers moderate and respond, for civic.rules.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="petitions")
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area it concerns"),
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="petitions"
    )
    creator_name = models.CharField(_("creator's name"), max_length=100)
    title = models.CharField(_("what the council should do"), max_length=100)
    background = models.TextField(_("background"), max_length=1000)
    details = models.TextField(_("more details"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SPONSORING
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    # Entered the moderation queue (enough supporters confirmed).
    submitted_at = models.DateTimeField(_("sent for moderation"), null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(
        _("reason"), max_length=12, choices=Reason.choices, blank=True
    )
    rejection_details = models.TextField(_("explanation"), blank=True)
    removed_reason = models.TextField(_("why it was removed"), blank=True)
    # A moderator's hold while they edit it: others may not act until it lapses.
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("published"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    # Counted by a worker from the confirmed signatures (petitions.services.counting).
    signature_count = models.PositiveIntegerField(_("signatures"), default=0)
    # [[area id or None, area name, count], ...], largest first.
    ward_counts = models.JSONField(default=list, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    # When a threshold was crossed: the council owes a response, or a debate.
    response_due_at = models.DateTimeField(null=True, blank=True)
    debate_due_at = models.DateTimeField(null=True, blank=True)

    # The council's answer.
    response = models.TextField(_("the council's response"), blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    debate_date = models.DateField(_("debate date"), null=True, blank=True)
    debate_summary = models.TextField(_("what the debate decided"), blank=True)
    debate_minutes_url = models.URLField(_("minutes"), blank=True)
    debate_video_url = models.URLField(_("video"), blank=True)
    debated_at = models.DateTimeField(_("debate outcome published"), null=True, blank=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        permissions = [("moderate_petition", "Can moderate petitions")]
        indexes = [
            models.Index(fields=["organisation", "status", "closes_at"]),
            models.Index(fields=["status", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        """By number only: a resident wrote the title, and the audit log outlives erasure."""
        return f"Petition #{self.pk}"

    def stage_at(self, now=None) -> str:
        """The stage residents see, from the state an officer set, the dates and the answer."""
        now = now or timezone.now()
        if self.status != self.Status.OPEN:
            return self.Stage(self.status)
        if self.debated_at:
            return self.Stage.DEBATED
        if self.debate_date:
            return self.Stage.DEBATE_SCHEDULED
        if self.responded_at:
            return self.Stage.RESPONDED
        if self.response_due_at or self.debate_due_at:
            return self.Stage.AWAITING_RESPONSE
        if self.closes_at and self.closes_at <= now:
            return self.Stage.CLOSED
        return self.Stage.OPEN

    @property
    def stage(self) -> str:
        return self.stage_at()

    @property
    def is_signable(self) -> bool:
        """Open to signatures: gathering supporters, or published and not yet closed."""
        if self.status == self.Status.SPONSORING:
            return True
        return (
            self.status == self.Status.OPEN
            and self.closes_at is not None
            and self.closes_at > timezone.now()
        )

    def overdue_at(self, overdue_days: int) -> timezone.datetime | None:
        if self.status != self.Status.PENDING or self.submitted_at is None:
            return None
        return self.submitted_at + timedelta(days=overdue_days)


class SignatureQuerySet(models.QuerySet):
    def strip_identity(self, *, now, marker: str) -> int:
        """Remove who signed (name, address, postcode, IP) and keep the ward and the state, so
        counts stay true; the address column keeps its uniqueness as `<marker>-<id>`. Returns
        how many."""
        return self.update(
            name="",
            email="",
            email_normalised=Concat(Value(f"{marker}-"), Cast("pk", models.CharField())),
            postcode="",
            ip=None,
            anonymised_at=now,
        )


class Signature(models.Model):
    """One person's signature. It counts once confirmed from the e-mail. One address signs a
    petition once, or twice for two people of one household (another name, the same postcode):
    the database refuses a third through the unique (petition, address, household place)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        INVALIDATED = "invalidated", _("Invalidated")

    # Confirmed from the e-mail once; struck out by an officer, pending or confirmed, for good.
    lifecycle = Lifecycle(
        Status,
        {
            Status.PENDING: {Status.CONFIRMED, Status.INVALIDATED},
            Status.CONFIRMED: {Status.INVALIDATED},
            Status.INVALIDATED: set(),
        },
    )

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail address"), max_length=254)
    # Lower case, without the dots and +tags of providers that ignore them (services.signing).
    email_normalised = models.CharField(max_length=254)
    household_place = models.PositiveSmallIntegerField(default=1)
    postcode = models.CharField(_("postcode"), max_length=10)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hears_progress = models.BooleanField(_("hear about its progress"), default=False)
    is_supporter = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidation_reason = models.CharField(max_length=200, blank=True)
    # Set once a worker has put the confirmation e-mail in the outbox (off the signing path).
    confirmation_queued_at = models.DateTimeField(null=True, blank=True)
    # How often the owner of the address was told of another attempt to sign with it.
    repeat_notices = models.PositiveSmallIntegerField(default=0)
    # Set once the signer's consent is recorded in contacts (done by a worker, in batches).
    recorded_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_normalised", "household_place"],
                name="signature_one_per_address_and_place",
            ),
            models.CheckConstraint(
                condition=Q(household_place__in=[1, 2]), name="signature_household_of_two"
            ),
        ]
        indexes = [
            models.Index(
                fields=["petition", "area"],
                condition=Q(status="confirmed"),
                name="signature_confirmed_by_area",
            ),
            models.Index(fields=["petition", "status", "created_at"]),
            models.Index(fields=["petition", "ip"]),
            models.Index(
                fields=["confirmed_at"],
                condition=Q(status="confirmed", recorded_at__isnull=True, hears_progress=True),
                name="signature_to_record",
            ),
            models.Index(
                fields=["petition"],
                condition=Q(status="pending", confirmation_queued_at__isnull=True),
                name="signature_to_send_confirmation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.get_status_display()}"

    # For civic.rules: a signature is its petition's.
    @property
    def department_id(self) -> int:
        return self.petition.department_id

    @property
    def organisation_id(self) -> int:
        return self.petition.organisation_id


@models.GenericIPAddressField.register_lookup
class InNetwork(models.Lookup):
    """`ip__in_network="192.0.2.0/24"`: the address lies in the network (PostgreSQL's inet
    `<<=`; on SQLite, which stores addresses as text, a prefix match on whole octets)."""

    lookup_name = "in_network"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs}::inet <<= {rhs}::inet", [*lhs_params, *rhs_params]
        import ipaddress

        network = ipaddress.ip_network(rhs_params[0], strict=False)
        octets = network.prefixlen // 8 if network.version == 4 else 0
        prefix = ".".join(str(network.network_address).split(".")[:octets])
        return f"{lhs} LIKE %s", [*lhs_params, f"{prefix}.%" if prefix else "%"]
