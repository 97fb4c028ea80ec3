"""Admin pages for GDPR and duplicates: data requests (prepare a download, erase), the list of
possible duplicates, and merging contacts from the contact list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civic.admin_base import admin_page_path, admin_page_response
from civic.models import AuditEntry
from civic.selectors import scope_to_organisation
from civic.services import audit_record
from contacts.admin import ContactAdmin, KeepersOnlyAdmin
from contacts.models import Contact, DataRequest
from contacts.selectors import KEEPER_ROLES
from contacts.services import gdpr
from contacts.services.duplicates import contacts_merge, duplicate_groups


@admin.register(DataRequest)
class DataRequestAdmin(KeepersOnlyAdmin):
    """Requests come from residents' 'my data' page; facilitators act on them here."""

    list_display = [
        "__str__",
        "contact",
        "organisation",
        "requested_at",
        "handled_by",
        "expires_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["contact", "organisation", "handled_by"]
    fields = [
        "organisation",
        "contact",
        "kind",
        "status",
        "requested_at",
        "handled_by",
        "expires_at",
        "completed_at",
    ]
    readonly_fields = fields
    actions = ["prepare_download", "erase_now"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A request is the record that the council answered it; it is never deleted here.
        return False

    @admin.action(description=_("Prepare the download"), permissions=["change"])
    def prepare_download(self, request, queryset):
        prepared = 0
        for data_request in queryset.filter(kind=DataRequest.Kind.ACCESS):
            try:
                gdpr.data_request_prepare(actor=request.user, data_request=data_request)
            except PermissionDenied:
                messages.error(
                    request, _("You may not prepare %(request)s.") % {"request": data_request}
                )
                continue
            except ValueError:
                messages.error(
                    request,
                    _("%(request)s could not be prepared: the contact has been erased.")
                    % {"request": data_request},
                )
                continue
            prepared += 1
        skipped = queryset.exclude(kind=DataRequest.Kind.ACCESS).count()
        if prepared:
            messages.success(
                request,
                ngettext(
                    "%(count)d download is being prepared; the person gets an e-mail with the "
                    "link when it is ready.",
                    "%(count)d downloads are being prepared; each person gets an e-mail with the "
                    "link when it is ready.",
                    prepared,
                )
                % {"count": prepared},
            )
        if skipped:
            messages.warning(
                request,
                _("Requests to erase data have no download; use 'Erase now' for those."),
            )

    @admin.action(description=_("Erase now"), permissions=["change"])
    def erase_now(self, request, queryset):
        to_erase = list(
            queryset.filter(kind=DataRequest.Kind.ERASURE)
            .exclude(status=DataRequest.Status.DONE)
            .select_related("contact")
        )
        if not to_erase:
            messages.warning(
                request, _("Choose requests to erase data that have not been carried out yet.")
            )
            return None
        if request.POST.get("post") != "yes":
            return admin_page_response(
                self,
                request,
                "admin/contacts/datarequest/erase_confirmation.html",
                {
                    "title": _("Erase these people's data?"),
                    "data_requests": to_erase,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        erased = 0
        for data_request in to_erase:
            try:
                gdpr.data_request_erase(actor=request.user, data_request=data_request)
            except PermissionDenied:
                messages.error(
                    request, _("You may not erase %(request)s.") % {"request": data_request}
                )
                continue
            erased += 1
        if erased:
            messages.success(
                request,
                ngettext(
                    "%(count)d person's data was erased.",
                    "%(count)d people's data was erased.",
                    erased,
                )
                % {"count": erased},
            )
        return None


# Merging, on the contact list ------------------------------------------------------------------


@admin.action(description=_("Merge selected contacts"), permissions=["merge"])
def merge_contacts(modeladmin, request, queryset):
    contacts = list(queryset.select_related("organisation").order_by("created_at", "pk"))
    if len(contacts) < 2:
        messages.warning(request, _("Choose two or more contacts to merge."))
        return None
    if len({contact.organisation_id for contact in contacts}) > 1:
        messages.error(
            request, _("Choose contacts of one organisation: contacts of two cannot be merged.")
        )
        return None
    keep_id = request.POST.get("keep", "")
    keep = next((contact for contact in contacts if str(contact.pk) == keep_id), None)
    if request.POST.get("post") == "yes" and keep is not None:
        others = [contact for contact in contacts if contact.pk != keep.pk]
        try:
            contacts_merge(actor=request.user, keep=keep, others=others)
        except PermissionDenied:
            messages.error(request, _("You may not merge these contacts."))
            return None
        except ValueError:
            messages.error(
                request, _("These contacts cannot be merged: one of them has been erased.")
            )
            return None
        messages.success(
            request,
            ngettext(
                "%(count)d contact was merged into %(contact)s.",
                "%(count)d contacts were merged into %(contact)s.",
                len(others),
            )
            % {"count": len(others), "contact": keep},
        )
        return redirect(reverse("admin:contacts_contact_change", args=[keep.pk]))
    return admin_page_response(
        modeladmin,
        request,
        "admin/contacts/contact/merge_confirmation.html",
        {
            "title": _("Merge these contacts?"),
            "contacts": contacts,
            "keep_id": keep.pk if keep else contacts[0].pk,
            "no_choice": request.POST.get("post") == "yes" and keep is None,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def _has_merge_permission(self, request) -> bool:
    return request.user.has_perm("contacts.merge_contacts")


def duplicates_view(request):
    """Possible duplicates among the contacts of the organisations the user keeps."""
    if not request.user.has_perm("contacts.merge_contacts"):
        messages.error(request, _("You do not have permission to merge contacts."))
        return redirect(reverse("admin:index"))
    contacts = scope_to_organisation(Contact.objects.all(), request.user, kinds=KEEPER_ROLES)
    audit_record(
        actor=request.user,
        action=AuditEntry.Action.VIEW,
        summary="Viewed the list of possible duplicate contacts",
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Possible duplicates"),
        "opts": Contact._meta,
        "groups": duplicate_groups(contacts),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return render(request, "admin/contacts/contact/duplicates.html", context)


_contact_admin_urls = ContactAdmin.get_urls


def _contact_admin_get_urls(self):
    return [
        admin_page_path(self, "duplicates/", duplicates_view, "duplicates"),
        *_contact_admin_urls(self),
    ]


# contacts.admin stays as it is: the merge action, its permission and the duplicates page are
# added to ContactAdmin from here (this module is imported at the end of contacts.admin).
ContactAdmin.actions = [*(ContactAdmin.actions or []), merge_contacts]
ContactAdmin.has_merge_permission = _has_merge_permission
ContactAdmin.get_urls = _contact_admin_get_urls
if ContactAdmin.change_list_template is None:
    ContactAdmin.change_list_template = "admin/contacts/contact/change_list_with_duplicates.html"
