"""The petitions team's side of petitions, in the admin.

    PetitionPolicyAdmin  the council's scheme and its thresholds (the organisation's admins)
    PetitionAdmin        the moderation queue and a petition's page, with its moderation,
                         response and debate forms and bulk invalidation of its signatures
                         (petitions.admin_actions)
    SignatureAdmin       signatures, read only

The forms are in petitions.admin_forms; what an officer does from a petition's page, and the
moderation lock, in petitions.admin_actions.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsTabularInline

from civic.admin_base import InlineAuditMixin, ScopedModelAdmin
from civic.formatting import day
from civic.selectors import scope_to_department, scope_to_organisation_admin
from petitions.admin_actions import MODERATE, PetitionActionsMixin
from petitions.admin_forms import PetitionPolicyForm
from petitions.models import Petition, PetitionPolicy, Signature, Threshold

Status = Petition.Status
# What the lock holder may correct before a petition is published: what its creator wrote.
RESIDENT_FIELDS = ["title", "background", "details"]
EDITABLE_STATUSES = {Status.SPONSORING, Status.PENDING}


# The council's scheme ---------------------------------------------------------------------------


class ThresholdInline(ObjectPermissionsTabularInline):
    model = Threshold
    fields = ["kind", "signatures"]
    extra = 0
    max_num = len(Threshold.Kind.choices)


@admin.register(PetitionPolicy)
class PetitionPolicyAdmin(InlineAuditMixin, ScopedModelAdmin):
    """One per council, set by its organisation admins; officers see petitions, not the scheme."""

    form = PetitionPolicyForm
    list_display = [
        "organisation",
        "department",
        "supporters_required",
        "open_days",
        "overdue_days",
        "anonymise_days",
    ]
    list_select_related = ["organisation", "department"]
    inlines = [ThresholdInline]

    def get_queryset(self, request):
        return scope_to_organisation_admin(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj is not None else []


# Petitions --------------------------------------------------------------------------------------


def overdue_condition(now) -> Q:
    """Pending petitions in the queue longer than their council's overdue_days, in the query
    (one condition per council's scheme: there are few)."""
    condition = Q(pk__in=[])
    for organisation_id, days in PetitionPolicy.objects.values_list(
        "organisation_id", "overdue_days"
    ):
        condition |= Q(
            organisation_id=organisation_id, submitted_at__lte=now - timedelta(days=days)
        )
    return Q(status=Status.PENDING) & condition


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("moderation")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_condition(timezone.now()))
        return queryset


@admin.register(Petition)
class PetitionAdmin(PetitionActionsMixin, ScopedModelAdmin):
    """The moderation queue and each petition's page. The list is scoped in the query to the
    petitions of the officer's departments (their organisation's for its admins)."""

    department_path = "department"
    list_display = ["title", "stage_label", "signature_count", "submitted_at", "moderation_due"]
    list_filter = ["status", OverdueFilter]
    search_fields = ["title"]
    # The moderation queue first, oldest first; then everything else, newest first.
    ordering = [
        Case(When(status=Status.PENDING, then=Value(0)), default=Value(1)).asc(),
        Case(When(status=Status.PENDING, then=F("submitted_at"))).asc(nulls_last=True),
        "-created_at",
    ]
    change_form_template = "admin/petitions/petition/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": [*RESIDENT_FIELDS, "area", "creator_name", "creator_email"]},
        ),
        (
            gettext_lazy("Where it stands"),
            {
                "fields": [
                    "stage_label",
                    "created_at",
                    "submitted_at",
                    "moderation_due",
                    "moderated_at",
                    "moderated_by",
                    "opened_at",
                    "closes_at",
                ]
            },
        ),
        (
            gettext_lazy("Signatures"),
            {
                "fields": [
                    "signature_count",
                    "signatures_by_ward",
                    "counted_at",
                    "response_due_at",
                    "debate_due_at",
                ]
            },
        ),
        (
            gettext_lazy("Moderation"),
            {"fields": ["rejection_reason", "rejection_details", "removed_reason"]},
        ),
        (
            gettext_lazy("The council's answer"),
            {
                "fields": [
                    "response",
                    "responded_at",
                    "debate_date",
                    "debate_summary",
                    "debate_minutes_url",
                    "debate_video_url",
                    "debated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(queue_overdue_days=F("organisation__petition_policy__overdue_days"))
        )

    # Columns and read-only fields ---------------------------------------------------------------

    @admin.display(description=gettext_lazy("stage"))
    def stage_label(self, petition: Petition) -> str:
        return Petition.Stage(petition.stage).label

    @admin.display(description=gettext_lazy("moderation due"))
    def moderation_due(self, petition: Petition):
        days = getattr(petition, "queue_overdue_days", None)  # from get_queryset
        due = petition.overdue_at(days) if days is not None else None
        if due is None:
            return self.get_empty_value_display()
        if due <= timezone.now():
            # Marked in words and highlighted, not by colour alone.
            return format_html(
                '<mark class="petition-overdue"><strong>{}</strong> {}</mark>',
                _("Overdue"),
                _("since %(date)s") % {"date": day(due)},
            )
        return _("by %(date)s") % {"date": day(due)}

    @admin.display(description=gettext_lazy("creator's e-mail address"))
    def creator_email(self, petition: Petition) -> str:
        return petition.creator.email if petition.creator_id else ""

    @admin.display(description=gettext_lazy("by ward"))
    def signatures_by_ward(self, petition: Petition):
        if not petition.ward_counts:
            return self.get_empty_value_display()
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (name or _("Outside the council's wards"), f"{count:,}")
                    for _area, name, count in petition.ward_counts
                ),
            ),
        )

    def get_fieldsets(self, request, obj=None):
        """The decision's fields once there is one, the answer's once the petition is open."""
        status = obj.status if obj is not None else None
        decided = status not in (None, *EDITABLE_STATUSES, Status.OPEN)
        shown = {"rejection_reason": decided, "response": status == Status.OPEN}
        return [
            (name, options)
            for name, options in self.fieldsets
            if shown.get(options["fields"][0], True)
        ]

    def get_readonly_fields(self, request, obj=None):
        names = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [name for name in names if name not in RESIDENT_FIELDS]

    def view_on_site(self, petition: Petition):
        if petition.status not in (Status.OPEN, Status.REJECTED):
            return None
        return reverse("petitions:detail", args=[petition.pk])

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        # Only what a resident wrote is edited here, before publication, by the lock holder.
        return obj.status in EDITABLE_STATUSES and not self._held_by_another(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        petition = self._petition(request, object_id)
        lock = self._lock(request, petition)
        extra = {
            "lock_holder": lock.holder,
            "lock_holder_name": lock.holder and (lock.holder.get_full_name() or lock.holder.email),
            "lock_until": lock.until and timezone.localtime(lock.until).strftime("%H:%M"),
            "actions": [] if lock.holder else self._offered(request, petition),
            "signatures_url": reverse(f"{self.admin_site.name}:petitions_signature_changelist")
            + f"?petition={petition.pk}",
        }
        if lock.holder is None and request.user.has_perm(MODERATE, petition):
            extra["invalidate_url"] = self._url("invalidate", petition)
            if petition.status != Status.REMOVED:
                extra["release_url"] = self._url("release", petition)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


# Signatures -------------------------------------------------------------------------------------


class SignaturePetitionFilter(admin.SimpleListFilter):
    """Petitions in the officer's scope, newest first (not every petition any signature names:
    that would read the whole signatures table)."""

    title = gettext_lazy("petition")
    parameter_name = "petition"
    shown = 50

    def lookups(self, request, model_admin):
        petitions = scope_to_department(Petition.objects.all(), request.user).order_by(
            "-created_at", "-pk"
        )
        chosen = self.value()
        choices = [
            (str(pk), title) for pk, title in petitions.values_list("pk", "title")[: self.shown]
        ]
        if chosen and chosen.isdigit() and all(pk != chosen for pk, _title in choices):
            choices += [
                (str(pk), title)
                for pk, title in petitions.filter(pk=chosen).values_list("pk", "title")
            ]
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(petition_id=value)
        return queryset


@admin.register(Signature)
class SignatureAdmin(ScopedModelAdmin):
    """Read only (civic.rules refuse adding, changing and deleting): signatures change through
    signing, confirming and invalidation."""

    department_path = "petition__department"
    list_display = ["name", "email", "postcode", "area", "status", "created_at", "ip", "petition"]
    list_filter = [SignaturePetitionFilter, "status"]
    list_select_related = ["petition", "area"]
    search_fields = ["=email", "=postcode"]
    fields = [
        "petition",
        "name",
        "email",
        "postcode",
        "area",
        "household_place",
        "hears_progress",
        "is_supporter",
        "status",
        "ip",
        "created_at",
        "confirmed_at",
        "invalidated_at",
        "invalidation_reason",
        "anonymised_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("petition", "area")
