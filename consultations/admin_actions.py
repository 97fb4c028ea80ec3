"""The actions on consultations in the admin (publish, publish the outcome, add 'About you'
questions, duplicate), apart from the model admin. Each calls one service per consultation, on
the list and on a consultation's page; a refusal becomes an error message naming the
consultation, so that the others still go ahead.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civic.admin_base import refusal_text
from consultations import services
from consultations.models import Consultation
from consultations.services import builder

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def consultation_admin_url(consultation: Consultation, anchor: str = "") -> str:
    url = reverse("admin:consultations_consultation_change", args=[consultation.pk])
    return f"{url}#{anchor}" if anchor else url


class ConsultationActionsMixin:
    """The actions of ConsultationAdmin."""

    actions = ["publish", "publish_outcome", "add_about_you", "duplicate"]

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("consultations.publish_consultation")

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
        description=_("Publish"),
        description_plural=_("Publish the selected consultations"),
        permissions=["publish"],
        location=BOTH_LOCATIONS,
    )
    def publish(self, request, queryset):
        def act(consultation):
            problems = builder.survey_problems(consultation)
            if problems:
                raise ValidationError([str(problem) for problem in problems])
            services.consultation_publish(consultation=consultation, actor=request.user)

        self._each(
            request,
            queryset,
            act,
            lambda consultation, _result: (
                _("“%(title)s” is published.") % {"title": consultation.title}
            ),
        )

    @admin.action(
        description=_("Publish the outcome"),
        description_plural=_("Publish the outcome of the selected consultations"),
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def publish_outcome(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda consultation: services.outcome_publish(
                consultation=consultation, actor=request.user
            ),
            lambda consultation, told: (
                ngettext(
                    "The outcome of “%(title)s” is published; %(count)d resident will be told.",
                    "The outcome of “%(title)s” is published; %(count)d residents will be told.",
                    told,
                )
                % {"title": consultation.title, "count": told}
            ),
        )

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
