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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from budgets.models import Budget, Idea, Process
from civic.api_base import ID_REGEX, SLUG_REGEX, FilteredListMixin, SlugFilter
from civic.selectors import published_or_run_by


def register(router) -> None:
    router.register("budget-processes", ProcessViewSet, basename="budget-process")
    router.register("budget-projects", ProjectViewSet, basename="budget-project")


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
