"""What every admin page of civic shares: rules-based permissions, scoped lists and the audit log.

Feature apps subclass `ScopedModelAdmin`, say how their rows reach a department or organisation,
and get lists filtered in the database, choices limited to what the officer runs, and an audit entry
for every create, edit and delete. Also here, for any app's admin:

    InlineAuditMixin     an audit entry for the rows added, changed or removed through inlines
    ReadOnlyAdminMixin   a record that is shown and never added, changed or deleted in the admin
    AdminPagesMixin      pages of the admin's own (an upload, a report, an action), declared in
                         `admin_pages()` with `page_path`, found with `page_object` and drawn
                         with `page_response` on a template that extends admin/civic/page.html;
                         `publish_page(request, item, Publishing(...))` is an item's Publish
                         page, the check before it goes public, in the feature's words
    UnseenIsNotFoundMixin  every URL of an item the user cannot see answers 404, the same as
                         for an item that never existed (ScopedModelAdmin has it; so does every
                         page made with `admin_page_path`)
    failure_message      what staff read when something broke: plain words and a reference
                         that is also in the log, never the exception's text
    refusal_text         the words of a service's refusal (ValidationError, PermissionDenied)
    problems_linked      a check's problems, each linked to its field on the item's page
    preselect_only_choice  a choice of organisation or department with one row is made for them
    rows_labelled        the fields of a table's rows (a tabular inline, an editable list) named
                         after their column and row on the server, so that the page passes axe
                         without JavaScript (ScopedModelAdmin does it for every such table)
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import secrets
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from rules.contrib.admin import ObjectPermissionsModelAdmin

from civic import selectors
from civic.models import Area, AuditEntry, Department, Organisation
from civic.services import audit_record

logger = logging.getLogger("civic.admin")


def failure_message(message: str, *, error: BaseException) -> str:
    """What staff read when something broke that they cannot fix: `message` in plain words and a
    short reference. The exception, with its text and traceback (which may name server paths),
    goes to the log under the same reference, for whoever is asked about it."""
    reference = secrets.token_hex(4)
    logger.error("Admin failure %s: %s", reference, message, exc_info=error)
    return _("%(message)s If this keeps happening, contact support and quote %(reference)s.") % {
        "message": message,
        "reference": reference,
    }


def refusal_text(error: ValidationError | PermissionDenied) -> str:
    """The words of a service's refusal, written for the officer: a ValidationError's messages,
    or the message a PermissionDenied was raised with by `civic.services.require`."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    written = error.args[0] if error.args and isinstance(error.args[0], str) else ""
    return str(written or _("You do not have permission to do that."))


def problems_linked(
    model,
    problems: dict[str, str],
    change_url: str,
    *,
    elsewhere: str = "content-main",
    form_fields: tuple[str, ...] = (),
) -> list[dict[str, str]]:
    """Each problem of a check before publishing (by field name, as the app's `..._problems`
    gives them) with a link to where it is put right on the item's page: its field (a model's,
    or one of `form_fields` the admin's form adds), the date's box of a date and time, or
    `elsewhere` (an inline's table) for a problem of no field."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    linked = []
    for key, message in problems.items():
        field = fields.get(key)
        if field is None:
            anchor = f"id_{key}" if key in form_fields else elsewhere
        elif isinstance(field, models.DateTimeField):
            anchor = f"id_{key}_0"
        else:
            anchor = f"id_{key}"
        linked.append({"message": message, "url": f"{change_url}#{anchor}"})
    return linked


def preselect_only_choice(field) -> None:
    """Choose for the user a choice that has only one row (the one organisation or department
    they work for), so that nobody has to pick the only option there is."""
    if not isinstance(field, forms.ModelChoiceField) or field.initial is not None:
        return
    if isinstance(field, forms.ModelMultipleChoiceField):
        return  # choosing all of several is a decision; leave it to them
    rows = list(field.queryset.values_list("pk", flat=True)[:2])
    if len(rows) == 1:
        field.initial = rows[0]


def rows_labelled(formset_class, noun):
    """The formset, with every visible field of each row named after its column and its row
    ("Label, option 2"; "Label, new option" in the empty row that "Add another" copies). A
    table heads each column once, and assistive technology does not tie a heading to the inputs
    below it: without this, axe finds fields with no name on every tabular inline and editable
    list, and a script that named them would leave the page wrong without JavaScript."""

    class RowLabelledFormSet(formset_class):
        def add_fields(self, form, index):
            super().add_fields(form, index)
            for name, field in form.fields.items():
                if field.widget.is_hidden:
                    continue
                column = field.label or name
                if index is None:
                    label = _("%(column)s, new %(object)s") % {"column": column, "object": noun}
                else:
                    label = _("%(column)s, %(object)s %(number)d") % {
                        "column": column,
                        "object": noun,
                        "number": index + 1,
                    }
                # A foreign key's select is wrapped (RelatedFieldWidgetWrapper), and the copy a
                # form gets keeps the original's attrs: the label goes on the select itself.
                getattr(field.widget, "widget", field.widget).attrs["aria-label"] = label

    RowLabelledFormSet.__name__ = formset_class.__name__
    RowLabelledFormSet.__qualname__ = formset_class.__qualname__
    return RowLabelledFormSet


class RowLabelsMixin:
    """Every tabular inline's rows, and an editable list's, named on the server (rows_labelled)."""

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if isinstance(inline, admin.TabularInline):
                formset = rows_labelled(formset, inline.model._meta.verbose_name)
            yield formset, inline

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        return rows_labelled(formset, self.opts.verbose_name)


def _seen_object(model_admin, request, object_id: str):
    """The item from the admin's own (scoped) queryset, without what it prefetches for lists,
    with the department or organisation its permissions are decided on."""
    queryset = model_admin.get_queryset(request).prefetch_related(None)
    department_path = getattr(model_admin, "department_path", None)
    organisation_path = getattr(model_admin, "organisation_path", None)
    if department_path:
        queryset = queryset.select_related(f"{department_path}__organisation")
    elif organisation_path and organisation_path != "pk" and "__" not in organisation_path:
        queryset = queryset.select_related(organisation_path)
    try:
        return queryset.get(pk=model_admin.opts.pk.to_python(object_id))
    except (model_admin.model.DoesNotExist, ValidationError, ValueError, TypeError):
        return None


def not_found_unless_seen(model_admin, view):
    """`view` of one item (a URL with `object_id`), answering 404 to staff who cannot see the
    item, exactly as for an id that does not exist: another council's officer learns nothing
    from a change, delete or history page, nor from any page of the admin's own. Anyone not
    signed in as staff goes on to the admin's own sign-in redirect."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        object_id = kwargs.get("object_id")
        if object_id is not None and model_admin.admin_site.has_permission(request):
            obj = _seen_object(model_admin, request, unquote(str(object_id)))
            if obj is None or not model_admin.has_view_or_change_permission(request, obj):
                raise Http404(_("No such %(object)s.") % {"object": model_admin.opts.verbose_name})
            # The view's own first look-up of the item is this one, not a second query.
            request._found_for_view = (model_admin.opts.label, unquote(str(object_id)), obj)
        return view(request, *args, **kwargs)

    return guarded


class UnseenIsNotFoundMixin:
    """The change, delete and history pages (and the redirect to the change page) of an item
    the user cannot see answer 404, whatever their roles. Pages of the admin's own get the
    same from `admin_page_path`."""

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:
            if "object_id" in str(pattern.pattern):
                pattern.callback = not_found_unless_seen(self, pattern.callback)
        return urls


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
        not_found_unless_seen(model_admin, model_admin.admin_site.admin_view(view)),
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

    def publish_page(self, request, item, publishing: Publishing):
        """An item's Publish page (admin/civic/publish_check.html): while it is a draft, every
        problem that stops it going public, each linked to where it is put right, or with none,
        what residents will see and the button; a POST publishes it and goes back to its page.
        Once published, the page says so and changes nothing."""
        draft = item.status == type(item).Status.DRAFT

        def linked(problems: dict[str, str]) -> list[dict[str, str]]:
            return problems_linked(type(item), problems, publishing.change_url,
                                   **publishing.links)  # fmt: skip

        problems = linked(publishing.problems()) if draft else []
        if request.method == "POST" and draft:
            try:
                publishing.publish()
            except ValidationError as error:
                problems = linked({key: found[0] for key, found in error.message_dict.items()})
            else:
                messages.success(request, publishing.published)
                return redirect(publishing.change_url)
        return self.page_response(
            request,
            "admin/civic/publish_check.html",
            {
                "title": _("Publish: %(title)s") % {"title": publishing.heading},
                "trail_label": publishing.heading,
                "original": item,
                "status_words": item.get_status_display(),
                "problems": problems,
                "refused": [] if draft else [publishing.already],
                "ready": draft and not problems,
                "back_url": publishing.change_url,
                "back_label": publishing.back_label,
                "problems_title": publishing.problems_title,
                "summary_heading": _("What residents will see"),
                "residents_see": publishing.residents_see,
                "confirm_question": publishing.confirm_question,
                "confirm_label": publishing.confirm_label,
            },
        )


@dataclasses.dataclass(frozen=True)
class Publishing:
    """What an item's Publish page (AdminPagesMixin.publish_page) checks, does and says, in the
    feature's own words. `problems()` gives what stops the item going public by field name;
    `publish()` publishes it, raising ValidationError by field for what stops it; `links` are
    problems_linked's keyword arguments (where a problem of no field is put right)."""

    heading: str
    change_url: str
    problems: Callable[[], dict[str, str]]
    publish: Callable[[], object]
    published: str
    already: str
    back_label: str
    problems_title: str
    residents_see: list[str]
    confirm_question: str
    confirm_label: str
    links: dict = dataclasses.field(default_factory=dict)


class ScopedModelAdmin(
    UnseenIsNotFoundMixin, RowLabelsMixin, AuditedAdminMixin, ObjectPermissionsModelAdmin
):
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

    def get_object(self, request, object_id, from_field=None):
        found = getattr(request, "_found_for_view", None)
        if from_field is None and found and found[:2] == (self.opts.label, str(object_id)):
            del request._found_for_view  # once: a later look-up reads the row again
            return found[2]
        return super().get_object(request, object_id, from_field)

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            for field in form.base_fields.values():
                if getattr(field, "queryset", None) is not None and field.queryset.model in (
                    Organisation,
                    Department,
                ):
                    preselect_only_choice(field)
        return form


admin.site.site_header = "civic"
admin.site.site_title = "civic admin"
admin.site.index_title = "Run consultations, contacts and mailing"
