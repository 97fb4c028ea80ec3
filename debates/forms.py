"""Forms for the debate pages. They read what the browser sent and draw it back with the
messages of debates.services, which holds every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from debates.models import Debate

# The stages the list offers (a draft is nobody's business but the council's).
LIST_STAGES = [(stage.value, stage.label) for stage in Debate.Stage if stage != Debate.Stage.DRAFT]


class DebateFilterForm(forms.Form):
    """The list of debates by stage, read from the address (GET)."""

    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All")), *LIST_STAGES],
        error_messages={"invalid_choice": _("Choose a stage from the list")},
    )
