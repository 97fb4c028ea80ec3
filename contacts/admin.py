from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civic.admin_base import ScopedModelAdmin
from civic.models import AuditEntry, Role
from civic.selectors import scope_to_organisation
from civic.services import audit_record
from contacts.models import Activity, ConsentEvent, ConsentPurpose, Contact, Segment, Tag
from contacts.selectors import contacts_visible_to


class KeepersOnlyAdmin(ScopedModelAdmin):
    """Rows of the organisations where the user is a facilitator or organisation admin."""

    def get_queryset(self, request):
        queryset = super(ScopedModelAdmin, self).get_queryset(request)
        return scope_to_organisation(
            queryset,
            request.user,
            kinds=(Role.Kind.FACILITATOR, Role.Kind.ORGANISATION_ADMIN),
        )


class ConsentEventInline(admin.TabularInline):
    """The consent history: append-only, so shown and never edited here."""

    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "purpose", "action", "method", "wording"]
    readonly_fields = fields
    verbose_name_plural = _("Consent history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ActivityInline(admin.TabularInline):
    """The contact's timeline of participation, newest first."""

    model = Activity
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "item_title", "department"]
    readonly_fields = fields
    verbose_name_plural = _("Timeline")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(ScopedModelAdmin):
    list_display = ["__str__", "email", "area", "source", "organisation", "created_at"]
    list_filter = ["source", "kind", "organisation"]
    list_select_related = ["area", "organisation"]
    search_fields = ["email", "name", "postcode", "represents"]
    filter_horizontal = ["tags"]
    readonly_fields = ["area", "user", "created_at", "anonymised_at"]
    fields = [
        "organisation",
        "kind",
        "name",
        "email",
        "phone",
        "postcode",
        "area",
        "represents",
        "source",
        "tags",
        "notes",
        "user",
        "created_at",
        "anonymised_at",
    ]
    inlines = [ActivityInline, ConsentEventInline]
    list_per_page = 50

    def get_queryset(self, request):
        queryset = super(ScopedModelAdmin, self).get_queryset(request)
        return contacts_visible_to(queryset, request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            kwargs["queryset"] = scope_to_organisation(Tag.objects.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # Looking at a person's record is an act on their personal data: audit it too.
            contact = response.context_data["original"]
            with transaction.atomic():
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.VIEW,
                    obj=contact,
                    summary="Viewed the contact's record",
                )
        return response


@admin.register(Tag)
class TagAdmin(KeepersOnlyAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name"]


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(KeepersOnlyAdmin):
    list_display = ["name", "slug", "organisation"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["organisation", "name", "slug", "description"]


@admin.register(Segment)
class SegmentAdmin(KeepersOnlyAdmin):
    list_display = ["name", "organisation", "updated_at"]
    fields = ["organisation", "name", "definition"]


# Admin pages of the other concerns of this app, each in its own module.
