"""The outcome of a consultation in the admin: its own page, beside the details and the survey.

- /admin/consultations/consultation/<id>/outcome/ shows the decisions ("we asked, you said, we
  did"), each with its follow-up actions and a link to change them (DecisionAdmin, which leads
  back here), a link to add one, the status in words and what stops the outcome from being
  published, each a link to where it is fixed;
- .../outcome/publish/ is the check before publishing the outcome: the problems of
  consultations.services.checks.outcome_problems with links and "Check again", or, with none,
  what residents will see and how many will be told, and the Publish button (a POST).

Publishing goes through consultations.services.outcome_publish, which runs the same check, so
no other path publishes what this page refuses; it records the audit entry and tells the
residents who asked to hear. Saving a decision never publishes anything. An officer who does not
run the consultation gets 404 for both pages (AdminPagesMixin.page_object).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic.admin_base import admin_page_path
from civic.formatting import day
from consultations import services
from consultations.admin_actions import consultation_tabs, status_in_words
from consultations.models import Consultation
from consultations.services.checks import outcome_problems
from contacts.models import ConsentPurpose
from mailing.services.notices import consenters

TEMPLATES = "admin/consultations/outcome/"
CHANGE = "consultations.change_consultation"


def outcome_urls(model_admin) -> list:
    """The URL patterns of the outcome's pages, for ConsultationAdmin.admin_pages."""
    pages = OutcomePages(model_admin)

    def page(route: str, view, name: str):
        return admin_page_path(model_admin, f"<int:object_id>/outcome/{route}", view, name)

    return [
        page("", pages.outcome, "outcome"),
        page("publish/", pages.publish, "outcome_publish"),
    ]


def outcome_url(consultation: Consultation) -> str:
    return reverse("admin:consultations_consultation_outcome", args=[consultation.pk])


def decision_add_url(consultation: Consultation) -> str:
    return reverse("admin:consultations_decision_add") + f"?consultation={consultation.pk}"


def _told_count(consultation: Consultation) -> int:
    """How many residents publishing would tell: those with a live consent to its news. Read
    without making the consent purpose (services.consultation_purpose makes it when used)."""
    purpose = ConsentPurpose.objects.filter(
        organisation_id=consultation.department.organisation_id,
        slug=f"consultation-{consultation.pk}",
    ).first()
    return consenters(purpose).count() if purpose is not None else 0


class OutcomePages:
    def __init__(self, model_admin):
        self.admin = model_admin

    def _consultation(self, request, object_id) -> Consultation:
        return self.admin.page_object(request, object_id, permission=CHANGE)

    def _published(self, consultation: Consultation) -> bool:
        return consultation.outcome_published_at is not None

    def outcome(self, request, object_id):
        consultation = self._consultation(request, object_id)
        decisions = list(consultation.decisions.prefetch_related("actions", "questions", "themes"))
        for decision in decisions:
            decision.change_url = reverse("admin:consultations_decision_change", args=[decision.pk])
        published = self._published(consultation)
        return self.admin.page_response(
            request,
            TEMPLATES + "outcome.html",
            {
                "title": _("Outcome of “%(title)s”") % {"title": consultation.title},
                "consultation": consultation,
                "tabs": consultation_tabs(request, consultation, "outcome"),
                "status_words": status_in_words(consultation, timezone.now()),
                "published": published,
                "published_on": day(consultation.outcome_published_at),
                "decisions": decisions,
                "problems": [] if published else outcome_problems(consultation),
                "add_url": decision_add_url(consultation),
                "publish_url": reverse(
                    "admin:consultations_consultation_outcome_publish", args=[consultation.pk]
                ),
            },
        )

    def publish(self, request, object_id):
        """The check before publishing the outcome, and with nothing to fix, the confirmation."""
        consultation = self._consultation(request, object_id)
        refused: list[str] = []
        if request.method == "POST":
            try:
                told = services.outcome_publish(consultation=consultation, actor=request.user)
            except ValidationError as error:
                refused = error.messages
            else:
                messages.success(
                    request,
                    ngettext(
                        "The outcome of “%(title)s” is published; %(count)d resident will be told.",
                        "The outcome of “%(title)s” is published; %(count)d residents will be "
                        "told.",
                        told,
                    )
                    % {"title": consultation.title, "count": told},
                )
                return redirect(outcome_url(consultation))
        problems = []
        if self._published(consultation):
            refused = [_("The outcome of this consultation is already published.")]
        else:
            problems = outcome_problems(consultation)
            if problems:
                refused = []  # the list of problems says it, with links
        ready = not problems and not refused
        told = _told_count(consultation) if ready else 0
        decisions = consultation.decisions.count()
        return self.admin.page_response(
            request,
            TEMPLATES + "publish.html",
            {
                "title": (
                    _("Publish the outcome of %(title)s") % {"title": consultation.title}
                    if ready
                    else _("Check before publishing the outcome of %(title)s")
                    % {"title": consultation.title}
                ),
                "consultation": consultation,
                "status_words": status_in_words(consultation, timezone.now()),
                "problems": problems,
                "refused": refused,
                "ready": ready,
                "residents_see": [
                    _("Residents will see the outcome on %(url)s as soon as you publish it.")
                    % {"url": services.consultation_url(consultation)},
                    ngettext("It has %(count)d decision.", "It has %(count)d decisions.", decisions)
                    % {"count": decisions},
                    ngettext(
                        "%(count)d resident asked to hear about it and will be told by e-mail.",
                        "%(count)d residents asked to hear about it and will be told by e-mail.",
                        told,
                    )
                    % {"count": told},
                ]
                if ready
                else [],
                "outcome_url": outcome_url(consultation),
                "back_url": outcome_url(consultation),
                "back_label": _("Back to the outcome"),
                "problems_title": _("The outcome cannot be published yet"),
                "summary_heading": _("What happens when you publish"),
                "confirm_question": _(
                    "Are you sure you want to publish the outcome? You cannot unpublish it, "
                    "and the e-mails cannot be called back."
                ),
                "confirm_label": _("Publish the outcome"),
            },
        )
