"""Forms for the debate pages. They read what the browser sent and draw it back with the
messages of debates.services, which holds every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.forms import ServiceErrorsMixin, StageFilterForm
from debates.following import FOLLOW_CONSENT
from debates.models import Debate, Point, Report, StatementVote
from debates.services import FOLLOW_WORDING


# The stages the list offers (a draft is nobody's business but the council's).
class DebateFilterForm(StageFilterForm):
    """The list of debates by stage."""

    stages = Debate.Stage


class PointForm(ServiceErrorsMixin, forms.Form):
    """A point for or against: one idea, short. The honeypot (`website`) and the signed moment
    the form was drawn (`started`) are drawn by hand."""

    side = forms.ChoiceField(
        label=_("Is your point for or against?"),
        choices=Point.Side.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose whether your point is for or against")},
    )
    text = forms.CharField(
        label=_("Your point"),
        help_text=_("One idea, in a sentence or two. Up to 280 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follows = forms.BooleanField(
        required=False,
        label=FOLLOW_WORDING,
        help_text=_("We will e-mail you about how the debate goes. You can stop at any time."),
    )


class EndorseForm(forms.Form):
    follows = forms.BooleanField(
        required=False,
        label=FOLLOW_WORDING,
        help_text=_("We will e-mail you about how the debate goes. You can stop at any time."),
    )


class CommentSortForm(forms.Form):
    """How a debate's comment threads are sorted, read from the address (GET)."""

    SORTS = ("best", "newest", "oldest")

    sort = forms.ChoiceField(
        label=_("Sort comments by"),
        required=False,
        choices=[("best", _("Best")), ("newest", _("Newest")), ("oldest", _("Oldest"))],
        error_messages={"invalid_choice": _("Choose best, newest or oldest")},
    )


# Conversations ----------------------------------------------------------------------------------


class StatementForm(ServiceErrorsMixin, forms.Form):
    """A resident's statement: one idea, short. The honeypot (`website`) and the signed moment
    the form was drawn (`started`) are drawn by hand."""

    text = forms.CharField(
        label=_("Your statement"),
        help_text=_(
            "One idea, in a sentence others can agree or disagree with. Up to 140 characters."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VoteForm(forms.Form):
    """Agree, disagree or pass on one statement: the button pressed gives the choice."""

    statement = forms.IntegerField(min_value=1)
    choice = forms.TypedChoiceField(coerce=int, choices=StatementVote.Choice.choices)


class ReportForm(ServiceErrorsMixin, forms.Form):
    """Why a resident reports a comment or point: a reason from a short list, and detail if
    they want to say more (needed for "Something else"). debates.moderation checks it again."""

    reason = forms.ChoiceField(
        label=_("Why are you reporting it?"),
        choices=Report.Reason.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose why you are reporting it")},
    )
    detail = forms.CharField(
        label=_("Tell us more"),
        help_text=_("Needed if you chose “Something else”. Up to 500 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowForm(ServiceErrorsMixin, forms.Form):
    """Following a debate: the consent is a box the person ticks, never ticked for them."""

    consents = forms.BooleanField(
        required=False,
        label=FOLLOW_CONSENT,
        help_text=_("You can stop following, or use the link in any of the e-mails, at any time."),
    )
