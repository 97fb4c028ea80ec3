"""Importing a Pabulib `.pb` file into one of a process's budgets, from the process's page in the
admin: the officer chooses the budget from a list (those that can take a file now) and uploads
the file; budgets.pabulib_io.election_import does the rest, or says why not next to the field,
and changes nothing. For a published process, whose results are public, the officer first
confirms that the file's projects and ballots will be shown there at once."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets import pabulib_io
from budgets.allocation.wording import pounds
from budgets.models import Budget, Process
from civic.admin_base import AdminPagesMixin
from civic.forms import service_errors_onto


def validate_pabulib_file(uploaded) -> None:
    """A `.pb` file (plain text) no larger than the site's upload limit."""
    if Path(uploaded.name or "").suffix.lower() != ".pb":
        raise ValidationError(_("The file must be a Pabulib file, whose name ends in .pb"))
    limit = settings.CIVIC_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file must be smaller than %(limit)s") % {"limit": filesizeformat(limit)}
        )
    uploaded.seek(0)
    head = uploaded.read(2048)
    uploaded.seek(0)
    if b"\x00" in head:
        raise ValidationError(_("The file must be plain text; this one is not"))


class PabulibImportForm(forms.Form):
    budget = forms.ModelChoiceField(
        label=gettext_lazy("Budget"),
        queryset=Budget.objects.none(),
        help_text=gettext_lazy(
            "Only budgets with no projects and no ballots are listed. The budget's amount and "
            "voting style become the file's."
        ),
        error_messages={
            "required": gettext_lazy("Choose the budget to import the election into"),
            "invalid_choice": gettext_lazy("Choose one of the budgets in the list"),
        },
    )
    file = forms.FileField(
        label=gettext_lazy("Pabulib file"),
        help_text=gettext_lazy(
            "A .pb file from pabulib.org, or exported from civic, with approval ballots."
        ),
        validators=[validate_pabulib_file],
        error_messages={"required": gettext_lazy("Choose the .pb file to import")},
    )

    def __init__(self, *args, process: Process, budgets: list[Budget], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].queryset = Budget.objects.filter(
            pk__in=[budget.pk for budget in budgets]
        ).select_related("area")
        self.fields["budget"].label_from_instance = lambda budget: budget.name
        if process.status == Process.Status.PUBLISHED:
            self.fields["checked"] = forms.BooleanField(
                label=_("I understand the file's projects and ballots will be public at once"),
                error_messages={
                    "required": _("Confirm that you understand the results will be public")
                },
            )


class PabulibImportMixin(AdminPagesMixin):
    """For ProcessAdmin, before its other page mixins (it adds to their pages)."""

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/pabulib/", self.pabulib_import_view, "pabulib"),
            *super().admin_pages(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        process = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if process is not None and request.user.has_perm(pabulib_io.IMPORT, process):
            extra["pabulib_import_url"] = reverse(
                f"{self.admin_site.name}:budgets_process_pabulib", args=[process.pk]
            )
        return super().change_view(request, object_id, form_url, extra)

    def pabulib_import_view(self, request, object_id):
        process = self.page_object(request, object_id, permission=pabulib_io.IMPORT)
        change_url = reverse(f"{self.admin_site.name}:budgets_process_change", args=[process.pk])
        now = timezone.now()
        budgets = [
            budget
            for budget in process.budgets.select_related("area").order_by("area__name")
            if pabulib_io.import_refusal(process, budget, now) is None
        ]
        refusal = None
        if not budgets:
            first = process.budgets.select_related("area").first()
            refusal = (
                pabulib_io.import_refusal(process, first, now)
                if first is not None
                else _("The process has no budget yet. Add one on the process's page first.")
            )
        form = PabulibImportForm(process=process, budgets=budgets, auto_id="pabulib-%s")
        if request.method == "POST" and budgets:
            form = PabulibImportForm(
                request.POST, request.FILES, process=process, budgets=budgets, auto_id="pabulib-%s"
            )
            if form.is_valid():
                try:
                    imported = pabulib_io.election_import(
                        actor=request.user,
                        process=process,
                        budget=form.cleaned_data["budget"],
                        file=form.cleaned_data["file"],
                    )
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    messages.success(
                        request,
                        _(
                            "The file is imported into the %(budget)s budget: %(projects)s "
                            "projects on the ballot and %(ballots)s paper ballots, for %(amount)s."
                        )
                        % {
                            "budget": imported.budget.name,
                            "projects": imported.projects,
                            "ballots": imported.ballots,
                            "amount": pounds(imported.budget.amount),
                        },
                    )
                    return redirect(change_url)
        return self.page_response(
            request,
            "admin/budgets/process/pabulib.html",
            {
                "title": _("Import a Pabulib file: %(title)s") % {"title": process.title},
                "process": process,
                "original": process,
                "change_url": change_url,
                "form": form,
                "refusal": refusal,
            },
        )
