"""Coding free text: officers make themes for a consultation and tag written answers with them,
each change audited. The themes' counts are part of the results (consultations.services.results).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.services import audit_record, require
from consultations.models import Answer, Consultation, Response, Theme
from consultations.services import NOT_RUNNING


@transaction.atomic
def theme_create(*, actor, consultation: Consultation, name: str) -> Theme:
    require(actor, "consultations.add_theme", consultation, message=NOT_RUNNING)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter a name for the theme.")})
    try:
        with transaction.atomic():
            theme = Theme.objects.create(consultation=consultation, name=name[:200])
    except IntegrityError:
        raise ValidationError(
            {"name": _("There is already a theme called “%(name)s”.") % {"name": name}}
        ) from None
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=consultation,
        summary=f"Created theme “{theme.name}”",
    )
    return theme


def _check_coding(actor, answer: Answer, theme: Theme) -> None:
    require(actor, "consultations.change_theme", theme, message=NOT_RUNNING)
    if answer.response.consultation_id != theme.consultation_id:
        raise ValidationError(_("Choose a theme of this consultation."))
    if answer.response.status != Response.Status.SUBMITTED:
        raise ValidationError(_("Only submitted responses can be coded."))


@transaction.atomic
def answer_theme_add(*, actor, answer: Answer, theme: Theme) -> bool:
    """Tag an answer with a theme; False if it already had it."""
    _check_coding(actor, answer, theme)
    if answer.themes.filter(pk=theme.pk).exists():
        return False
    answer.themes.add(theme)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=answer.response,
        summary=f"Coded the answer to question #{answer.question_id} as “{theme.name}”",
    )
    return True


@transaction.atomic
def answer_theme_remove(*, actor, answer: Answer, theme: Theme) -> bool:
    """Take a theme off an answer; False if it did not have it."""
    _check_coding(actor, answer, theme)
    if not answer.themes.filter(pk=theme.pk).exists():
        return False
    answer.themes.remove(theme)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=answer.response,
        summary=f"Removed the theme “{theme.name}” from the answer to question #"
        f"{answer.question_id}",
    )
    return True
