"""Open data about participatory budgets, read-only, under /api/v1/budget-processes/ and
/api/v1/budget-projects/.

Published processes (a draft only to those who run it, as on the pages) with their stage, dates,
rules and budgets; and the projects on the ballot with their budget, category and cost. Never a
person: no proposer, no supporter, no voter.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from budgets.allocation import Reason
from budgets.models import Budget, BudgetResult, Idea, Process
from budgets.results import process_results
from civic.api_base import ID_REGEX, SLUG_REGEX, FilteredListMixin, SlugFilter
from civic.selectors import published_or_run_by


def register(router) -> None:
    router.register("budget-processes", ProcessViewSet, basename="budget-process")
    router.register("budget-projects", ProjectViewSet, basename="budget-project")
    register_results(router)


# Serializers ------------------------------------------------------------------------------------


class BudgetSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    area_code = serializers.SerializerMethodField()

    class Meta:
        model = Budget
        fields = [
            "id",
            "name",
            "area_code",
            "amount",
            "style",
            "min_spend_percent",
            "min_projects",
            "max_projects",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_area_code(self, budget: Budget) -> str | None:
        """The ward's ONS code; null for the citywide budget."""
        return budget.area.code if budget.area_id else None


@extend_schema_field(
    {"type": "string", "enum": [str(stage) for stage in Process.Stage]},
    component_name="BudgetProcessStage",
)
class StageField(serializers.Field):
    """Where the process stands, from its dates."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, process: Process) -> str:
        return str(process.stage)


class ProcessSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        source="department.organisation", slug_field="slug", read_only=True
    )
    stage = StageField()
    budgets = BudgetSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Process
        fields = [
            "slug",
            "title",
            "organisation",
            "summary",
            "stage",
            "ideas_open_at",
            "review_starts_at",
            "voting_opens_at",
            "voting_closes_at",
            "implementation_starts_at",
            "voters",
            "method",
            "completion",
            "budgets",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, process: Process) -> str:
        path = reverse("budgets:process", args=[process.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ProjectSerializer(serializers.ModelSerializer):
    process = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    budget = serializers.PrimaryKeyRelatedField(read_only=True)
    budget_name = serializers.CharField(source="budget.name", read_only=True)
    category = serializers.StringRelatedField(read_only=True)
    cost = serializers.IntegerField(read_only=True, help_text="The final cost, in pounds.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Idea
        fields = [
            "id",
            "process",
            "budget",
            "budget_name",
            "category",
            "title",
            "description",
            "cost",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, idea: Idea) -> str:
        path = reverse("budgets:idea", args=[idea.process.slug, idea.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ProjectFilters(serializers.Serializer):
    process = SlugFilter(help_text="Only this process's projects (its slug).")


# Viewsets ---------------------------------------------------------------------------------------


def _processes(request):
    return published_or_run_by(
        Process.objects.all(), request.user, published=Q(status=Process.Status.PUBLISHED)
    )


class ProcessViewSet(viewsets.ReadOnlyModelViewSet):
    """Budget processes, newest first, with their stage, dates, rules and budgets."""

    serializer_class = ProcessSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX

    def get_queryset(self):
        return (
            _processes(self.request)
            .select_related("department__organisation")
            .prefetch_related(
                Prefetch(
                    "budgets",
                    queryset=Budget.objects.select_related("area").order_by(
                        F("area__name").asc(nulls_first=True)
                    ),
                )
            )
            .order_by("-ideas_open_at", "-pk")
        )


class ProjectViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """The projects on the ballot of each process, with their budget, category and cost."""

    serializer_class = ProjectSerializer
    lookup_value_regex = ID_REGEX
    filters_class = ProjectFilters

    def get_queryset(self):
        projects = (
            Idea.objects.filter(status=Idea.Status.ON_BALLOT, process__in=_processes(self.request))
            .select_related("process", "budget__area", "category")
            .order_by("process_id", "budget_id", "title", "pk")
        )
        if self.action == "list" and self.filters().get("process"):
            projects = projects.filter(process__slug=self.filters()["process"])
        return projects


# Results: /api/v1/budget-results/ (the processes whose results are worked out) and
# /api/v1/budget-results/<process>/ (every budget's figures), also served as
# /budgets/<process>/results.json. Counts only: never a voter, never a ballot. -----------------


def register_results(router) -> None:
    router.register("budget-results", ResultsViewSet, basename="budget-results")


class ChannelCountsSerializer(serializers.Serializer):
    online = serializers.IntegerField()
    code = serializers.IntegerField(help_text="By single-use voting code.")
    paper = serializers.IntegerField(help_text="On paper, keyed in by the council.")


class OutcomeSerializer(serializers.Serializer):
    funded = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=[str(reason) for reason in Reason],
        help_text=(
            "fitted: funded, its cost fitted in what was left; shared: funded by its voters' equal "
            "shares; completed: funded from the money equal shares left; too_expensive: not "
            "funded, it cost more than was left; shares_short: not funded, its voters had too "
            "little left of their shares; no_votes: nobody voted for it."
        ),
    )
    position = serializers.IntegerField(
        allow_null=True, help_text="1 for the first project funded, 2 for the next; null if not."
    )
    payers = serializers.IntegerField(
        allow_null=True,
        help_text="Equal shares: how many voters' shares paid for it; null otherwise.",
    )


class ResultProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="idea.pk")
    title = serializers.CharField(source="idea.title")
    category = serializers.CharField(source="idea.category.name", allow_null=True, default=None)
    cost = serializers.IntegerField(help_text="In pounds.")
    votes = serializers.IntegerField()
    votes_by_channel = ChannelCountsSerializer()
    greedy = OutcomeSerializer()
    equal_shares = OutcomeSerializer()


class MethodResultSerializer(serializers.Serializer):
    funded = serializers.ListField(
        child=serializers.IntegerField(), help_text="The projects funded, in the order funded."
    )
    spent = serializers.IntegerField(help_text="In pounds.")
    left = serializers.IntegerField(help_text="In pounds.")
    voter_share = serializers.CharField(
        allow_null=True, help_text="Equal shares: each voter's share in pounds; null for greedy."
    )

    def to_representation(self, result):
        return {
            "funded": [int(project_id) for project_id in result.funded],
            "spent": int(result.spent),
            "left": int(result.left),
            "voter_share": None if result.voter_share is None else str(result.voter_share),
        }


class BudgetResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="budget.pk")
    name = serializers.CharField(source="budget.name")
    area_code = serializers.CharField(source="budget.area.code", allow_null=True, default=None)
    amount = serializers.IntegerField(source="budget.amount", help_text="In pounds.")
    voters = serializers.IntegerField()
    voters_by_channel = ChannelCountsSerializer()
    population = serializers.IntegerField(
        source="budget.area.population", allow_null=True, default=None
    )
    turnout_per_thousand = serializers.SerializerMethodField()
    winners = MethodResultSerializer(
        source="chosen", help_text="Under the method the process chose."
    )
    greedy = MethodResultSerializer()
    equal_shares = MethodResultSerializer(help_text="Completed as the process chose.")
    projects = ResultProjectSerializer(many=True)
    computed_at = serializers.DateTimeField(source="stored.computed_at")

    @extend_schema_field({"type": "number", "nullable": True})
    def get_turnout_per_thousand(self, lines) -> float | None:
        """Voters per 1,000 residents of the ward; null for the citywide budget, or when the
        ward's population is not known."""
        area = lines.budget.area
        if area is None or not area.population:
            return None
        return round(lines.voters * 1000 / area.population, 1)


class ProcessResultsSerializer(serializers.ModelSerializer):
    budgets = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Process
        fields = ["slug", "title", "method", "completion", "budgets", "url"]

    @extend_schema_field(BudgetResultSerializer(many=True))
    def get_budgets(self, process: Process) -> list:
        return BudgetResultSerializer(process_results(process, words=False), many=True).data

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, process: Process) -> str:
        path = reverse("budgets:results", args=[process.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ProcessResultsSummarySerializer(ProcessResultsSerializer):
    class Meta:
        model = Process
        fields = ["slug", "title", "method", "completion", "url"]


class ResultsViewSet(viewsets.ReadOnlyModelViewSet):
    """The results of published processes once a worker has worked them out: per budget, the
    votes of every project (and by channel), the winners under each method with each project's
    reason, and turnout. Counts only: never a voter, never a ballot."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX

    def get_serializer_class(self):
        if self.action == "list":
            return ProcessResultsSummarySerializer
        return ProcessResultsSerializer

    def get_queryset(self):
        return (
            Process.objects.published()
            .filter(
                voting_closes_at__lte=timezone.now(),
                pk__in=BudgetResult.objects.values("budget__process"),
            )
            .select_related("department__organisation")
            .order_by("-voting_closes_at", "-pk")
        )
