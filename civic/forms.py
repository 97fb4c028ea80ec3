"""What every app's forms share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy


def service_errors_onto(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal drawn on the form: next to the field it names, or above the form
    when it names none (or a field the form does not have)."""
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error)


class ServiceErrorsMixin:
    """Take a service's ValidationError (by field) onto the form's fields."""

    def add_service_errors(self, error: ValidationError) -> None:
        service_errors_onto(self, error)


class FilterForm(forms.Form):
    """The filters of a public list, read from the address (GET), so that every page of results
    can be bookmarked and the form works without JavaScript. A filter in error is shown next to
    its field and left out; the valid ones still apply (`chosen`)."""

    @cached_property
    def chosen(self) -> dict:
        """The valid filters by name; nothing when the address gives none."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    @property
    def filtered(self) -> bool:
        """Whether any filter applies: the list then says so, and offers to clear them."""
        return any(self.chosen.values())


def all_and(choices) -> list[tuple]:
    """A filter's choices after "All", the choice of no filter."""
    return [("", gettext_lazy("All")), *choices]


def by_council(rows, *, several: bool) -> list[tuple[int, str]]:
    """Areas, departments or topics as choices, each named with its council where the choices
    span several councils (one installation can serve several)."""
    return [
        (row.pk, f"{row.name} ({row.organisation.name})" if several else row.name) for row in rows
    ]


def public_stages(stages: type[models.TextChoices]) -> list[tuple[str, str]]:
    """A model's stages as a list offers them: all but the draft, which is the council's own."""
    return [(stage.value, stage.label) for stage in stages if stage != "draft"]


class StageFilterForm(FilterForm):
    """A list filtered by stage alone (debates, budget processes); `stages` is its model's."""

    stages: type[models.TextChoices]

    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a stage from the list")},
    )

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["stage"].choices = all_and(public_stages(self.stages))
