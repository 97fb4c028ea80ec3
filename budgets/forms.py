"""Forms for the budget pages: proposing an idea, supporting one, and the filters of a process's
ideas. They read what the browser sent and draw it back with the messages of budgets.services,
which holds every rule (the same the admin and the API meet)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from budgets import voting
from budgets.allocation.wording import pounds
from budgets.models import Budget, Category, Idea, Process, citywide_first
from budgets.services import HEAR_WORDING
from civic.forms import FilterForm, ServiceErrorsMixin, StageFilterForm, all_and

_POUNDS = re.compile(r"^£?\s*(\d{1,3}(,\d{3})+|\d+)(\.00)?$")


class PoundsField(forms.CharField):
    """Whole pounds as people write them: "5000", "5,000" or "£5,000". Empty is None, for the
    service to say it is needed."""

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = _POUNDS.match(value)
        if match is None:
            raise forms.ValidationError(
                _("Enter the cost as a whole number of pounds, like 5000"), code="invalid"
            )
        return int(match.group(1).replace(",", ""))


def budget_choices(budgets: list[Budget]) -> list[tuple[int, str]]:
    """Citywide first, then the areas by name, each with its amount."""
    return [
        (
            budget.pk,
            _("%(name)s (%(amount)s)") % {"name": budget.name, "amount": pounds(budget.amount)},
        )
        for budget in citywide_first(budgets)
    ]


class ProposeForm(ServiceErrorsMixin, forms.Form):
    """An idea: what, where, what it might cost, a category, and an optional image. The honeypot
    (`website`) and the signed moment the form was drawn (`started`) are drawn by hand."""

    title = forms.CharField(
        label=_("Give your idea a title"),
        help_text=_("For example “A play area in Ancoats Park”. Up to 100 characters."),
        required=False,
    )
    description = forms.CharField(
        label=_("Describe your idea"),
        help_text=_("What it is, where, and who it would help. Up to 2,000 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    budget = forms.TypedChoiceField(
        label=_("Which area is it for?"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose the area your idea is for, or citywide")},
    )
    estimated_cost = PoundsField(
        label=_("What do you think it would cost, in pounds?"),
        help_text=_("A rough figure is fine: the council works out the final cost."),
        required=False,
    )
    category = forms.TypedChoiceField(
        label=_("Category"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose a category from the list")},
    )
    image = forms.FileField(
        label=_("A picture of the place or the idea"),
        help_text=_("A JPG or PNG file."),
        required=False,
    )
    image_alt = forms.CharField(
        label=_("Describe what the picture shows"),
        help_text=_("For people who cannot see it. Only needed with a picture."),
        required=False,
    )
    hears_progress = forms.BooleanField(
        required=False,
        label=HEAR_WORDING,
        help_text=_(
            "We will e-mail you if it goes to the vote, and how it goes after that. You can stop "
            "these e-mails at any time. We always tell you what the council decides about it."
        ),
    )

    def __init__(
        self, *args, process: Process, budgets: list[Budget], categories: list[Category], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.process = process
        self.budgets = {budget.pk: budget for budget in budgets}
        self.categories = {category.pk: category for category in categories}
        self.fields["budget"].choices = budget_choices(budgets)
        self.fields["estimated_cost"].widget.attrs.update(
            {"class": "govuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}
        )
        if categories:
            self.fields["category"].choices = [("", _("Choose a category"))] + [
                (category.pk, category.name) for category in categories
            ]
        else:
            del self.fields["category"]

    def service_arguments(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "title": cleaned.get("title", ""),
            "description": cleaned.get("description", ""),
            "budget": self.budgets.get(cleaned.get("budget")),
            "estimated_cost": cleaned.get("estimated_cost"),
            "category": self.categories.get(cleaned.get("category")),
            "image": cleaned.get("image"),
            "image_alt": cleaned.get("image_alt", ""),
            "hears_progress": cleaned.get("hears_progress", False),
        }


class SupportForm(forms.Form):
    hears_progress = forms.BooleanField(
        required=False,
        label=HEAR_WORDING,
        help_text=_(
            "We will e-mail you when the council decides whether it can be done, if it goes to "
            "the vote, and how it goes after that. You can stop these e-mails at any time."
        ),
    )


# What residents filter a process's ideas by; "on the ballot" and the review's outcomes.
IDEA_STATUSES = [
    (Idea.Status.PROPOSED, _("Proposed")),
    (Idea.Status.FEASIBLE, _("Feasible")),
    (Idea.Status.NOT_FEASIBLE, _("Not feasible")),
    (Idea.Status.ON_BALLOT, _("On the ballot")),
    (Idea.Status.MERGED, _("Merged into another idea")),
    (Idea.Status.WITHDRAWN, _("Withdrawn")),
]


class IdeaFilterForm(FilterForm):
    """A process's ideas by category, area and status."""

    category = forms.TypedChoiceField(
        label=_("Category"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a category from the list")},
    )
    budget = forms.TypedChoiceField(
        label=_("Area"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose an area from the list")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )

    def __init__(self, data, *, budgets: list[Budget], categories: list[Category]):
        super().__init__(data)
        self.fields["budget"].choices = all_and(
            (budget.pk, budget.name) for budget in citywide_first(budgets)
        )
        if categories:
            self.fields["category"].choices = all_and(
                (category.pk, category.name) for category in categories
            )
        else:
            del self.fields["category"]
        self.fields["status"].choices = all_and(IDEA_STATUSES)


class ProcessFilterForm(StageFilterForm):
    """The list of processes by stage."""

    stages = Process.Stage


# Voting ------------------------------------------------------------------------------------------


class ElectorForm(ServiceErrorsMixin, forms.Form):
    """A voter's first step: their postcode (online), the area they choose (where they may), and
    that they are old enough (where the process asks). budgets.voting.elector_register holds the
    rules; the form draws only the fields this voter is asked."""

    postcode = forms.CharField(
        label=_("Your postcode"),
        help_text=_("We use it to find your area. We do not keep it."),
        required=False,
        max_length=16,
        error_messages={"max_length": _("Enter a real postcode, like M1 1AE")},
    )
    area = forms.TypedChoiceField(
        label=_("Which area's budget do you want to vote in?"),
        help_text=_("You can choose one area. You cannot change it later."),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose the area whose budget you want to vote in")},
    )
    age_confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, areas, asks_postcode: bool, chooses_area: bool, min_age, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.pk: area for area in areas}
        self.fields["postcode"].widget.attrs.update(
            {"class": "govuk-input--width-10", "autocomplete": "postal-code", "spellcheck": "false"}
        )
        if not asks_postcode:
            del self.fields["postcode"]
        if chooses_area:
            self.fields["area"].choices = [(area.pk, area.name) for area in areas]
        else:
            del self.fields["area"]
        if min_age:
            self.fields["age_confirmed"].label = _("I am %(age)s or older") % {"age": min_age}
        else:
            del self.fields["age_confirmed"]

    def service_arguments(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "postcode": cleaned.get("postcode", ""),
            "area": self.areas.get(cleaned.get("area")),
            "age_confirmed": cleaned.get("age_confirmed", False),
        }


class BallotFilterForm(FilterForm):
    """A ballot's projects by category."""

    category = forms.TypedChoiceField(
        label=_("Category"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a category from the list")},
    )

    def __init__(self, data, *, categories: list[Category]):
        super().__init__(data)
        self.fields["category"].choices = all_and(
            (category.pk, category.name) for category in categories
        )


class CodeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Your voting code"),
        help_text=_("It is on the letter or card the council gave you, like 7KQM-X3PA-RW9C."),
        required=False,
        max_length=64,
        error_messages={"max_length": voting.CODE_NOT_VALID},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "class": "govuk-input--width-20",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        )
