"""Spaces where residents propose debates, and the officer's decision on each proposal
(debates.proposals). A space is set up like any item of a department; a proposal is a draft
debate with a "Reject" page next to its "Publish" page (the usual check), for the officers of
its department and their organisation's admins."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import ScopedModelAdmin, admin_page_path, refusal_text
from civic.form_guard import Refused
from civic.forms import ServiceErrorsMixin
from debates import proposals
from debates.models import Debate, DebateSpace

TEMPLATE = "admin/debates/debate/reject.html"


@admin.register(DebateSpace)
class DebateSpaceAdmin(ScopedModelAdmin):
    department_path = "department"
    organisation_path = None
    list_display = ["title", "department", "accepting"]
    list_select_related = ["department__organisation"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["department", "title", "slug", "description", "accepting"]


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy(
            "The resident who proposed it is sent this. Say why, and what they could do instead."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
    )


def reject_urls(model_admin) -> list:
    def view(request, object_id):
        return reject_view(model_admin, request, object_id)

    return [admin_page_path(model_admin, "<int:object_id>/reject/", view, "reject")]


def reject_url(debate: Debate) -> str:
    return reverse("admin:debates_debate_reject", args=[debate.pk])


def waiting(debate: Debate | None) -> bool:
    """A resident's proposal waiting for an officer's decision."""
    return (
        debate is not None and debate.space_id is not None and debate.status == Debate.Status.DRAFT
    )


def reject_view(model_admin, request, object_id):
    debate = model_admin.page_object(request, object_id, permission=proposals.DECIDE)
    change_url = reverse("admin:debates_debate_change", args=[debate.pk])
    form = RejectForm(request.POST if request.method == "POST" else None)
    refused = []
    if not waiting(debate):
        refused = [_("Only a proposed debate waiting for a decision can be rejected.")]
    elif request.method == "POST" and form.is_valid():
        try:
            proposals.proposal_reject(
                actor=request.user, debate=debate, reason=form.cleaned_data["reason"]
            )
        except (Refused, PermissionDenied) as error:
            refused = [refusal_text(error)]
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The proposal is rejected: the resident has been e-mailed why.")
            )
            return redirect(change_url)
    return model_admin.page_response(
        request,
        TEMPLATE,
        {
            "title": _("Reject the proposed debate: %(question)s") % {"question": debate.question},
            "debate": debate,
            "original": debate,
            "form": form,
            "refused": refused,
            "back_url": change_url,
        },
    )
