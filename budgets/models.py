"""Participatory budgets: a process with dated phases, its budgets (citywide and per ward), the
ideas residents propose for them, and residents' support for ideas.

A process's phase follows from its dates (ideas, review, voting, results, implementation) and is
never stored, so it moves on time without anyone acting; whether an officer has published it is
its lifecycle (draft, published). How its result is worked out (greedy or the Method of Equal
Shares, and how MES is completed) is part of the process and cannot change once voting opens
(budgets.services.process_settings_check).

Money is in whole pounds: councils budget projects to the pound, costs and amounts compare
exactly as integers (the result methods need exact sums), and the Pabulib format the results are
exchanged in uses integer costs.

An idea's status is what officers decided about it. Proposed ideas are public at once; review
marks them feasible or not (with a public reason), sets their final cost, merges duplicates into
the idea that carries on, and chooses the ballot. The status field is wide enough for the states
that come after voting (funded, and the stages of building it), which extend the same lifecycle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.lifecycle import Lifecycle
from civic.models import Area, Department, InDepartmentsItem
from civic.phases import Phase, Phases, ScheduledItem, ScheduledQuerySet

# How contacts records a proposer and a supporter (declared in BudgetsConfig.ready).
SOURCE_BUDGET = "budget"
ACTIVITY_IDEA = "budget_idea"
ACTIVITY_SUPPORT = "idea_support"
ACTIVITY_VOTE = "budget_vote"


class InProcess(InDepartmentsItem):
    """A row that belongs to a process (civic.models.InDepartmentsItem)."""

    item_path = "process"


class ProcessQuerySet(ScheduledQuerySet):
    def taking_part_at(self, now=None) -> ProcessQuerySet:
        """Published processes in which residents can do something now: propose and support
        ideas, or vote."""
        now = now or timezone.now()
        condition = Q(pk__in=[])
        for key in {*Process.SCHEDULE.keys_allowing("propose"), Process.Stage.VOTING}:
            condition |= Process.SCHEDULE.q(key, now)
        return self.published().filter(condition)


class Process(ScheduledItem, models.Model):
    """One round of participatory budgeting ("Northbridge decides 2027"), run by a department."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Published once it passes its checks (budgets.services.process_publish); never unpublished,
    # since residents' ideas and supports hang on it.
    lifecycle = Lifecycle(
        Status,
        {Status.DRAFT: {Status.PUBLISHED}, Status.PUBLISHED: set()},
        refusals={Status.PUBLISHED: _("This process is already published.")},
    )

    class Stage(models.TextChoices):
        """What residents see: a draft, or while published, the phase its dates give."""

        DRAFT = "draft", _("Draft")
        UPCOMING = "upcoming", _("Starting soon")
        IDEAS = "ideas", _("Collecting ideas")
        REVIEW = "review", _("Checking ideas")
        VOTING = "voting", _("Voting")
        RESULTS = "results", _("Results")
        IMPLEMENTATION = "implementation", _("Building the projects")

    # Once voting has closed: the results are worked out and shown, and the winners are built.
    VOTING_CLOSED = (Stage.RESULTS, Stage.IMPLEMENTATION)

    # What each phase lets residents do ("propose", "support", "vote"), and officers ("review":
    # decide on ideas and choose the ballot, which is fixed once voting opens).
    SCHEDULE = Phases(
        Stage,
        Phase(Stage.UPCOMING, starts=None),
        Phase(Stage.IDEAS, starts="ideas_open_at", allows={"propose", "support", "review"}),
        Phase(Stage.REVIEW, starts="review_starts_at", allows={"review"}),
        Phase(Stage.VOTING, starts="voting_opens_at", allows={"vote"}),
        Phase(Stage.RESULTS, starts="voting_closes_at"),
        Phase(Stage.IMPLEMENTATION, starts="implementation_starts_at"),
    )

    class Voters(models.TextChoices):
        """Which budgets a voter may vote in; their area comes from their postcode."""

        OWN_AREA = "own_area", _("The budget of their own area only")
        OWN_AREA_AND_CITYWIDE = (
            "own_and_citywide",
            _("The budget of their own area and the citywide budget"),
        )
        ANY_ONE_AREA = (
            "any_one_area",
            _("The budget of any one area of their choice, and the citywide budget"),
        )

    class Method(models.TextChoices):
        """How the winning projects are worked out from the votes."""

        GREEDY = "greedy", _("Most votes first (greedy)")
        EQUAL_SHARES = "equal_shares", _("Method of Equal Shares")

    class Completion(models.TextChoices):
        """How the Method of Equal Shares spends what its first round leaves unspent."""

        GREEDY = "greedy", _("Fund the next projects by votes while they fit")
        RAISE_BUDGET = "raise_budget", _("Raise each voter's share in equal steps")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="budget_processes"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and searches.")
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    ideas_open_at = models.DateTimeField(_("ideas open"), null=True, blank=True)
    review_starts_at = models.DateTimeField(
        _("review starts"),
        null=True,
        blank=True,
        help_text=_("Residents can no longer propose or support ideas from then."),
    )
    voting_opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    voting_closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    implementation_starts_at = models.DateTimeField(_("building starts"), null=True, blank=True)
    voters = models.CharField(
        _("which budgets a voter may vote in"),
        max_length=20,
        choices=Voters.choices,
        default=Voters.OWN_AREA_AND_CITYWIDE,
    )
    method = models.CharField(
        _("how the result is worked out"),
        max_length=20,
        choices=Method.choices,
        default=Method.EQUAL_SHARES,
        help_text=_("Fixed once voting opens, and shown on the ballot."),
    )
    completion = models.CharField(
        _("how the Method of Equal Shares spends what is left"),
        max_length=20,
        choices=Completion.choices,
        default=Completion.RAISE_BUDGET,
        help_text=_("Fixed once voting opens."),
    )
    min_age = models.PositiveSmallIntegerField(
        _("least age to vote"),
        null=True,
        blank=True,
        help_text=_("Voters confirm they are this age or older. Leave empty for any age."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProcessQuerySet.as_manager()

    class Meta:
        ordering = ["-ideas_open_at", "-pk"]
        verbose_name = _("budget process")
        verbose_name_plural = _("budget processes")
        permissions = [
            ("publish_process", "Can publish a budget process"),
            ("review_idea", "Can decide on budget ideas"),
        ]

    def __str__(self) -> str:
        return self.title

    def voting_closed(self, now=None) -> bool:
        """Whether the process is published and its voting has closed (`VOTING_CLOSED`)."""
        return self.stage_at(now) in self.VOTING_CLOSED

    def budgets_open_to(self, budgets: list[Budget], *, home, chosen=None) -> list[Budget]:
        """The budgets a voter living in area `home` (or None: no area of this council) may vote
        in, of `budgets`, under the process's rule; for "any one area", the area they chose."""
        if home is None:
            return []  # every budget is for the council's residents
        citywide = [budget for budget in budgets if budget.area_id is None]
        area = chosen if self.voters == self.Voters.ANY_ONE_AREA else home
        own = [budget for budget in budgets if area is not None and budget.area_id == area.pk]
        if self.voters == self.Voters.OWN_AREA:
            return own
        return own + citywide


def citywide_first(budgets) -> list[Budget]:
    """Budgets in the order every page lists them: the citywide one, then the areas' by name."""
    return sorted(budgets, key=lambda budget: (budget.area_id is not None, budget.name))


class Budget(InProcess, models.Model):
    """An amount for one ward or district, or for the whole council area, and how it is voted."""

    class Style(models.TextChoices):
        KNAPSACK = "knapsack", _("Choose projects up to the amount")
        APPROVAL = "approval", _("Choose a number of projects")

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="budgets")
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Leave empty for the citywide budget."),
    )
    amount = models.PositiveIntegerField(_("amount in pounds"))
    style = models.CharField(
        _("voting style"), max_length=12, choices=Style.choices, default=Style.KNAPSACK
    )
    min_spend_percent = models.PositiveSmallIntegerField(
        _("least share of the amount a ballot must spend, in per cent"),
        null=True,
        blank=True,
        help_text=_("For choosing projects up to the amount. Leave empty for none."),
    )
    min_projects = models.PositiveSmallIntegerField(
        _("least number of projects"),
        null=True,
        blank=True,
        help_text=_("For choosing a number of projects."),
    )
    max_projects = models.PositiveSmallIntegerField(
        _("most projects"),
        null=True,
        blank=True,
        help_text=_("For choosing a number of projects."),
    )

    class Meta:
        ordering = ["process", "area__name"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["process", "area"], name="budget_one_per_area"),
            models.UniqueConstraint(
                fields=["process"],
                condition=Q(area__isnull=True),
                name="budget_one_citywide_per_process",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=Q(min_spend_percent__isnull=True) | Q(min_spend_percent__lte=100),
                name="budget_min_spend_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(min_projects__isnull=True)
                | Q(max_projects__isnull=True)
                | Q(min_projects__lte=models.F("max_projects")),
                name="budget_min_projects_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.area.name if self.area_id else str(_("Citywide"))


class Category(InProcess, models.Model):
    """What an idea is about ("Parks and green spaces"), for the process's ideas to be filtered
    by. Per process: each round names its own, and an officer runs them with the process."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="category_unique_per_process")
        ]

    def __str__(self) -> str:
        return self.name


class IdeaQuerySet(models.QuerySet):
    def public(self) -> IdeaQuerySet:
        """Every idea of a published process: proposed ones are public from the start."""
        return self.filter(process__status=Process.Status.PUBLISHED)

    def with_support_count(self) -> IdeaQuerySet:
        """Counted from the support rows in the same query, never a counter bumped per click."""
        return self.annotate(support_count=Count("supports", distinct=True))


def _idea_image_path(idea: Idea, filename: str) -> str:
    """Under the process and a number, never under the name the resident's file had."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"budgets/ideas/{idea.process_id}/{timezone.now():%Y%m%d%H%M%S%f}.{extension}"


class Idea(InProcess, models.Model):
    """A project a resident proposes for one budget, and what the council decided about it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        FEASIBLE = "feasible", _("Feasible")
        NOT_FEASIBLE = "not_feasible", _("Not feasible")
        ON_BALLOT = "on_ballot", _("On the ballot")
        MERGED = "merged", _("Merged into another idea")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Review decides each proposed idea; a decision can be revisited until voting opens (the
    # services check the phase). A merged or withdrawn idea is final.
    lifecycle = Lifecycle(
        Status,
        {
            Status.PROPOSED: {
                Status.FEASIBLE,
                Status.NOT_FEASIBLE,
                Status.MERGED,
                Status.WITHDRAWN,
            },
            Status.FEASIBLE: {
                Status.FEASIBLE,  # a new reason or cost, re-stated
                Status.NOT_FEASIBLE,
                Status.ON_BALLOT,
                Status.MERGED,
                Status.WITHDRAWN,
            },
            Status.NOT_FEASIBLE: {
                Status.FEASIBLE,
                Status.NOT_FEASIBLE,
                Status.MERGED,
                Status.WITHDRAWN,
            },
            Status.ON_BALLOT: {Status.FEASIBLE},  # taken off the ballot before voting opens
            Status.MERGED: set(),
            Status.WITHDRAWN: set(),
        },
        refusals={
            Status.ON_BALLOT: _(
                "Only an idea found feasible, with a final cost, goes on the ballot."
            ),
            Status.MERGED: _("A merged or withdrawn idea cannot be merged."),
        },
    )

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="ideas")
    budget = models.ForeignKey(
        Budget, on_delete=models.PROTECT, related_name="ideas", verbose_name=_("budget")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    estimated_cost = models.PositiveIntegerField(_("estimated cost in pounds"))
    final_cost = models.PositiveIntegerField(_("final cost in pounds"), null=True, blank=True)
    image = models.FileField(_("image"), upload_to=_idea_image_path, blank=True)
    image_alt = models.CharField(_("image description"), max_length=300, blank=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_ideas",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    # The public reason for the latest decision (feasible or not, merged, withdrawn).
    reason = models.TextField(_("the council's reason"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_ideas",
        verbose_name=_("merged into"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_cost__gt=0), name="idea_estimated_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(final_cost__isnull=True) | Q(final_cost__gt=0),
                name="idea_final_cost_positive",
            ),
            # A merged idea always says which one carries on, and only a merged one does.
            models.CheckConstraint(
                condition=(Q(status="merged") & Q(merged_into__isnull=False))
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="idea_merged_names_the_one_that_carries_on",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="idea_not_merged_into_itself"
            ),
        ]
        indexes = [models.Index(fields=["process", "status"], name="idea_process_status")]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        """By number only: a resident wrote the title, and the audit log outlives erasure."""
        return f"Idea #{self.pk}"

    @property
    def cost(self) -> int:
        """What it would cost: the council's final figure once set, else the estimate."""
        return self.final_cost if self.final_cost is not None else self.estimated_cost


class Support(InDepartmentsItem, models.Model):
    """One signed-in person's support for an idea. The database allows one per person per idea.
    Erasure keeps the row (the count stays true) and removes who it was (`user` empty)."""

    item_path = "idea.process"

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_supports",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="support_one_per_person")
        ]

    def __str__(self) -> str:
        return f"Support #{self.pk}"


# Voting: the tables and the rules the database keeps, settled with the rest of the model; the
# ballot pages, codes and paper entry that write them come next (issue 15). ----------------------


class CodeBatch(InProcess, models.Model):
    """Single-use voting codes printed together for residents without e-mail. Each code is kept
    only as a hash salted with the batch's salt (budgets.services will use hashlib.scrypt), so a
    code presented is found by hashing it once per batch of its process: there are few."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="code_batches")
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        help_text=_(
            "The area whose residents are given these codes. Leave empty to let each voter "
            "choose their area."
        ),
    )
    salt = models.BinaryField(max_length=32, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("batch of voting codes")
        verbose_name_plural = _("batches of voting codes")
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="code_batch_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class VotingCode(models.Model):
    batch = models.ForeignKey(CodeBatch, on_delete=models.CASCADE, related_name="codes")
    digest = models.BinaryField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("voting code")
        verbose_name_plural = _("voting codes")
        constraints = [
            models.UniqueConstraint(fields=["batch", "digest"], name="voting_code_unique")
        ]

    def __str__(self) -> str:
        return f"Voting code #{self.pk}"


class Elector(InProcess, models.Model):
    """Someone voting in a process, and the area they vote as: from their postcode (online), the
    code's batch or their choice (by code), or the area they chose where the process lets voters
    choose any one. Fixed at their first ballot, so a move of postcode or a second choice
    cannot open a second area's budget; the postcode itself is not kept. One per account and one
    per code in each process, by the database. Erasure empties `user` and keeps the row."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="electors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_electors",
    )
    code = models.ForeignKey(
        "VotingCode", on_delete=models.PROTECT, null=True, blank=True, related_name="electors"
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    age_confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "user"],
                condition=Q(user__isnull=False),
                name="elector_one_per_account",
            ),
            models.UniqueConstraint(
                fields=["process", "code"],
                condition=Q(code__isnull=False),
                name="elector_one_per_code",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(code__isnull=True),
                name="elector_account_or_code",
            ),
        ]

    def __str__(self) -> str:
        return f"Voter #{self.pk}"


class Ballot(models.Model):
    """One voter's choice of projects in one budget, by one channel. The database allows one
    ballot per account and one per code in each budget; changing a ballot replaces its choices
    and its time (the last submitted counts). A paper ballot names neither: it records the
    officer who keyed it in and the batch of paper it came from. Erasure empties `voter` and
    keeps the ballot counted; how someone voted is never recorded in contacts."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        CODE = "code", _("Voting code")
        PAPER = "paper", _("Paper")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="ballots")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_ballots",
    )
    code = models.ForeignKey(
        VotingCode, on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    keyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paper_batch = models.CharField(_("batch of paper ballots"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    projects = models.ManyToManyField(Idea, through="BallotChoice", related_name="ballots")

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["budget", "voter"], name="ballot_one_per_voter"),
            models.UniqueConstraint(fields=["budget", "code"], name="ballot_one_per_code"),
            # An online ballot has no code (its voter may have been erased); a code ballot has
            # its code and no account; a paper ballot has neither, and the officer who keyed it.
            models.CheckConstraint(
                condition=(Q(channel="online") & Q(code__isnull=True))
                | (Q(channel="code") & Q(code__isnull=False) & Q(voter__isnull=True))
                | (Q(channel="paper") & Q(code__isnull=True) & Q(voter__isnull=True)),
                name="ballot_channel_says_who",
            ),
        ]
        indexes = [models.Index(fields=["budget", "channel"], name="ballot_budget_channel")]

    def __str__(self) -> str:
        return f"Ballot #{self.pk}"


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    idea = models.ForeignKey(Idea, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("choice on a ballot")
        verbose_name_plural = _("choices on ballots")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "idea"], name="ballot_choice_once")
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}: {self.idea_id}"


# Results: what a worker worked out for each budget once voting closed (budgets.results). -------


class BudgetResultQuerySet(models.QuerySet):
    def of_process(self, process: Process) -> BudgetResultQuerySet:
        return self.filter(budget__process=process)


class BudgetResult(InDepartmentsItem, models.Model):
    """One budget's result, worked out once voting closed: one row per budget, its figures in one
    JSON document (`budgets.results` writes and reads it).

    Why one row with JSON rather than a row per project and method: a result is a snapshot,
    written whole by one worker and never edited, and read whole by the results page, the JSON
    and the API. One row is one read whatever the number of projects, it is replaced in one
    statement when an officer asks for it again, and the unique budget makes a second worker's
    insert fail rather than count twice. Nothing queries inside it (the winners a page or
    building the projects needs are read with it). The projects are named by their ideas'
    primary keys, never by title, so an erasure that changes a title changes the result's page.

    The document: `voters`, `voters_by_channel`, and for each project on the ballot its `idea`,
    `cost`, `votes` and `votes_by_channel`; then per method (`greedy`, and `equal_shares`
    completed as the process chose) the figures of `budgets.allocation.Result` (what was spent
    and left, the winners in order, and for each project whether it was funded and why), from
    which the words are drawn again in the reader's language.
    """

    item_path = "budget.process"

    budget = models.OneToOneField(Budget, on_delete=models.CASCADE, related_name="result")
    voters = models.PositiveIntegerField(_("voters"))
    figures = models.JSONField(_("figures"), editable=False)
    computed_at = models.DateTimeField(_("worked out at"), default=timezone.now)

    objects = BudgetResultQuerySet.as_manager()

    class Meta:
        ordering = ["budget"]
        verbose_name = _("budget result")
        verbose_name_plural = _("budget results")

    def __str__(self) -> str:
        return f"Result of budget #{self.budget_id}"


# Building the winning projects (issue 15, implementation) ----------------------------------------
#
# A winning idea's building is a row of its own, Project, rather than more states on Idea: the
# idea's status is what review decided and keeps its own lifecycle (civic.services.state_move reads
# one lifecycle per model), a project's states are another story with other moves, and the one
# project row per idea (a database constraint) is what makes starting the building idempotent.


class Project(InDepartmentsItem, models.Model):
    """A winning idea being built: its status, and the public reason when it is cancelled."""

    item_path = "idea.process"

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    lifecycle = Lifecycle(
        Status,
        {
            Status.PLANNED: {Status.IN_PROGRESS, Status.CANCELLED},
            Status.IN_PROGRESS: {Status.DONE, Status.CANCELLED},
            Status.DONE: set(),
            Status.CANCELLED: set(),
        },
        refusals={
            Status.DONE: _("Only a project in progress can be marked done."),
            Status.CANCELLED: _("A project that is done or cancelled cannot be cancelled."),
            Status.IN_PROGRESS: _("Only a planned project can be started."),
        },
    )

    idea = models.OneToOneField(
        Idea, on_delete=models.CASCADE, related_name="project", verbose_name=_("idea")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    reason = models.TextField(_("the council's reason"), blank=True)
    planned_at = models.DateTimeField(_("planned"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["idea__title", "pk"]
        verbose_name = _("winning project")
        verbose_name_plural = _("winning projects")
        permissions = [("deliver_project", "Can manage the building of a winning project")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(reason=""),
                name="project_cancelled_says_why",
            ),
        ]

    def __str__(self) -> str:
        return self.idea.title

    def audit_label(self) -> str:
        """By number only: a resident wrote the idea's title."""
        return f"Project #{self.pk}"


def _milestone_photo_path(milestone: Milestone, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"budgets/milestones/{milestone.project_id}/{timezone.now():%Y%m%d%H%M%S%f}.{extension}"


class Milestone(InDepartmentsItem, models.Model):
    """A dated step in building a project, with how complete the project is by then, and an
    optional photo the council took (with its description for people who cannot see it)."""

    item_path = "project.idea.process"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    percent_complete = models.PositiveSmallIntegerField(_("per cent complete"))
    photo = models.FileField(_("photo"), upload_to=_milestone_photo_path, blank=True)
    photo_alt = models.CharField(_("photo description"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="milestone_percent_complete_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(photo="") | ~Q(photo_alt=""),
                name="milestone_photo_described",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"Milestone #{self.pk}"
