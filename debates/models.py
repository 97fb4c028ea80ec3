"""Debates: a question the council puts to residents, with its background, open between two dates.

Whether an officer has published a debate is its lifecycle (draft, published); whether it is
open follows from its dates (starting soon, open, closed) and is never stored, so it opens and
closes on time without anyone acting. A debate may point to the consultation it informs; that is
a link by name only (no import of consultations), so the feature apps stay apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.lifecycle import Lifecycle
from civic.models import Department, Organisation
from civic.phases import Phase, Phases

# How contacts records a resident who adds or endorses a point (declared in DebatesConfig.ready).
SOURCE_DEBATE = "debate"
ACTIVITY_POINT = "debate_point"
ACTIVITY_ENDORSEMENT = "debate_endorse"
ACTIVITY_COMMENT = "debate_comment"


class DebateQuerySet(models.QuerySet):
    def published(self) -> DebateQuerySet:
        return self.filter(status=Debate.Status.PUBLISHED)

    def in_stage(self, stage: str, now=None) -> DebateQuerySet:
        """Debates in one of the stages residents see, by the rule of `stage_at`."""
        if stage == Debate.Stage.DRAFT:
            return self.filter(status=Debate.Status.DRAFT)
        return self.published().filter(Debate.SCHEDULE.q(stage, now or timezone.now()))

    def open_at(self, now=None) -> DebateQuerySet:
        return self.in_stage(Debate.Stage.OPEN, now)


class Debate(models.Model):
    """One question put to residents ("Should the high street be closed to cars on Saturdays?"),
    run by a department."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Published once it passes its checks (debates.services.debate_publish); never unpublished,
    # since residents' points and comments hang on it.
    lifecycle = Lifecycle(
        Status,
        {Status.DRAFT: {Status.PUBLISHED}, Status.PUBLISHED: set()},
        refusals={Status.PUBLISHED: _("This debate is already published.")},
    )

    class Stage(models.TextChoices):
        """What residents see: a draft, or while published, the phase its dates give."""

        DRAFT = "draft", _("Draft")
        UPCOMING = "upcoming", _("Starting soon")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    # What each phase lets residents do: "argue" (add and endorse points for and against) and
    # "comment".
    SCHEDULE = Phases(
        Stage,
        Phase(Stage.UPCOMING, starts=None),
        Phase(Stage.OPEN, starts="opens_at", allows={"argue", "comment"}),
        Phase(Stage.CLOSED, starts="closes_at"),
    )

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="debates")
    question = models.CharField(
        _("question"),
        max_length=200,
        help_text=_("The question residents debate, ending with a question mark."),
    )
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and searches.")
    )
    background = models.TextField(
        _("background"),
        blank=True,
        help_text=_("What residents need to know to take part. Markdown."),
    )
    # By name: a feature app never imports another (docs/architecture.md, section 1).
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultation"),
        help_text=_("The consultation this debate informs, if any. Leave empty for none."),
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DebateQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("debate")
        verbose_name_plural = _("debates")
        permissions = [("publish_debate", "Can publish a debate")]

    def __str__(self) -> str:
        return self.question

    @property
    def organisation(self) -> Organisation:
        return self.department.organisation

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id

    def stage_at(self, now=None) -> str:
        if self.status == self.Status.DRAFT:
            return self.Stage.DRAFT
        return self.Stage(self.SCHEDULE.at(self, now or timezone.now()).key)

    @property
    def stage(self) -> str:
        return self.stage_at()

    def allows(self, action: str, now=None) -> bool:
        """Whether the debate is published and its phase now allows `action`."""
        return self.status == self.Status.PUBLISHED and self.SCHEDULE.allows(
            self, action, now or timezone.now()
        )


# Points for and against -------------------------------------------------------------------------


class PointQuerySet(models.QuerySet):
    def with_endorsement_count(self) -> PointQuerySet:
        """Counted from the endorsement rows in the same query, never a counter bumped per
        click."""
        return self.annotate(endorsement_count=models.Count("endorsements", distinct=True))


class Point(models.Model):
    """One argument for or against a debate's question, short and one idea each, added by a
    signed-in resident while the debate is open. Its author is never shown."""

    class Side(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="points")
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    text = models.CharField(_("point"), max_length=280)
    # Kept when the author's data is erased (others endorsed it): only whose it was goes.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debate_points",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PointQuerySet.as_manager()

    class Meta:
        ordering = ["debate", "side", "-created_at", "-pk"]
        verbose_name = _("point")
        verbose_name_plural = _("points")
        indexes = [models.Index(fields=["debate", "side"], name="point_debate_side")]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        """By number: a resident wrote the text."""
        return f"Point #{self.pk}"

    @property
    def department_id(self) -> int:
        return self.debate.department_id

    @property
    def organisation_id(self) -> int:
        return self.debate.department.organisation_id


class Endorsement(models.Model):
    """A resident agrees with a point: once per person per point, kept by the database.
    Erasure keeps the row (the count stays true) and removes who it was (`user` empty)."""

    point = models.ForeignKey(Point, on_delete=models.CASCADE, related_name="endorsements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debate_endorsements",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        constraints = [
            models.UniqueConstraint(fields=["point", "user"], name="endorsement_one_per_person")
        ]

    def __str__(self) -> str:
        return f"Endorsement #{self.pk}"


# Comments ---------------------------------------------------------------------------------------

# How deep replies go: a comment, a reply to it, and a reply to that.
COMMENT_DEPTH_LIMIT = 3


class Comment(models.Model):
    """A resident's comment on a debate, or a reply to one (up to three levels), with the stance
    it takes. Deleting it by its author keeps its place in the thread ("Comment deleted"): the
    text goes, the row and its replies stay."""

    class Stance(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        NEUTRAL = "neutral", _("Neutral")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The top-level comment of the thread (itself for one), so a page of threads is read with
    # their replies in one query.
    thread = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    depth = models.PositiveSmallIntegerField(default=1)
    stance = models.CharField(_("stance"), max_length=8, choices=Stance.choices)
    text = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debate_comments",
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["debate", "depth", "created_at"], name="comment_threads")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(depth__gte=1, depth__lte=COMMENT_DEPTH_LIMIT),
                name="comment_depth_at_most_three",
            ),
            models.CheckConstraint(
                condition=models.Q(depth=1, parent__isnull=True)
                | models.Q(depth__gt=1, parent__isnull=False),
                name="comment_reply_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        """By number: a resident wrote the text."""
        return f"Comment #{self.pk}"

    @property
    def department_id(self) -> int:
        return self.debate.department_id

    @property
    def organisation_id(self) -> int:
        return self.debate.department.organisation_id


class CommentVote(models.Model):
    """Up (+1) or down (-1) on a comment: one per person per comment, kept by the database, and
    changeable (the row is updated). Erasure keeps the row and removes whose it was."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debate_comment_votes",
    )
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("comment vote")
        verbose_name_plural = _("comment votes")
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="comment_vote_one_per_person"),
            models.CheckConstraint(
                condition=models.Q(value__in=[-1, 1]), name="comment_vote_up_or_down"
            ),
        ]

    def __str__(self) -> str:
        return f"Comment vote #{self.pk}"


# Following, digests and the conclusion ----------------------------------------------------------


class Follow(models.Model):
    """A signed-in resident follows a debate: once per person per debate, kept by the database.
    Mail goes to them only while their contact's consent to the debate's purpose
    (debates.services.debate_purpose) is live, so an unsubscribe stops it without touching
    this row. The digest tells them what happened after `digest_since`."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debate_follows"
    )
    # The contact whose consent the mail needs, and who is written to (by name: contacts is a
    # lower layer, and the string keeps this module's imports as they are).
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    digest_since = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["debate", "user"], name="follow_one_per_person")
        ]

    def __str__(self) -> str:
        return f"Follow #{self.pk}"


class FollowMail(models.Model):
    """The outbox's record that a follower was sent one message: a reply to their comment (keyed
    by the reply) or a day's digest (keyed by the day). Written in the same transaction as the
    message's delivery row, with a unique key, so a task run twice, or a worker that dies, never
    sends it twice nor loses it."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to a comment")
        DIGEST = "digest", _("Daily digest")

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follower's e-mail")
        verbose_name_plural = _("followers' e-mails")
        constraints = [
            models.UniqueConstraint(fields=["follow", "kind", "key"], name="follow_mail_once")
        ]

    def __str__(self) -> str:
        return f"Follower's e-mail #{self.pk}"


class Conclusion(models.Model):
    """What the council concludes from a closed debate, written by an officer, shown at the top
    of the debate's page once published (never unpublished). `told_at` marks that those who
    follow the debate were told, which happens once."""

    debate = models.OneToOneField(Debate, on_delete=models.CASCADE, related_name="conclusion")
    text = models.TextField(
        _("conclusion"),
        help_text=_("What the council concludes from the debate and what it will do. Markdown."),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conclusion")
        verbose_name_plural = _("conclusions")

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"Conclusion of debate #{self.debate_id}"

    @property
    def department_id(self) -> int:
        return self.debate.department_id

    @property
    def organisation_id(self) -> int:
        return self.debate.department.organisation_id
