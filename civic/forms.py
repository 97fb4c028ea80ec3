"""What every app's forms share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


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
