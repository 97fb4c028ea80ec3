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

    def shown(self) -> PointQuerySet:
        """Points residents see: not hidden for review, not removed (debates.moderation)."""
        return self.exclude(review__status__in=Review.UNSEEN)


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


# Moderation -------------------------------------------------------------------------------------
# Residents report a comment or a point; at CIVIC_DEBATE_REPORT_THRESHOLD distinct reports it is
# hidden until an officer restores or removes it (debates.moderation). An officer may also block
# an account from taking part in the organisation's debates for a while.


class ReviewQuerySet(models.QuerySet):
    def waiting(self) -> ReviewQuerySet:
        """What the moderation queue holds: hidden items, waiting for an officer's decision."""
        return self.filter(status=Review.Status.HIDDEN)


class Review(models.Model):
    """What moderators know and decided about one comment or point: made by its first report,
    or by an officer hiding or removing it unreported. While `hidden` the item is in the queue
    and residents see that it is under review; `removed` keeps it off the page for good."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        HIDDEN = "hidden", _("Hidden, waiting for review")
        RESTORED = "restored", _("Restored")
        REMOVED = "removed", _("Removed")

    # Restoring is final for reports (a moderator has looked); an officer may still hide or
    # remove it later. Removing is final.
    lifecycle = Lifecycle(
        Status,
        {
            Status.REPORTED: {Status.HIDDEN, Status.REMOVED},
            Status.HIDDEN: {Status.RESTORED, Status.REMOVED},
            Status.RESTORED: {Status.HIDDEN, Status.REMOVED},
            Status.REMOVED: set(),
        },
        refusals={
            Status.HIDDEN: _("This is hidden already."),
            Status.RESTORED: _("Only a hidden item can be restored."),
            Status.REMOVED: _("This has been removed already."),
        },
    )

    class Decision(models.TextChoices):
        """The reasons an officer picks from when deciding, as the author is told them."""

        KEPT = "kept", _("It keeps to the house rules")
        ABUSE = "abuse", _("It was abusive, threatening or hateful")
        PERSONAL = "personal", _("It shared someone's personal details")
        SPAM = "spam", _("It was spam or advertising")
        OFF_TOPIC = "off_topic", _("It was not about the debate")
        OTHER = "other", _("Another reason (write it below)")

    # The debate is kept here too, so an officer's queue is scoped by its department in SQL.
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="reviews")
    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="review"
    )
    point = models.OneToOneField(
        Point, on_delete=models.CASCADE, null=True, blank=True, related_name="review"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REPORTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(_("reason"), max_length=10, choices=Decision.choices, blank=True)
    decision_detail = models.CharField(_("more detail"), max_length=500, blank=True)

    # What residents do not see of an item in these states.
    UNSEEN = (Status.HIDDEN, Status.REMOVED)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["hidden_at", "pk"]
        verbose_name = _("moderation review")
        verbose_name_plural = _("moderation queue")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(comment__isnull=False, point__isnull=True)
                | models.Q(comment__isnull=True, point__isnull=False),
                name="review_of_a_comment_or_a_point",
            ),
        ]
        indexes = [models.Index(fields=["status", "hidden_at"], name="review_queue")]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"Review #{self.pk}"

    @property
    def item(self) -> Comment | Point:
        return self.comment if self.comment_id else self.point

    @property
    def department_id(self) -> int:
        return self.debate.department_id

    @property
    def organisation_id(self) -> int:
        return self.debate.department.organisation_id


class Report(models.Model):
    """One resident's report of a comment or a point (through the item's review): once per
    person per item, kept by the database. Erasure keeps the row (the count stays true) and
    removes who made it and what they wrote."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", _("It is abusive, threatening or hateful")
        PERSONAL = "personal", _("It shares someone's personal details")
        SPAM = "spam", _("It is spam or advertising")
        OFF_TOPIC = "off_topic", _("It is not about the debate")
        OTHER = "other", _("Something else")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debate_reports",
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("more detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="report_one_per_person")
        ]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"Report #{self.pk}"


class BlockQuerySet(models.QuerySet):
    def in_force(self, now=None) -> BlockQuerySet:
        return self.filter(lifted_at__isnull=True, until__gt=now or timezone.now())


class Block(models.Model):
    """An account may not add points or comments in an organisation's debates until `until`,
    unless an officer lifts the block early."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="debate_blocks"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debate_blocks"
    )
    until = models.DateTimeField(_("blocked until"))
    # Why, picked from the same reasons as a decision, and kept for the officers only.
    reason = models.CharField(_("reason"), max_length=10, choices=Review.Decision.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("block")
        verbose_name_plural = _("blocked accounts")
        indexes = [models.Index(fields=["user", "organisation"], name="block_user_organisation")]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"Block #{self.pk}"
