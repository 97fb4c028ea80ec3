"""The officers' side of voting by code and on paper, as pages of a process in the admin.

    /admin/budgets/process/<id>/codes/  the process's batches of voting codes, with how many
                                        were used in each budget, and a form for a new batch
    /admin/budgets/process/<id>/codes/csv/
                                        a new batch's codes as a CSV file (POST only)
    /admin/budgets/process/<id>/paper/  keying in paper ballots: choose a budget, tick the
                                        projects on its ballot, name the batch of paper

A new batch's codes exist in plain text only in the answer to the form that makes them: a page
of cut-out cards to print, with `Cache-Control: no-store`. Nothing keeps them: not the database,
not the session (whose table would hold them until it expires), not the cache, not the log. So
they are shown once, and the page says so; an officer who loses them makes a new batch.

The same codes are saved as a CSV file with a button on that page, which posts them back with a
signature (signed for this officer and batch, valid for an hour) and is answered with the file.
A data: link inside the page did this before, but 10,000 codes make a link of over a megabyte,
beyond what some browsers take. The codes travel only between the officer's page and the
server, as they did when the page was drawn, and the server still keeps nothing; the signature
means the file holds only codes the server gave this officer for this batch.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.allocation.wording import pounds
from budgets.codes import (
    KEY_PAPER,
    MAKE_CODES,
    MOST_CODES,
    NAME_LIMIT,
    batch_usage,
    budgets_in_order,
    code_areas,
    codes_make,
    paper_counts,
    paper_enter,
)
from budgets.models import Budget, CodeBatch, Process
from budgets.tally import ballot_ideas
from civic.admin_base import AdminPagesMixin, refusal_text
from civic.exports import csv_rows
from civic.form_guard import Refused
from civic.formatting import day
from civic.forms import service_errors_onto

VOTER_CHOOSES = "choose"
CSV_SECONDS = 3600  # how long after a batch is made its page can still save the codes as a file


class CodeBatchForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the batch"),
        max_length=NAME_LIMIT,
        help_text=gettext_lazy(
            "Where the codes go, so you can tell batches apart, like “Central library”."
        ),
        error_messages={
            "required": gettext_lazy("Enter a name for the batch, like “Central library”"),
            "max_length": gettext_lazy("Enter a name of 100 characters or fewer"),
        },
    )
    area = forms.ChoiceField(
        label=gettext_lazy("Area"),
        help_text=gettext_lazy(
            "The area whose residents get these codes: they vote in its budget. Or let each "
            "voter choose their area when they use the code."
        ),
        error_messages={"invalid_choice": gettext_lazy("Choose an area from the list")},
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many codes"),
        min_value=1,
        max_value=MOST_CODES,
        help_text=gettext_lazy("From 1 to 10,000. Each code votes once in each budget."),
        error_messages={
            "required": gettext_lazy("Enter how many codes to make, from 1 to 10,000"),
            "invalid": gettext_lazy("Enter how many codes to make as a number, like 500"),
            "min_value": gettext_lazy("Enter how many codes to make, from 1 to 10,000"),
            "max_value": gettext_lazy("Enter how many codes to make, from 1 to 10,000"),
        },
    )
    ready = forms.BooleanField(
        label=gettext_lazy(
            "I am ready to print or save the codes now: they are shown once and cannot be shown "
            "again"
        ),
        error_messages={
            "required": gettext_lazy(
                "Confirm that you are ready to print or save the codes, which are shown once"
            )
        },
    )

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {str(area.pk): area for area in code_areas(process)}
        self.fields["area"].choices = [
            (VOTER_CHOOSES, _("Each voter chooses their area")),
            *((pk, area.name) for pk, area in self.areas.items()),
        ]

    def chosen_area(self):
        return self.areas.get(self.cleaned_data["area"])


class PaperBudgetForm(forms.Form):
    """The first step: which budget the paper ballot is for (a GET form)."""

    budget = forms.ChoiceField(label=gettext_lazy("Budget"))

    def __init__(self, *args, budgets: list[Budget], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].choices = [(str(budget.pk), budget.name) for budget in budgets]


class ProjectTicks(forms.CheckboxSelectMultiple):
    """Checkboxes whose field is named by the first box, so the error summary's link lands on
    it; the page draws them in a fieldset whose legend is the question."""

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class PaperBallotForm(forms.Form):
    projects = forms.MultipleChoiceField(
        label=gettext_lazy("Projects chosen on the paper ballot"),
        widget=ProjectTicks,
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose only projects in the list")},
    )
    paper_batch = forms.CharField(
        label=gettext_lazy("Batch of paper ballots"),
        max_length=NAME_LIMIT,
        help_text=gettext_lazy("Where the paper came from, like “Town hall box 3”."),
        error_messages={
            "required": gettext_lazy(
                "Enter the batch of paper ballots this one is from, like “Town hall box 3”"
            ),
            "max_length": gettext_lazy("Enter a batch name of 100 characters or fewer"),
        },
    )

    def __init__(self, *args, budget: Budget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].choices = [
            (str(idea.pk), f"{idea.title} ({pounds(idea.cost)})") for idea in ballot_ideas(budget)
        ]


def code_page_url(process: Process) -> str:
    """Where a resident uses a code (the page is budgets.views' code page)."""
    return f"{settings.CIVIC_SITE_URL}/budgets/{process.slug}/code/"


def codes_csv(process: Process, batch, codes: list[str]) -> str:
    """The batch's codes as a CSV file, through the shared writer (every cell made safe)."""
    area = batch.area.name if batch.area else _("Voter chooses")
    closes = day(process.voting_closes_at)
    rows = (
        (process.title, batch.name, area, code, code_page_url(process), closes) for code in codes
    )
    header = ["process", "batch", "area", "code", "web_address", "voting_closes"]
    return "".join(csv_rows(header, rows))


def _codes_signer(user, batch: CodeBatch) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"budgets.codes-csv:{user.pk}:{batch.pk}")


def _codes_digest(codes: str) -> str:
    return hashlib.sha256(codes.encode()).hexdigest()


def codes_signature(user, batch: CodeBatch, codes: list[str]) -> str:
    """What the codes page posts back with the codes to have them as a file."""
    return _codes_signer(user, batch).sign(_codes_digest(" ".join(codes)))


def codes_signed(user, batch: CodeBatch, codes: str, signature: str) -> bool:
    """Whether `codes` (space-separated) were signed for this officer and batch within the
    hour."""
    try:
        signed = _codes_signer(user, batch).unsign(signature, max_age=CSV_SECONDS)
    except signing.BadSignature:  # also when expired
        return False
    return signed == _codes_digest(codes)


class VotingPagesMixin(AdminPagesMixin):
    """The codes and paper pages of ProcessAdmin."""

    def admin_pages(self):
        return [
            *super().admin_pages(),
            self.page_path("<int:object_id>/codes/", self.codes_view, "codes"),
            self.page_path("<int:object_id>/codes/csv/", self.codes_csv_view, "codes_csv"),
            self.page_path("<int:object_id>/paper/", self.paper_view, "paper"),
        ]

    def voting_links(self, request, process: Process) -> dict:
        """The links to these pages for the process's page, where the officer may use them."""
        links = {}
        if request.user.has_perm(MAKE_CODES, process):
            links["codes_url"] = self._page_url("codes", process)
        if request.user.has_perm(KEY_PAPER, process):
            links["paper_url"] = self._page_url("paper", process)
        return links

    def _page_url(self, name: str, process: Process) -> str:
        return reverse(f"{self.admin_site.name}:budgets_process_{name}", args=[process.pk])

    def codes_view(self, request, object_id):
        process = self.page_object(request, object_id, permission=MAKE_CODES)
        change_url = self._page_url("change", process)
        form = CodeBatchForm(process=process, auto_id="codes-%s")
        if request.method == "POST":
            form = CodeBatchForm(request.POST, process=process, auto_id="codes-%s")
            if form.is_valid():
                try:
                    batch, codes = codes_make(
                        actor=request.user,
                        process=process,
                        name=form.cleaned_data["name"],
                        count=form.cleaned_data["count"],
                        area=form.chosen_area(),
                    )
                except ValidationError as error:
                    service_errors_onto(form, error)
                except Refused as refusal:
                    form.add_error(None, refusal_text(refusal))
                else:
                    return self._printout(request, process, batch, codes, change_url)
        return self.page_response(
            request,
            "admin/budgets/process/codes.html",
            {
                "title": _("Voting codes: %(title)s") % {"title": process.title},
                "process": process,
                "original": process,
                "change_url": change_url,
                "form": form,
                "batches": batch_usage(process),
            },
        )

    def codes_csv_view(self, request, object_id):
        """The codes a batch's page posts back, as a CSV file; a GET, a batch of another
        process, or codes the server did not sign for this officer within the hour go back to
        the codes page, saying why."""
        process = self.page_object(request, object_id, permission=MAKE_CODES)
        codes_url = self._page_url("codes", process)
        if request.method != "POST":
            return redirect(codes_url)
        batch_id = request.POST.get("batch", "")
        batch = (
            CodeBatch.objects.filter(process=process, pk=int(batch_id))
            .select_related("area")
            .first()
            if batch_id.isdigit() and len(batch_id) < 19  # a bigint, never a database error
            else None
        )
        codes = request.POST.get("codes", "")
        if batch is None or not codes_signed(
            request.user, batch, codes, request.POST.get("signature", "")
        ):
            messages.error(
                request,
                _(
                    "The codes could not be saved as a file: the page that showed them is more "
                    "than an hour old, or was changed. Save them from a page of codes made less "
                    "than an hour ago, or make a new batch."
                ),
            )
            return redirect(codes_url)
        response = HttpResponse(
            codes_csv(process, batch, codes.split(" ")), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="voting-codes-{process.slug}-{batch.pk}.csv"'
        )
        response["Cache-Control"] = "no-store"
        return response

    def _printout(self, request, process, batch, codes, change_url):
        response = self.page_response(
            request,
            "admin/budgets/process/codes_printout.html",
            {
                "title": _("Voting codes: %(batch)s") % {"batch": batch.name},
                "process": process,
                "original": process,
                "change_url": change_url,
                "codes_url": self._page_url("codes", process),
                "batch": batch,
                "codes": codes,
                "web_address": code_page_url(process),
                "closes": day(process.voting_closes_at),
                "csv_url": self._page_url("codes_csv", process),
                "codes_text": " ".join(codes),
                "signature": codes_signature(request.user, batch, codes),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def paper_view(self, request, object_id):
        process = self.page_object(request, object_id, permission=KEY_PAPER)
        change_url = self._page_url("change", process)
        budgets = budgets_in_order(process)
        chooser = PaperBudgetForm(request.GET or None, budgets=budgets, auto_id="paper-%s")
        budget = None
        if chooser.is_bound and chooser.is_valid():
            budget = next(b for b in budgets if str(b.pk) == chooser.cleaned_data["budget"])
        form = None
        if budget is not None:
            form = PaperBallotForm(
                initial={"paper_batch": request.GET.get("batch", "")[:NAME_LIMIT]},
                budget=budget,
                auto_id="ballot-%s",
            )
            if request.method == "POST":
                form = PaperBallotForm(request.POST, budget=budget, auto_id="ballot-%s")
                if form.is_valid():
                    try:
                        paper_enter(
                            actor=request.user,
                            budget=budget,
                            idea_ids=form.cleaned_data["projects"],
                            paper_batch=form.cleaned_data["paper_batch"],
                        )
                    except ValidationError as error:
                        service_errors_onto(form, error)
                    except Refused as refusal:
                        form.add_error(None, refusal_text(refusal))
                    else:
                        messages.success(
                            request,
                            _("The paper ballot for %(budget)s is saved. Key in the next one.")
                            % {"budget": budget.name},
                        )
                        return redirect(
                            self._page_url("paper", process)
                            + f"?budget={budget.pk}&batch="
                            + quote(form.cleaned_data["paper_batch"])
                        )
        return self.page_response(
            request,
            "admin/budgets/process/paper.html",
            {
                "title": _("Paper ballots: %(title)s") % {"title": process.title},
                "process": process,
                "original": process,
                "change_url": change_url,
                "chooser": chooser,
                "budget": budget,
                "amount": pounds(budget.amount) if budget is not None else "",
                "form": form,
                "counts": paper_counts(process),
            },
        )
