"""The forms of the review decisions an officer takes on an idea in the admin: a reason to
publish, a cost in pounds, the idea a duplicate merges into (a choice, never an id to type), and
the check an officer confirms before a decision that cannot be undone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from budgets.models import Idea

PUBLIC_REASON = _("Shown on the idea's page and sent to its proposer and followers.")


def _reason(*, required: bool = True, help_text=PUBLIC_REASON):
    return forms.CharField(
        label=_("Reason"),
        help_text=help_text,
        required=required,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        error_messages={"required": _("Enter the reason, which is shown on the idea's page")},
    )


def _cost(*, required: bool):
    return forms.IntegerField(
        label=_("Final cost in pounds"),
        help_text=_("The council's own figure, which the ballot shows. Whole pounds."),
        required=required,
        min_value=1,
        error_messages={
            "required": _("Enter the final cost, in pounds"),
            "invalid": _("Enter the final cost as a whole number of pounds, like 12000"),
            "min_value": _("Enter a cost of at least £1"),
        },
    )


class DecisionForm(forms.Form):
    """Every decision's form is drawn for one idea (`idea=`), which a choice may depend on."""

    def __init__(self, *args, idea: Idea, **kwargs):
        super().__init__(*args, **kwargs)
        self.idea = idea


class FeasibleForm(DecisionForm):
    reason = _reason()
    final_cost = _cost(required=False)


class NotFeasibleForm(DecisionForm):
    reason = _reason()


class CostForm(DecisionForm):
    final_cost = _cost(required=True)


class NoFieldsForm(DecisionForm):
    """A decision with nothing to fill in: its page says what it does, and a button does it."""


class MergeForm(DecisionForm):
    into = forms.ModelChoiceField(
        label=_("Merge it into"),
        queryset=Idea.objects.none(),
        help_text=_(
            "The idea that carries on. Its supporters are told, and their support moves to it."
        ),
        error_messages={
            "required": _("Choose the idea to merge this one into"),
            "invalid_choice": _("Choose one of the ideas in the list"),
        },
    )
    reason = _reason(required=False, help_text=_("Optional. Shown on the merged idea's page."))
    checked = forms.BooleanField(
        label=_("I have checked that the two ideas are about the same thing"),
        error_messages={"required": _("Confirm that the two ideas are about the same thing")},
    )

    def __init__(self, *args, idea: Idea, **kwargs):
        super().__init__(*args, idea=idea, **kwargs)
        field = self.fields["into"]
        field.queryset = (
            Idea.objects.filter(
                process_id=idea.process_id,
                status__in=[Idea.Status.PROPOSED, Idea.Status.FEASIBLE, Idea.Status.ON_BALLOT],
            )
            .exclude(pk=idea.pk)
            .select_related("budget__area")
            .order_by("title")
        )
        field.label_from_instance = lambda other: (
            f"{other.title} ({other.budget.name}, {other.get_status_display().lower()})"
        )


class WithdrawForm(DecisionForm):
    reason = _reason()
    checked = forms.BooleanField(
        label=_("I understand the idea cannot come back once it is removed"),
        error_messages={"required": _("Confirm that you understand the idea cannot come back")},
    )
