"""Participatory budgets in the admin, for the officers of the department that runs each process
and their organisation's admins.

    ProcessAdmin  a process with its budgets and categories (inlines), its dates and rules; the
                  result method and who votes where are read only once voting opens; a Publish
                  page with its check (budgets.admin_actions); its voting codes and paper
                  ballots (budgets.admin_voting)
    IdeaAdmin     the ideas to review, by process, budget, category and status; an idea's page
                  is read only, with a button for each review decision open to it
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsTabularInline

from budgets import services
from budgets.admin_actions import PUBLISH, IdeaActionsMixin, ProcessActionsMixin
from budgets.admin_pabulib import PabulibImportMixin
from budgets.admin_results import ProcessResultsMixin
from budgets.admin_voting import VotingPagesMixin
from budgets.models import Budget, Category, Idea, Process
from civic.admin_base import InlineAuditMixin, ReadOnlyAdminMixin, ScopedModelAdmin
from civic.models import Area
from civic.selectors import scope_to_department, scope_to_organisation

# Fixed once voting opens: how the result is worked out, who votes where, and the dates up to
# the vote (moving voting's opening into the future would unfix the rest).
FIXED_AT_VOTING = [
    "method",
    "completion",
    "voters",
    "min_age",
    "ideas_open_at",
    "review_starts_at",
    "voting_opens_at",
]


class BudgetInline(ObjectPermissionsTabularInline):
    model = Budget
    fields = ["area", "amount", "style", "min_spend_percent", "min_projects", "max_projects"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Area:
            kwargs["queryset"] = scope_to_organisation(
                Area.objects.select_related("organisation"), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The budgets are what people vote on: once voting opens they are shown, never changed.
    def has_add_permission(self, request, obj=None):
        return not _voting_begun(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _voting_begun(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _voting_begun(obj) and super().has_delete_permission(request, obj)


def _voting_begun(process) -> bool:
    return isinstance(process, Process) and services.settings_fixed(process)


class CategoryInline(ObjectPermissionsTabularInline):
    model = Category
    fields = ["name"]
    extra = 0


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = [
            "department",
            "title",
            "slug",
            "summary",
            "description",
            *Process.SCHEDULE.fields(),
            "voters",
            "min_age",
            "method",
            "completion",
        ]

    def clean(self):
        cleaned = super().clean()
        for field, message in Process.SCHEDULE.problems(self.instance_with(cleaned)).items():
            if field in self.fields:
                self.add_error(field, message)
        return cleaned

    def instance_with(self, cleaned: dict) -> Process:
        """The process with the dates as typed, to check their order before saving."""
        process = Process()
        for name in Process.SCHEDULE.fields():
            setattr(process, name, cleaned.get(name, getattr(self.instance, name)))
        return process


@admin.register(Process)
class ProcessAdmin(
    PabulibImportMixin,
    VotingPagesMixin,
    ProcessResultsMixin,
    ProcessActionsMixin,
    InlineAuditMixin,
    ScopedModelAdmin,
):
    form = ProcessForm
    department_path = "department"
    organisation_path = None
    list_display = ["title", "department", "status", "stage_display", "ideas_open_at"]
    list_filter = ["status"]
    list_select_related = ["department__organisation"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [BudgetInline, CategoryInline]
    change_form_template = "admin/budgets/process/change_form.html"
    fieldsets = [
        (None, {"fields": ["department", "title", "slug", "summary", "description"]}),
        (
            gettext_lazy("Dates"),
            {
                "fields": [
                    "ideas_open_at",
                    "review_starts_at",
                    "voting_opens_at",
                    "voting_closes_at",
                    "implementation_starts_at",
                ]
            },
        ),
        (
            gettext_lazy("Voting and results"),
            {"fields": ["voters", "min_age", "method", "completion"]},
        ),
    ]

    @admin.display(description=gettext_lazy("stage"))
    def stage_display(self, process: Process) -> str:
        return str(Process.Stage(process.stage).label)

    def get_readonly_fields(self, request, obj=None):
        if obj is None or not services.settings_fixed(obj):
            return []
        # Once voting has closed, its close is fixed too: moving it later would reopen voting
        # after the results were worked out and the winners told.
        closed = obj.voting_closes_at is not None and obj.voting_closes_at <= timezone.now()
        return [*FIXED_AT_VOTING, "voting_closes_at"] if closed else FIXED_AT_VOTING

    def change_view(self, request, object_id, form_url="", extra_context=None):
        process = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        draft = process is not None and process.status == Process.Status.DRAFT
        if draft and request.user.has_perm(PUBLISH, process):
            extra["publish_url"] = reverse(
                f"{self.admin_site.name}:budgets_process_publish", args=[process.pk]
            )
        if process is not None:
            extra["ideas_url"] = (
                reverse(f"{self.admin_site.name}:budgets_idea_changelist")
                + f"?process__exact={process.pk}"
            )
            extra.update(self.voting_links(request, process))
        return super().change_view(request, object_id, form_url, extra)


class IdeaBudgetFilter(admin.SimpleListFilter):
    """Budgets of the processes the officer runs, named by process and area."""

    title = gettext_lazy("budget")
    parameter_name = "budget"

    def lookups(self, request, model_admin):
        budgets = scope_to_department(
            Budget.objects.select_related("process", "area"),
            request.user,
            department_path="process__department",
            organisation_path="process__department__organisation",
        ).order_by("process__title", "area__name")
        return [(budget.pk, f"{budget.process.title}: {budget.name}") for budget in budgets]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(budget_id=int(self.value()))
        return queryset


@admin.register(Idea)
class IdeaAdmin(ReadOnlyAdminMixin, IdeaActionsMixin, ScopedModelAdmin):
    """Read only for everyone, site admins included: the idea's words are the resident's, and
    every change is a review decision made on its own page."""

    department_path = "process__department"
    organisation_path = None
    list_display = ["title", "process", "budget_name", "status", "estimated_cost", "final_cost"]
    list_filter = ["status", IdeaBudgetFilter]
    list_select_related = ["process", "budget__area"]
    search_fields = ["title"]
    change_form_template = "admin/budgets/idea/change_form.html"
    fields = [
        "process",
        "budget",
        "category",
        "title",
        "description",
        "estimated_cost",
        "final_cost",
        "status",
        "reason",
        "merged_into",
        "image",
        "image_alt",
        "created_at",
        "reviewed_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("budget"))
    def budget_name(self, idea: Idea) -> str:
        return idea.budget.name

    def change_view(self, request, object_id, form_url="", extra_context=None):
        idea = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if idea is not None:
            extra["decisions"] = self.offered(request, idea)
            extra["public_url"] = reverse("budgets:idea", args=[idea.process.slug, idea.pk])
            extra["review_closed"] = not idea.process.allows("review")
        return super().change_view(request, object_id, form_url, extra)


# Building the winning projects: ProjectAdmin and its milestones, registered there.
from budgets import admin_delivery  # noqa: E402, F401
