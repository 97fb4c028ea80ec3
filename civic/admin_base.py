"""What every admin page of civic shares: rules-based permissions, scoped lists and the audit log.

Feature apps subclass `ScopedModelAdmin`, say how their rows reach a department or organisation,
and get lists filtered in the database, choices limited to what the officer runs, and an audit entry
for every create, edit and delete. Also here, for any app's admin:

    InlineAuditMixin     an audit entry for the rows added, changed or removed through inlines
    ReadOnlyAdminMixin   a record that is shown and never added, changed or deleted in the admin
    AdminPagesMixin      pages of the admin's own (an upload, a report, an action), declared in
                         `admin_pages()` with `page_path`, found with `page_object` and drawn
                         with `page_response` on a template that extends admin/civic/page.html
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
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


class InlineAuditMixin:
    """An audit entry for the rows added, changed or removed through an inline."""

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        added = len(getattr(formset, "new_objects", []))
        changed = len(getattr(formset, "changed_objects", []))
        removed = len(getattr(formset, "deleted_objects", []))
        if added or changed or removed:
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.EDIT,
                obj=form.instance,
                summary=(
                    f"Changed {formset.model._meta.verbose_name_plural}: {added} added, "
                    f"{changed} changed, {removed} removed"
                ),
            )


class ReadOnlyAdminMixin:
    """Shown and never added, changed or deleted in the admin, by anyone, site admins included:
    a record of what happened (the audit log, the outbox, a contact's history). Goes before the
    admin class (`class AuditEntryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin)`); an inline also
    sets `can_delete = False`. Whether it is seen at all is still the rules' view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_page_path(
    model_admin, route: str, view, name: str, kwargs: dict | None = None
) -> URLPattern:
    """The URL of a page of `model_admin`'s own: staff only (`admin_site.admin_view`), named
    "<app>_<model>_<name>" in the admin's namespace; `kwargs` go to the view."""
    opts = model_admin.opts
    return path(
        route,
        model_admin.admin_site.admin_view(view),
        kwargs or {},
        name=f"{opts.app_label}_{opts.model_name}_{name}",
    )


def admin_page_response(model_admin, request, template: str, context: dict) -> TemplateResponse:
    """A page of the admin's own, with what admin/civic/page.html needs for its title, navigation
    and breadcrumbs (the site's context and `opts`); `context` holds the page's `title`."""
    return TemplateResponse(
        request,
        template,
        {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **context},
    )


class AdminPagesMixin:
    """Pages of a model admin's own, beside its list and change pages.

    Declare them in `admin_pages()` with `self.page_path(route, view, name)`; a view finds its
    object with `self.page_object(...)` and answers with `self.page_response(...)`.
    """

    def admin_pages(self) -> list[URLPattern]:
        return []

    def get_urls(self):
        return [*self.admin_pages(), *super().get_urls()]

    def page_path(self, route: str, view, name: str, kwargs: dict | None = None) -> URLPattern:
        return admin_page_path(self, route, view, name, kwargs)

    def page_object(self, request, object_id, *, permission: str = ""):
        """The object if it is in the officer's scope and they may see it (404 otherwise, as for
        one that is gone), and if they hold `permission` on it where one is named (403)."""
        obj = self.get_object(request, str(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(_("No such %(object)s.") % {"object": self.opts.verbose_name})
        if permission and not request.user.has_perm(permission, obj):
            raise PermissionDenied
        return obj

    def page_response(self, request, template: str, context: dict) -> TemplateResponse:
        return admin_page_response(self, request, template, context)


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
