"""Every change to a debate. Each officer action checks a permission and is audited.

debate_problems   what stops a draft debate from being published, by field
debate_publish    a draft debate goes public once it passes its checks
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry, User
from civic.services import require, state_move
from debates.models import Debate

NOT_RUNNER = gettext_lazy("You do not run this debate.")


def debate_url(debate: Debate) -> str:
    return settings.CIVIC_SITE_URL + reverse("debates:debate", args=[debate.slug])


# Publishing -------------------------------------------------------------------------------------


def debate_problems(debate: Debate) -> dict[str, str]:
    """What stops a debate from being published, by field ("" for the debate as a whole), in
    words an officer can act on. The publish page and debate_publish both ask this."""
    problems: dict[str, str] = {}
    for name in Debate.SCHEDULE.fields():
        if getattr(debate, name) is None:
            label = str(Debate._meta.get_field(name).verbose_name)
            problems[name] = _("Enter the date the debate %(phase)s") % {"phase": label}
    for key, message in Debate.SCHEDULE.problems(debate).items():
        problems.setdefault(key, message)
    if not debate.background.strip():
        problems["background"] = _("Enter the background residents need to take part")
    consultation = debate.consultation
    if consultation is not None:
        if consultation.department.organisation_id != debate.organisation_id:
            problems["consultation"] = _("Choose a consultation of your own council")
        elif consultation.published_at is None:
            problems["consultation"] = _(
                "Publish the consultation “%(title)s” first, or choose another"
            ) % {"title": consultation.title}
    return problems


@transaction.atomic
def debate_publish(*, actor: User, debate: Debate, now: datetime | None = None) -> Debate:
    require(actor, "debates.publish_debate", debate, message=NOT_RUNNER)
    now = now or timezone.now()
    locked = Debate.objects.select_for_update().get(pk=debate.pk)
    problems = debate_problems(locked)
    if problems:
        raise ValidationError(
            {field or NON_FIELD_ERRORS: message for field, message in problems.items()}
        )
    state_move(
        locked,
        Debate.Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published the debate",
        fields={"published_at": now},
    )
    return locked
