"""Admin pages of contact imports: upload a file, map its columns, check it, import it.

The add page takes the file; the import's own page is the mapping form, the dry run's report
and, while a worker imports, a progress bar with a link that refreshes it (no timed reload).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civic.admin_base import admin_page_response, failure_message, preselect_only_choice
from civic.models import Organisation
from civic.selectors import scope_to_organisation
from civic.validators import validate_upload
from contacts.admin import KeepersOnlyAdmin
from contacts.models import ConsentPurpose, ContactImport
from contacts.selectors import KEEPER_ROLES
from contacts.services import import_files, imports


def validate_contact_file(uploaded) -> None:
    validate_upload(uploaded, allowed=import_files.ALLOWED_EXTENSIONS)


class ContactImportUploadForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    file = forms.FileField(
        label=_("File of contacts"),
        help_text=_(
            "A CSV file (saved as 'CSV UTF-8') or an Excel .xlsx workbook. The first row must "
            "name the columns; you choose what each column holds on the next page."
        ),
        validators=[validate_contact_file],
    )


class ContactImportMappingForm(forms.Form):
    existing = forms.ChoiceField(
        label=_("Contacts you already hold"),
        choices=ContactImport.Existing.choices,
        widget=forms.RadioSelect,
        help_text=_("Contacts are matched by e-mail address. A blank cell never erases a detail."),
    )
    consent_purpose = forms.ModelChoiceField(
        label=_("Consent to import"),
        queryset=ConsentPurpose.objects.none(),
        required=False,
        empty_label=_("Do not import consent"),
        help_text=_(
            "Consent is recorded only for rows with both a date and a source of consent; the "
            "report lists the rows without them."
        ),
    )

    def __init__(self, *args, contact_import: ContactImport, headings: list[str], **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "existing": contact_import.existing,
                "consent_purpose": contact_import.consent_purpose_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.headings = headings
        self.fields["consent_purpose"].queryset = ConsentPurpose.objects.filter(
            organisation_id=contact_import.organisation_id
        )
        self.column_names = []
        for index, heading in enumerate(headings):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=heading,
                choices=imports.FIELD_CHOICES,
                required=False,
                initial=contact_import.mapping.get(heading, ""),
            )
            self.column_names.append(name)

    def mapping(self) -> dict[str, str]:
        return {
            heading: self.cleaned_data.get(f"column_{index}", "")
            for index, heading in enumerate(self.headings)
        }

    def clean(self):
        cleaned = super().clean()
        problems = imports.mapping_problems(
            mapping=self.mapping(), consent_purpose=cleaned.get("consent_purpose")
        )
        for key, message in problems:
            if key is None or key == "consent_purpose":
                self.add_error(key, message)
            else:
                self.add_error(f"column_{self.headings.index(key)}", message)
        return cleaned


@admin.register(ContactImport)
class ContactImportAdmin(KeepersOnlyAdmin):
    list_display = ["__str__", "organisation", "status", "progress", "created_at"]
    list_filter = ["status"]
    list_select_related = ["organisation"]

    @admin.display(description=_("progress"))
    def progress(self, contact_import: ContactImport) -> str:
        return _("%(processed)s of %(total)s rows") % {
            "processed": contact_import.processed_rows,
            "total": contact_import.total_rows,
        }

    def _page(self, request, template: str, context: dict):
        return admin_page_response(
            self, request, f"admin/contacts/contactimport/{template}", context
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ContactImportUploadForm(request.POST or None, request.FILES or None)
        form.fields["organisation"].queryset = scope_to_organisation(
            Organisation.objects.all(), request.user, path="pk", kinds=KEEPER_ROLES
        )
        preselect_only_choice(form.fields["organisation"])
        if request.method == "POST" and form.is_valid():
            try:
                contact_import = imports.contact_import_upload(
                    actor=request.user,
                    organisation=form.cleaned_data["organisation"],
                    uploaded_file=form.cleaned_data["file"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(
                    reverse("admin:contacts_contactimport_change", args=[contact_import.pk])
                )
        return self._page(request, "upload.html", {"form": form, "title": _("Import contacts")})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        contact_import = self.get_object(request, unquote(object_id))
        if contact_import is None or not self.has_view_permission(request, contact_import):
            raise Http404(_("No such contact import."))
        may_change = self.has_change_permission(request, contact_import)
        if request.method == "POST" and not may_change:
            raise PermissionDenied
        busy = contact_import.status in (
            ContactImport.Status.QUEUED,
            ContactImport.Status.RUNNING,
        )
        # Once imported the file is deleted (contact_import_run): the page is then its summary.
        finished = contact_import.status == ContactImport.Status.DONE
        form = file_error = None
        if not busy and not finished and may_change:
            try:
                preview = import_files.contact_import_preview(contact_import=contact_import)
            except import_files.UnreadableFile as error:
                file_error = error.message
            except OSError as error:
                file_error = failure_message(
                    _("The file of this import can no longer be read. Upload it again."),
                    error=error,
                )
            else:
                form = ContactImportMappingForm(
                    request.POST or None, contact_import=contact_import, headings=preview.headings
                )
                form.samples = [
                    (form[name], preview.samples[heading])
                    for name, heading in zip(form.column_names, preview.headings, strict=True)
                ]
        if request.method == "POST" and form is not None and form.is_valid():
            settings = {
                "mapping": form.mapping(),
                "existing": form.cleaned_data["existing"],
                "consent_purpose": form.cleaned_data["consent_purpose"],
            }
            try:
                if request.POST.get("action") == "import":
                    imports.contact_import_start(
                        actor=request.user, contact_import=contact_import, **settings
                    )
                    messages.success(request, _("The import has started."))
                else:
                    imports.contact_import_dry_run(
                        actor=request.user, contact_import=contact_import, **settings
                    )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                return redirect(request.path)
        problems = [
            {**problem, "message": imports.PROBLEMS.get(problem.get("code"), problem["problem"])}
            for problem in contact_import.problems
        ]
        percent = (
            round(100 * contact_import.processed_rows / contact_import.total_rows)
            if contact_import.total_rows
            else 0
        )
        return self._page(
            request,
            "import.html",
            {
                "title": _("Import contacts from file %(number)s") % {"number": contact_import.pk},
                "original": contact_import,
                "contact_import": contact_import,
                "form": form,
                "file_error": file_error,
                "busy": busy,
                "percent": percent,
                "problems": problems,
                "problems_kept": imports.PROBLEMS_KEPT,
                "may_change": may_change,
            },
        )
