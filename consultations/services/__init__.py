"""Officers' actions on a consultation: publishing it, publishing its outcome and updating the
follow-up actions, each audited; residents who agreed to hear back are told by e-mail.

Responding lives in consultations.services.responding (which questions apply and the checks on
an answer in consultations.services.answers, resume links in consultations.services.resume), the
results in consultations.services.results, coding free text by theme in
consultations.services.coding, publishing responses in consultations.services.publishing, exports
in consultations.services.exports, the survey builder's rules in consultations.services.builder,
writing a survey's pages and questions in consultations.services.editing, and copies and the
library of saved questions in consultations.services.copying. Reads
that span the consultation's models are in consultations.selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry
from civic.services import require, state_move
from consultations.models import Consultation, FollowUpAction
from contacts.models import ConsentPurpose
from contacts.services import item_purpose
from mailing.services.notices import consenters_notify_after_commit

# What an officer reads when a service refuses them.
NOT_RUNNING = gettext_lazy("You do not run this consultation.")


def consultation_purpose(consultation: Consultation) -> ConsentPurpose:
    """The consent purpose 'news about this consultation': its outcome and follow-up actions."""
    return item_purpose(
        organisation_id=consultation.department.organisation_id,
        item=consultation,
        name=_("News about “%(title)s”") % {"title": consultation.title[:150]},
        description=_(
            "An e-mail when the council publishes what it decided after this consultation, "
            "and when an action it promised changes."
        ),
    )


def consultation_url(consultation: Consultation) -> str:
    return settings.CIVIC_SITE_URL + reverse("consultations:detail", args=[consultation.slug])


@transaction.atomic
def consultation_publish(*, consultation: Consultation, actor) -> None:
    """Make the consultation public: upcoming until it opens, then open until it closes.

    Refused with every problem of `checks.consultation_problems` at once (a choice question
    without options, a condition that no longer holds, an empty page, dates out of order, no
    contact details, no questions), whichever path asks."""
    require(actor, "consultations.publish_consultation", consultation, message=NOT_RUNNING)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    Consultation.lifecycle.check(locked, Consultation.Status.PUBLISHED)
    # The check lives beside the builder, which imports this module: imported when used.
    from consultations.services.checks import consultation_problems

    problems = consultation_problems(locked)
    if problems:
        raise ValidationError(
            [ValidationError(str(problem), code=problem.code) for problem in problems]
        )
    state_move(
        locked,
        Consultation.Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published consultation",
        fields={"published_at": timezone.now()},
    )
    consultation.refresh_from_db(fields=["published_at"])


@transaction.atomic
def outcome_publish(*, consultation: Consultation, actor) -> int:
    """Publish 'We asked, you said, we did'; returns how many residents are told by e-mail.

    Refused with every problem of `checks.outcome_problems` at once (not closed yet, no
    decision), whichever path asks: the admin's check page shows the same list first."""
    require(actor, "consultations.change_consultation", consultation, message=NOT_RUNNING)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if Consultation.lifecycle.state_of(locked) == Consultation.Status.OUTCOME:
        Consultation.lifecycle.check(locked, Consultation.Status.OUTCOME)  # already published
    from consultations.services.checks import outcome_problems

    problems = outcome_problems(locked)
    if problems:
        raise ValidationError(
            [ValidationError(str(problem), code=problem.code) for problem in problems]
        )
    state_move(
        locked,
        Consultation.Status.OUTCOME,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published outcome",
        fields={"outcome_published_at": timezone.now()},
    )
    consultation.refresh_from_db(fields=["outcome_published_at"])
    return _notify(
        consultation,
        subject=_("What we decided: %(title)s") % {"title": consultation.title},
        template="consultations/email/outcome.txt",
    )


@transaction.atomic
def action_status_change(*, action: FollowUpAction, status: str, actor) -> int:
    """Move a follow-up action on; residents who asked to hear are told once it is public."""
    consultation = action.decision.consultation
    require(actor, "consultations.change_consultation", consultation, message=NOT_RUNNING)
    if status not in FollowUpAction.Status.values:
        raise ValidationError(_("Choose a status from the list."))
    if action.status == status:
        return 0
    state_move(
        action,
        status,
        actor=actor,
        summary=f"Follow-up action #{action.pk}: {action.get_status_display()} → "
        f"{FollowUpAction.Status(status).label}",
        fields={"updated_at": timezone.now()},
        organisation=consultation.organisation,
    )
    if consultation.outcome_published_at is None:
        return 0
    return _notify(
        consultation,
        subject=_("An update on %(title)s") % {"title": consultation.title},
        template="consultations/email/action_update.txt",
        extra={"action": action},
    )


def _notify(consultation: Consultation, *, subject: str, template: str, extra=None) -> int:
    """Tell everyone with a live consent for the consultation's news, in the words drawn once
    here: a worker puts the messages in the outbox after this transaction commits (mailing's
    notices). The number of people who will be told."""
    text = render_to_string(
        template,
        {"consultation": consultation, "url": consultation_url(consultation), **(extra or {})},
    )
    return consenters_notify_after_commit(
        purpose=consultation_purpose(consultation), subject=subject, text=text
    )
