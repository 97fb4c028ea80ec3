"""Building the winning projects, in the admin, for the officers of the department that runs the
process and their organisation's admins (budgets.delivery does every write).

    ProjectAdmin    the winning projects, by process and status, each with its latest percentage;
                    a project's page shows its status read only, with a button for each move
                    open to it (start, mark done, cancel with a public reason), each on a page of
                    its own; its milestones are an inline (date, title, description, percentage,
                    a photo with its description), saved through the services, which audit them
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from budgets import delivery
from budgets.models import Milestone, Process, Project
from civic.admin_base import AdminPagesMixin, ScopedModelAdmin
from civic.forms import service_errors_onto
from civic.selectors import scope_to_department

Status = Project.Status


# A project's moves ------------------------------------------------------------------------------


class MoveForm(forms.Form):
    """A move with nothing to fill in: its page says what it does, and a button does it."""


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy(
            "Shown on the project's page and sent to everyone who asked to hear about it."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        error_messages={
            "required": gettext_lazy(
                "Enter why the project is cancelled, which is shown on its page"
            )
        },
    )
    checked = forms.BooleanField(
        label=gettext_lazy("I understand a cancelled project cannot be started again"),
        error_messages={
            "required": gettext_lazy(
                "Confirm that you understand the project cannot be started again"
            )
        },
    )


@dataclass(frozen=True)
class Move:
    name: str
    status: str
    form: type[forms.Form]
    heading: str
    button: str
    done: str
    intro: str = ""


MOVES = [
    Move(
        name="start",
        status=Status.IN_PROGRESS,
        form=MoveForm,
        heading=gettext_lazy("Start building"),
        button=gettext_lazy("Mark it in progress"),
        done=gettext_lazy("The project is in progress. Everyone who asked to hear is told."),
        intro=gettext_lazy("Work on the project has begun."),
    ),
    Move(
        name="done",
        status=Status.DONE,
        form=MoveForm,
        heading=gettext_lazy("Mark done"),
        button=gettext_lazy("Mark it done"),
        done=gettext_lazy("The project is done. Everyone who asked to hear is told."),
        intro=gettext_lazy("The project is finished. This cannot be undone."),
    ),
    Move(
        name="cancel",
        status=Status.CANCELLED,
        form=CancelForm,
        heading=gettext_lazy("Cancel"),
        button=gettext_lazy("Cancel the project"),
        done=gettext_lazy("The project is cancelled. Everyone who asked to hear is told why."),
        intro=gettext_lazy("The council will not build it. Say why: the reason is public."),
    ),
]
MOVES_BY_NAME = {move.name: move for move in MOVES}


# Milestones -------------------------------------------------------------------------------------


class MilestoneForm(forms.ModelForm):
    """A milestone's fields, checked by the rules the service applies (milestone_clean)."""

    class Meta:
        model = Milestone
        fields = ["date", "title", "description", "percent_complete", "photo", "photo_alt"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            # Django's own, labelled by the field's label: the admin's file widget draws a
            # legend instead, which leaves the file box without a name of its own.
            "photo": forms.ClearableFileInput,
        }
        error_messages = {
            "date": {
                "required": gettext_lazy("Enter the date of the milestone"),
                "invalid": gettext_lazy("Enter the date as a real date, like 1 May 2027"),
            },
            "title": {"required": gettext_lazy("Enter a title for the milestone")},
            "percent_complete": {
                "required": gettext_lazy(
                    "Enter how complete the project is, from 0 to 100 per cent"
                ),
                "invalid": gettext_lazy("Enter a whole number from 0 to 100"),
                "min_value": gettext_lazy("Enter a whole number from 0 to 100"),
            },
        }
        help_texts = {
            "percent_complete": gettext_lazy("How complete the project is by then, from 0 to 100."),
            "photo": gettext_lazy("Optional. A PNG or JPEG the council took."),
            "photo_alt": gettext_lazy(
                "Needed with a photo: what it shows, for people who cannot see it."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("DELETE"):
            return cleaned
        photo = cleaned.get("photo")
        new_photo = photo if photo and photo != self.instance.photo else None
        keeps = bool(self.instance.photo) and photo is not False and new_photo is None
        try:
            delivery.milestone_clean(
                date=cleaned.get("date"),
                title=cleaned.get("title"),
                description=cleaned.get("description"),
                percent_complete=cleaned.get("percent_complete"),
                photo=new_photo,
                photo_alt=cleaned.get("photo_alt"),
                has_photo=keeps,
            )
        except ValidationError as error:
            service_errors_onto(self, error)
        self.new_photo, self.photo_removed = new_photo, photo is False
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "title": data["title"],
            "description": data.get("description", ""),
            "percent_complete": data["percent_complete"],
            "photo": self.new_photo,
            "photo_alt": data.get("photo_alt", ""),
        }


class MilestoneInline(admin.StackedInline):
    model = Milestone
    form = MilestoneForm
    extra = 1  # a blank milestone to fill in, without JavaScript

    # Asked without a project, these are the general question (may this person ever add,
    # change or delete milestones?), so the inline is not taken for a read-only one; on a
    # project's page, a cancelled project's milestones are kept as they are.
    def has_add_permission(self, request, obj=None):
        return _open(obj) and request.user.has_perm(delivery.DELIVER, obj)

    def has_change_permission(self, request, obj=None):
        return _open(obj) and request.user.has_perm(delivery.DELIVER, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(delivery.DELIVER, obj)

    def has_view_permission(self, request, obj=None):
        # Without a project: the inline's queryset, which Django filters to the project whose
        # page it is, and which the project's admin has already scoped to the officer.
        return obj is None or request.user.has_perm("budgets.view_project", obj)


def _open(project) -> bool:
    return project is None or (isinstance(project, Project) and project.status != Status.CANCELLED)


# The admin --------------------------------------------------------------------------------------


class ProjectProcessFilter(admin.SimpleListFilter):
    """The processes the officer runs."""

    title = gettext_lazy("process")
    parameter_name = "process"

    def lookups(self, request, model_admin):
        processes = scope_to_department(
            Process.objects.select_related("department__organisation"),
            request.user,
            department_path="department",
            organisation_path="department__organisation",
        ).order_by("title")
        return [(process.pk, process.title) for process in processes]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(idea__process_id=int(self.value()))
        return queryset


@admin.register(Project)
class ProjectAdmin(AdminPagesMixin, ScopedModelAdmin):
    department_path = "idea__process__department"
    organisation_path = None
    list_display = ["title", "process", "budget_name", "status", "percent"]
    list_filter = ["status", ProjectProcessFilter]
    list_select_related = ["idea__process", "idea__budget__area"]
    search_fields = ["idea__title"]
    inlines = [MilestoneInline]
    change_form_template = "admin/budgets/project/change_form.html"
    fields = ["idea", "process", "status", "reason", "planned_at", "status_changed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        latest = Milestone.objects.filter(project=OuterRef("pk")).order_by("-date", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(latest_percent=Subquery(latest.values("percent_complete")[:1]))
        )

    @admin.display(description=gettext_lazy("idea"), ordering="idea__title")
    def title(self, project: Project) -> str:
        return project.idea.title

    @admin.display(description=gettext_lazy("process"))
    def process(self, project: Project) -> str:
        return project.idea.process.title

    @admin.display(description=gettext_lazy("budget"))
    def budget_name(self, project: Project) -> str:
        return project.idea.budget.name

    @admin.display(description=gettext_lazy("complete"))
    def percent(self, project: Project) -> str:
        percent = getattr(project, "latest_percent", None)
        return "" if percent is None else f"{percent}%"

    def has_add_permission(self, request, obj=None):
        return False  # the results make projects (budgets.delivery.delivery_start)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """The project's own fields are read only: its status moves on its own pages."""

    def save_formset(self, request, form, formset, change):
        """Each milestone through the services, which check, save and audit it."""
        project = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed() and row.instance.pk is None:
                continue
            if formset.can_delete and formset._should_delete_form(row):
                if row.instance.pk is not None:
                    delivery.milestone_remove(actor=request.user, milestone=row.instance)
                    formset.deleted_objects.append(row.instance)
            elif row.instance.pk is None:
                made = delivery.milestone_add(
                    actor=request.user, idea=project.idea, **row.service_arguments()
                )
                formset.new_objects.append(made)
            elif row.has_changed():
                changed = delivery.milestone_change(
                    actor=request.user,
                    milestone=row.instance,
                    photo_remove=row.photo_removed,
                    **row.service_arguments(),
                )
                formset.changed_objects.append((changed, row.changed_data))

    # The moves' pages ---------------------------------------------------------------------------

    def admin_pages(self):
        return [
            self.page_path(
                f"<int:object_id>/{move.name}/", self.move_view, move.name, {"name": move.name}
            )
            for move in MOVES
        ]

    def _url(self, name: str, project: Project) -> str:
        return reverse(f"{self.admin_site.name}:budgets_project_{name}", args=[project.pk])

    def offered(self, request, project: Project) -> list[dict]:
        if not request.user.has_perm(delivery.DELIVER, project):
            return []
        return [
            {"move": move, "url": self._url(move.name, project)}
            for move in MOVES
            if Project.lifecycle.allows(project, move.status)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        project = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if project is not None:
            extra["moves"] = self.offered(request, project)
            extra["public_url"] = reverse(
                "budgets:idea", args=[project.idea.process.slug, project.idea_id]
            )
        return super().change_view(request, object_id, form_url, extra)

    def move_view(self, request, object_id, name: str):
        move = MOVES_BY_NAME[name]
        project = self.page_object(request, object_id, permission=delivery.DELIVER)
        auto_id = f"{move.name}-%s"
        form = move.form(auto_id=auto_id)
        if request.method == "POST":
            form = move.form(request.POST, auto_id=auto_id)
            if form.is_valid():
                try:
                    delivery.delivery_status_set(
                        actor=request.user,
                        idea=project.idea,
                        status=move.status,
                        reason=form.cleaned_data.get("reason", ""),
                    )
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    messages.success(request, str(move.done))
                    return redirect(self._url("change", project))
        return self.page_response(
            request,
            "admin/budgets/project/move.html",
            {
                "title": f"{move.heading}: {project.idea.title}",
                "project": project,
                "original": project,
                "change_url": self._url("change", project),
                "move": move,
                "applies": Project.lifecycle.allows(project, move.status),
                "form": form,
            },
        )
