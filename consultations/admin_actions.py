"""The actions on consultations in the admin, apart from the model admin.

Publishing has a page of its own, reached from the Publish button beside the consultation's
status on its page: the check before publishing (consultations.services.checks) lists every
problem with a link to where it is fixed and refuses until none is left; with none, the same page
says what residents will see and when, and its Publish button (a POST) publishes. Saving the
consultation never publishes it.

Publishing the outcome has the same pair of pages on the outcome's own page
(consultations.admin_outcome). The other actions (add 'About you' questions, duplicate) are in
the admin's action list: each calls one service per consultation, on the list and on a
consultation's page; a refusal becomes an error message naming the consultation, so that the
others still go ahead.

`consultation_tabs` is the row of links between a consultation's pages: details and documents,
survey, outcome, results.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civic.admin_base import refusal_text
from civic.formatting import day, when
from consultations import services
from consultations.models import Consultation, Question
from consultations.services import builder
from consultations.services.checks import consultation_problems

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def consultation_admin_url(consultation: Consultation, anchor: str = "") -> str:
    url = reverse("admin:consultations_consultation_change", args=[consultation.pk])
    return f"{url}#{anchor}" if anchor else url


def consultation_tabs(request, consultation: Consultation, current: str) -> list[dict]:
    """The links between a consultation's pages (admin/civic/_tabs.html), `current` marked."""
    tabs = [
        ("details", _("Details and documents"), consultation_admin_url(consultation)),
        (
            "survey",
            _("Survey: pages and questions"),
            reverse("admin:consultations_consultation_survey", args=[consultation.pk]),
        ),
        (
            "outcome",
            _("Outcome: we asked, you said, we did"),
            reverse("admin:consultations_consultation_outcome", args=[consultation.pk]),
        ),
    ]
    if request.user.has_perm("consultations.view_response", consultation):
        tabs.append(
            (
                "results",
                _("Results"),
                reverse("admin:consultations_consultation_results", args=[consultation.pk]),
            )
        )
    return [{"label": label, "url": url, "current": key == current} for key, label, url in tabs]


def status_in_words(consultation: Consultation, now) -> str:
    """Where the consultation stands and what comes next, as its page says it to an officer."""
    Stage = Consultation.Stage
    stage = consultation.stage_at(now)
    phase = Consultation.SCHEDULE.at(consultation, now)
    if stage == Stage.DRAFT:
        return gettext("Draft: not seen by residents. Publish it when the survey is ready.")
    if stage == Stage.SCHEDULED:
        return gettext("Upcoming: opens on %(opens)s") % {"opens": when(phase.until)}
    if stage == Stage.OPEN:
        return gettext("Open until %(closes)s") % {"closes": when(phase.until)}
    if stage == Stage.CLOSED:
        return gettext("Closed on %(closed)s: publish the outcome") % {"closed": day(phase.since)}
    return gettext("Outcome published on %(published)s") % {
        "published": day(consultation.outcome_published_at)
    }


def what_residents_see(consultation: Consultation, now) -> list[str]:
    """What publishing now would show residents, and when, in sentences."""
    phase = Consultation.SCHEDULE.at(consultation, now)
    questions = Question.objects.filter(page__consultation=consultation).count()
    pages = consultation.pages.count()
    opens, closes = when(consultation.opens_at), when(consultation.closes_at)
    if phase.key == Consultation.Stage.SCHEDULED:
        dates = gettext(
            "It is listed as upcoming until %(opens)s. Residents can respond from then until "
            "%(closes)s."
        ) % {"opens": opens, "closes": closes}
    elif phase.key == Consultation.Stage.OPEN:
        dates = gettext(
            "It opened on %(opens)s, so residents can respond straight away, until %(closes)s."
        ) % {"opens": opens, "closes": closes}
    else:
        dates = gettext("It closed on %(closes)s, so residents can read it but not respond.") % {
            "closes": closes
        }
    return [
        gettext("Residents will see “%(title)s” at %(url)s as soon as you publish it.")
        % {"title": consultation.title, "url": services.consultation_url(consultation)},
        dates,
        ngettext(
            "The survey has %(questions)d question",
            "The survey has %(questions)d questions",
            questions,
        )
        % {"questions": questions}
        + ngettext(" on %(pages)d page.", " on %(pages)d pages.", pages) % {"pages": pages},
    ]


class ConsultationActionsMixin:
    """The actions of ConsultationAdmin."""

    actions = ["add_about_you", "duplicate"]

    # Publishing ---------------------------------------------------------------------------------

    def publishing_pages(self) -> list:
        return [self.page_path("<int:object_id>/publish/", self.publish_view, "publish")]

    def publishing_context(self, request, consultation: Consultation) -> dict:
        """The status in words on the consultation's page, what stops it from being published,
        and the Publish button for those who may publish it."""
        now = timezone.now()
        draft = consultation.published_at is None
        may_publish = Consultation.lifecycle.allows(
            consultation, Consultation.Status.PUBLISHED
        ) and request.user.has_perm("consultations.publish_consultation", consultation)
        return {
            "status_words": status_in_words(consultation, now),
            "draft": draft,
            "consultation_problems": consultation_problems(consultation),
            "publish_url": (
                reverse("admin:consultations_consultation_publish", args=[consultation.pk])
                if may_publish
                else ""
            ),
            # Once it has closed, what comes next is on the outcome's page.
            "outcome_next_url": (
                reverse("admin:consultations_consultation_outcome", args=[consultation.pk])
                if consultation.stage_at(now) == Consultation.Stage.CLOSED
                else ""
            ),
        }

    def publish_view(self, request, object_id):
        """The check before publishing, and with nothing to fix, the confirmation."""
        consultation = self.page_object(
            request, object_id, permission="consultations.publish_consultation"
        )
        refused: list[str] = []
        if request.method == "POST":
            try:
                services.consultation_publish(consultation=consultation, actor=request.user)
            except ValidationError as error:
                refused = error.messages
            else:
                self.message_user(
                    request,
                    _("“%(title)s” is published. %(status)s")
                    % {
                        "title": consultation.title,
                        "status": status_in_words(consultation, timezone.now()),
                    },
                    messages.SUCCESS,
                )
                return redirect(consultation_admin_url(consultation))
        now = timezone.now()
        problems = consultation_problems(consultation)
        try:
            Consultation.lifecycle.check(consultation, Consultation.Status.PUBLISHED)
        except ValidationError as error:
            refused = error.messages  # already published: nothing to check
            problems = []
        else:
            if problems:
                refused = []  # the list of problems says it, with links
        ready = not problems and not refused
        return self.page_response(
            request,
            "admin/consultations/consultation/publish.html",
            {
                "title": (
                    _("Publish %(title)s") % {"title": consultation.title}
                    if ready
                    else _("Check before publishing %(title)s") % {"title": consultation.title}
                ),
                "original": consultation,
                "consultation": consultation,
                "status_words": status_in_words(consultation, now),
                "problems": problems,
                "refused": refused,
                "ready": ready,
                "residents_see": what_residents_see(consultation, now) if ready else [],
                "change_url": consultation_admin_url(consultation),
                "back_url": consultation_admin_url(consultation),
                "back_label": _("Back to the consultation"),
                "problems_title": _("The consultation cannot be published yet"),
                "summary_heading": _("What residents will see"),
                "preview_url": reverse(
                    "admin:consultations_consultation_preview", args=[consultation.pk]
                ),
                "preview_label": _("Preview the survey as a resident"),
                "confirm_question": _(
                    "Are you sure you want to publish it? You cannot unpublish a consultation."
                ),
                "confirm_label": _("Publish"),
            },
        )

    # The action list ----------------------------------------------------------------------------

    def _each(self, request, queryset, act, done_message) -> list:
        """Run one service per consultation; refusals become error messages naming it."""
        results = []
        for consultation in queryset.select_related("department"):
            try:
                result = act(consultation)
            except (ValidationError, PermissionDenied) as error:
                reason = refusal_text(error)
                self.message_user(request, f"{consultation.title}: {reason}", messages.ERROR)
                continue
            results.append(result)
            self.message_user(request, done_message(consultation, result), messages.SUCCESS)
        return results

    @admin.action(
        description=_("Add 'About you' questions"),
        description_plural=_("Add 'About you' questions to the selected consultations"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def add_about_you(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda consultation: builder.about_you_add(
                consultation=consultation, actor=request.user
            ),
            lambda consultation, page: (
                ngettext(
                    "“%(title)s” has an 'About you' page with %(count)d question.",
                    "“%(title)s” has an 'About you' page with %(count)d questions.",
                    len(builder.ABOUT_YOU),
                )
                % {"title": consultation.title, "count": len(builder.ABOUT_YOU)}
            ),
        )

    @admin.action(
        description=_("Duplicate as a new draft"),
        description_plural=_("Duplicate the selected consultations as new drafts"),
        permissions=["add"],
        location=BOTH_LOCATIONS,
    )
    def duplicate(self, request, queryset):
        copies = self._each(
            request,
            queryset,
            lambda consultation: builder.consultation_duplicate(
                consultation=consultation, actor=request.user
            ),
            lambda consultation, copy: (
                _(
                    "“%(title)s” is copied as a draft at /consultations/%(slug)s/. Change its "
                    "title, address and dates before publishing it."
                )
                % {"title": consultation.title, "slug": copy.slug}
            ),
        )
        if len(copies) == 1:
            return redirect(consultation_admin_url(copies[0]))
        return None
