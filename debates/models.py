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

from civic import phases
from civic.lifecycle import Lifecycle
from civic.models import Department, Organisation
from civic.phases import Phase, Phases, ScheduledItem

# How contacts records a resident who adds or endorses a point (declared in DebatesConfig.ready).
SOURCE_DEBATE = "debate"
ACTIVITY_POINT = "debate_point"
ACTIVITY_ENDORSEMENT = "debate_endorse"
ACTIVITY_COMMENT = "debate_comment"
ACTIVITY_CONVERSATION = "debate_convo"
ACTIVITY_STATEMENT = "debate_statement"


class ScheduledQuerySet(phases.ScheduledQuerySet):
    """Reads shared by debates and conversations (civic.phases'), and those open now."""

    def open_at(self, now=None) -> ScheduledQuerySet:
        return self.in_stage(self.model.Stage.OPEN, now)


class Debate(ScheduledItem, models.Model):
    """One question put to residents ("Should the high street be closed to cars on Saturdays?"),
    run by a department."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    # Published once it passes its checks (debates.services.debate_publish); never unpublished,
    # since residents' points and comments hang on it. A debate a resident proposed in a space
    # (debates.proposals) waits as a draft for an officer, who publishes or rejects it.
    lifecycle = Lifecycle(
        Status,
        {
            Status.DRAFT: {Status.PUBLISHED, Status.REJECTED},
            Status.PUBLISHED: set(),
            Status.REJECTED: set(),
        },
        refusals={
            Status.PUBLISHED: _("This debate is already published."),
            Status.REJECTED: _("Only a proposed debate waiting for a decision can be rejected."),
        },
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
    # A debate a resident proposed in a space an officer moderates (debates.proposals).
    space = models.ForeignKey(
        "debates.DebateSpace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="debates",
        verbose_name=_("space"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="proposed_debates",
    )
    # Why an officer rejected a proposed debate, as its proposer was told.
    rejection_reason = models.TextField(blank=True, editable=False)

    objects = ScheduledQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("debate")
        verbose_name_plural = _("debates")
        permissions = [("publish_debate", "Can publish a debate")]

    def __str__(self) -> str:
        return self.question


class DebateSpace(models.Model):
    """A place an officer sets up where signed-in residents propose debates of their own
    ("Ideas for the town centre"). Each proposal waits for an officer of the space's department,
    who publishes it after the usual check or rejects it with a reason; its proposer is told
    either way (debates.proposals)."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="debate_spaces"
    )
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    description = models.TextField(
        _("description"),
        help_text=_("What residents may propose debates about, and how you decide. Markdown."),
    )
    accepting = models.BooleanField(
        _("taking proposals"),
        default=True,
        help_text=_("Untick to stop new proposals. Published debates stay."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("debate space")
        verbose_name_plural = _("debate spaces")

    def __str__(self) -> str:
        return self.title

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id


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


# Conversations ----------------------------------------------------------------------------------
# Pol.is-style: an officer asks a question with a few seed statements; residents add short
# statements of their own and vote agree, disagree or pass on them one at a time. Opinion groups
# are worked out from the votes elsewhere (debates.conversation_results); here are the rows.


class Conversation(ScheduledItem, models.Model):
    """A question put to residents as short statements they agree or disagree with, run by a
    department ("What should the new town square be for?")."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Published once it passes its checks (debates.conversations.conversation_publish); never
    # unpublished, since residents' votes hang on it.
    lifecycle = Lifecycle(
        Status,
        {Status.DRAFT: {Status.PUBLISHED}, Status.PUBLISHED: set()},
        refusals={Status.PUBLISHED: _("This conversation is already published.")},
    )

    class Stage(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UPCOMING = "upcoming", _("Starting soon")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    # "vote" on statements and "add" statements of one's own.
    SCHEDULE = Phases(
        Stage,
        Phase(Stage.UPCOMING, starts=None),
        Phase(Stage.OPEN, starts="opens_at", allows={"vote", "add"}),
        Phase(Stage.CLOSED, starts="closes_at"),
    )

    class Moderation(models.TextChoices):
        BEFORE = "before", _("Check each statement before it shows")
        AFTER = "after", _("Show statements at once and check them afterwards")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="conversations"
    )
    title = models.CharField(
        _("title"), max_length=120, help_text=_("A short name for lists, like a headline.")
    )
    question = models.CharField(
        _("question"),
        max_length=200,
        help_text=_("The question residents answer, ending with a question mark."),
    )
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    background = models.TextField(
        _("background"),
        blank=True,
        help_text=_("What residents need to know to take part. Markdown."),
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    statement_moderation = models.CharField(
        _("checking residents' statements"),
        max_length=8,
        choices=Moderation.choices,
        default=Moderation.BEFORE,
    )
    allow_anonymous = models.BooleanField(
        _("let people take part without an account"),
        default=False,
        help_text=_(
            "If ticked, anyone can vote and add statements without signing in or giving an "
            "e-mail address, with the same limits as other public forms."
        ),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScheduledQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [("publish_conversation", "Can publish a conversation")]

    def __str__(self) -> str:
        return self.title


# Web addresses a debate may not take: the pages of conversations live under /debates/.
RESERVED_DEBATE_SLUGS = frozenset({"conversations", "spaces"})

# The longest statement residents may add: short, one idea each, as Pol.is has it.
STATEMENT_MAX_LENGTH = 140


class Statement(models.Model):
    """One short statement people agree or disagree with: a seed the officer wrote, or one a
    resident added. A resident's statement shows once checked, or at once, as the conversation
    says; a rejected one leaves the conversation, its votes kept but counted nowhere."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be checked")
        SHOWN = "shown", _("Shown")
        REJECTED = "rejected", _("Rejected")

    # An officer shows or rejects a resident's statement (debates.conversations.
    # statement_moderate), and may change their mind either way.
    lifecycle = Lifecycle(
        Status,
        {
            Status.PENDING: {Status.SHOWN, Status.REJECTED},
            Status.SHOWN: {Status.REJECTED},
            Status.REJECTED: {Status.SHOWN},
        },
        refusals={
            Status.SHOWN: _("This statement is already shown."),
            Status.REJECTED: _("This statement is already rejected."),
        },
    )

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="statements"
    )
    text = models.CharField(_("statement"), max_length=STATEMENT_MAX_LENGTH)
    is_seed = models.BooleanField(_("written by the council"), default=False, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Kept when the author's data is erased (others voted on it): only whose it was goes.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_statements",
    )
    # The participant who added it (anonymous ones have no user), so erasure finds it too.
    participant = models.ForeignKey(
        "Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "pk"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [
            models.Index(fields=["conversation", "status"], name="statement_conversation_status")
        ]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        """By number: a resident may have written the text."""
        return f"Statement #{self.pk}"

    @property
    def department_id(self) -> int:
        return self.conversation.department_id

    @property
    def organisation_id(self) -> int:
        return self.conversation.department.organisation_id


class Participant(models.Model):
    """Someone taking part in one conversation: a signed-in person (`user`) or, where the
    conversation allows it, an anonymous visitor known only by the random key in a signed
    cookie (`anonymous_key`). Votes hang on the participant, never on a name, so the vote matrix
    is anonymous by construction. Erasure deletes the participant and their votes."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conversation_participations",
    )
    # Empty (NULL, not "") for signed-in people, so the uniqueness per key leaves them alone.
    anonymous_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)
    # Someone taking part with an e-mail address and no account (debates.conversation_email):
    # known by a key like an anonymous visitor, which only their confirmed link gives a browser.
    email = models.EmailField(_("e-mail address"), null=True, blank=True)  # noqa: DJ001
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Whether they asked, with their address, to hear how the conversation goes: recorded as
    # their consent once they confirm.
    wants_news = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="participant_one_per_person"
            ),
            models.UniqueConstraint(
                fields=["conversation", "anonymous_key"], name="participant_one_per_key"
            ),
            models.UniqueConstraint(
                fields=["conversation", "email"], name="participant_one_per_email"
            ),
            models.CheckConstraint(
                condition=models.Q(email__isnull=True) | models.Q(user__isnull=True),
                name="participant_email_without_account",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, anonymous_key__isnull=True)
                | models.Q(user__isnull=True, anonymous_key__isnull=False),
                name="participant_person_or_key",
            ),
        ]

    def __str__(self) -> str:
        return f"Participant #{self.pk}"


class StatementVote(models.Model):
    """A participant's answer to one statement: agree (1), disagree (-1) or pass (0). One row per
    participant per statement, kept by the database; changing one's mind updates the row."""

    class Choice(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    choice = models.SmallIntegerField(_("vote"), choices=Choice.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("statement vote")
        verbose_name_plural = _("statement votes")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "statement"], name="statement_vote_one_per_participant"
            ),
            models.CheckConstraint(
                condition=models.Q(choice__in=[-1, 0, 1]), name="statement_vote_choice_known"
            ),
        ]
        indexes = [models.Index(fields=["statement", "choice"], name="statement_vote_counts")]

    def __str__(self) -> str:
        return f"Statement vote #{self.pk}"


# Conversation results ---------------------------------------------------------------------------
# The opinion groups a worker last worked out from a conversation's votes
# (debates.conversation_results, by debates.opinion): one row per conversation, replaced whole.


class ConversationResult(models.Model):
    """What a conversation's votes add up to when last worked out: counts per statement, the
    opinion groups with their sizes and shares, representative and consensus statements. The
    figures name statements by id and people not at all: no participant is ever stored here."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="result"
    )
    computed_at = models.DateTimeField()
    # The newest vote counted and how many: the page asks for a recompute when newer ones exist.
    last_vote_at = models.DateTimeField(null=True, blank=True)
    votes_counted = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("conversation result")
        verbose_name_plural = _("conversation results")

    def __str__(self) -> str:
        return f"Conversation result #{self.pk}"


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
