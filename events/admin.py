"""Events in the admin, for the officers of the department that runs each event and their
organisation's admins: an event with only the fields its type needs and its registration
questions, a series made at once with one event per area, a Publish page with its check, a
Cancel page, and the registrations to read (never edited here)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsTabularInline

from civic.admin_base import (
    AdminPagesMixin,
    InlineAuditMixin,
    Publishing,
    ReadOnlyAdminMixin,
    ScopedModelAdmin,
    refusal_text,
)
from civic.selectors import scope_to_department, scope_to_organisation
from events import services
from events.admin_day import EventDayMixin
from events.admin_forms import EventForm, SeriesForm, event_fieldsets
from events.models import Event, EventQuestion, EventSeries, Registration

PUBLISH = "events.publish_event"
CANCEL = "events.cancel_event"


class QuestionInline(ObjectPermissionsTabularInline):
    model = EventQuestion
    fields = ["kind", "text", "choices", "required", "position"]
    extra = 0


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the event cancelled?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("Residents read this on the event's page."),
    )


@admin.register(Event)
class EventAdmin(EventDayMixin, AdminPagesMixin, InlineAuditMixin, ScopedModelAdmin):
    form = EventForm
    department_path = "department"
    organisation_path = None
    list_display = ["title", "department", "kind", "starts_at", "status", "stage_display"]
    list_filter = ["status", "kind"]
    list_select_related = ["department__organisation"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    change_form_template = "admin/events/event/change_form.html"

    @admin.display(description=gettext_lazy("stage"))
    def stage_display(self, event: Event) -> str:
        return str(Event.Stage(event.stage_at()).label)

    def get_fieldsets(self, request, obj=None):
        return event_fieldsets(obj)

    def get_inlines(self, request, obj):
        # Questions are asked of a saved event, whose type is known.
        return [QuestionInline] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        choices = services.part_of_choices(request.user)

        class WithChoices(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, part_of_choices=choices, **kwargs)

        return WithChoices

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "series":
            kwargs["queryset"] = scope_to_department(
                EventSeries.objects.all(),
                request.user,
                department_path="department",
                organisation_path="department__organisation",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.event_place(obj)
        super().save_model(request, obj, form, change)
        if change and obj.status == Event.Status.PUBLISHED:
            # Places an officer added (a bigger room) go to the waiting list at once.
            services.places_offer(event=obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if event is not None:
            if event.status == Event.Status.DRAFT and request.user.has_perm(PUBLISH, event):
                extra["publish_url"] = self._url("publish", event)
            if event.status == Event.Status.PUBLISHED and request.user.has_perm(CANCEL, event):
                extra["cancel_url"] = self._url("cancel", event)
            if event.status != Event.Status.DRAFT:
                extra["public_url"] = reverse("events:event", args=[event.pk])
            extra.update(self.day_links(request, event))
        return super().change_view(request, object_id, form_url, extra)

    def _url(self, name: str, event: Event) -> str:
        return reverse(f"{self.admin_site.name}:events_event_{name}", args=[event.pk])

    # The Publish and Cancel pages ----------------------------------------------------------------

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/publish/", self.publish_view, "publish"),
            self.page_path("<int:object_id>/cancel/", self.cancel_view, "cancel"),
            *self.day_pages(),
        ]

    def publish_view(self, request, object_id):
        event = self.page_object(request, object_id, permission=PUBLISH)
        return self.publish_page(request, event, Publishing(
            heading=event.title,
            change_url=self._url("change", event),
            problems=lambda: services.event_problems(event),
            publish=lambda: services.event_publish(actor=request.user, event=event,
                                                   now=timezone.now()),
            published=_("The event is published: residents can see it now."),
            already=_("This event is already published."),
            back_label=_("Back to the event"),
            problems_title=_("The event cannot be published yet"),
            residents_see=[
                _(
                    "Residents can see the event, where and when it is and its access "
                    "information at once. From the day registration opens they can book "
                    "places; once it is full, they join the waiting list."
                )
            ],
            confirm_question=_(
                "Are you sure you want to publish it? You cannot unpublish an event, only "
                "cancel it."
            ),
            confirm_label=_("Publish the event"),
            links={"elsewhere": "questions-group", "form_fields": ("part_of",)},
        ))  # fmt: skip

    def cancel_view(self, request, object_id):
        event = self.page_object(request, object_id, permission=CANCEL)
        change_url = self._url("change", event)
        form = CancelForm(request.POST or None)
        refused = []
        if event.status != Event.Status.PUBLISHED:
            refused = [_("Only a published event can be cancelled.")]
        elif request.method == "POST" and form.is_valid():
            try:
                services.event_cancel(
                    actor=request.user,
                    event=event,
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                refused = [refusal_text(error)]
            else:
                messages.success(request, _("The event is cancelled. Its page says so."))
                return redirect(change_url)
        return self.page_response(
            request,
            "admin/events/event/cancel.html",
            {
                "title": _("Cancel: %(title)s") % {"title": event.title},
                "event": event,
                "original": event,
                "form": form,
                "refused": refused,
                "back_url": change_url,
            },
        )


@admin.register(EventSeries)
class EventSeriesAdmin(ScopedModelAdmin):
    """A series is made with its events (one per area chosen); afterwards only its title is
    edited here, and each event on its own page."""

    department_path = "department"
    organisation_path = None
    list_display = ["title", "department", "created_at"]
    list_select_related = ["department__organisation"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, obj, change=change, form=SeriesForm, **kwargs)
        areas = scope_to_organisation(
            form.base_fields["areas"].queryset.model.objects.select_related("organisation"),
            request.user,
        )

        class WithAreas(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, areas=areas, **kwargs)

        return WithAreas

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return [(None, {"fields": ["title"]})]
        return [
            (None, {"fields": ["department", "title", "areas"]}),
            (
                gettext_lazy("What every event of the series shares"),
                {"fields": ["summary", "kind", "starts_at", "ends_at"]},
            ),
        ]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        series = services.series_create(
            actor=request.user,
            department=form.cleaned_data["department"],
            title=form.cleaned_data["title"],
            areas=list(form.cleaned_data["areas"]),
            event_fields=form.event_fields(),
        )
        obj.pk, obj.created_at = series.pk, series.created_at
        obj._state.adding = False
        return None


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    department_path = "event__department"
    organisation_path = None
    list_display = ["audit_name", "event", "places", "attendance", "status", "arrival"]
    list_filter = ["status", "attendance"]
    list_select_related = ["event"]
    search_fields = ["name", "email", "check_in_code"]
    fields = [
        "event",
        "name",
        "email",
        "postcode",
        "places",
        "attendance",
        "status",
        "arrival",
        "check_in_code",
        "answers",
        "created_at",
        "cancelled_at",
    ]

    @admin.display(description=gettext_lazy("registration"))
    def audit_name(self, registration: Registration) -> str:
        return registration.name
