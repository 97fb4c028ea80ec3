"""What every admin page of civic shares: rules-based permissions, scoped lists and the audit log.

Feature apps subclass `ScopedModelAdmin`, say how their rows reach a department or organisation,
and get lists filtered in the database, choices limited to what the officer runs, and an audit entry
for every create, edit and delete.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from rules.contrib.admin import ObjectPermissionsModelAdmin

from civic import selectors
from civic.models import Area, AuditEntry, Department, Organisation
from civic.services import audit_record


class AuditedAdminMixin:
    """An audit entry for every create, edit and delete made through this admin page."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = ", ".join(form.changed_data) if change else ""
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.EDIT if change else AuditEntry.Action.CREATE,
                obj=obj,
                summary=f"Changed {changed}" if change else f"Created {obj._meta.verbose_name}",
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.DELETE,
                obj=obj,
                summary=f"Deleted {obj._meta.verbose_name}",
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.DELETE,
                    obj=obj,
                    summary=f"Deleted {obj._meta.verbose_name}",
                )
            super().delete_queryset(request, queryset)


class ScopedModelAdmin(AuditedAdminMixin, ObjectPermissionsModelAdmin):
    # How a row reaches its organisation or department; set one of them.
    organisation_path: str | None = "organisation"
    department_path: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.department_path:
            organisation_path = f"{self.department_path}__organisation"
            return selectors.scope_to_department(
                queryset,
                request.user,
                department_path=self.department_path,
                organisation_path=organisation_path,
            )
        return selectors.scope_to_organisation(
            queryset, request.user, path=self.organisation_path or "pk"
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Organisation:
            kwargs["queryset"] = selectors.scope_to_organisation_admin(
                Organisation.objects.all(), request.user, path="pk"
            )
        elif db_field.related_model is Area:
            kwargs["queryset"] = selectors.scope_to_organisation(
                Area.objects.select_related("organisation"), request.user
            )
        elif db_field.related_model is Department:
            kwargs["queryset"] = selectors.scope_to_department(
                Department.objects.select_related("organisation"),
                request.user,
                department_path="pk",
                organisation_path="organisation",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.site_header = "civic"
admin.site.site_title = "civic admin"
admin.site.index_title = "Run consultations, contacts and mailing"
