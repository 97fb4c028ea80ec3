"""Fields that normalise what people type, so every app stores one form of a value."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic.postcodes import normalise_postcode


class PostcodeFormField(forms.CharField):
    """Accepts any spacing and case ("m11ae") and cleans to the normal form ("M1 1AE")."""

    default_error_messages = {"invalid_postcode": _("Enter a real UK postcode, like M1 1AE")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("label", _("Postcode"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "postal-code")
        self.widget.attrs.setdefault("spellcheck", "false")

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalise_postcode(value)


class PostcodeField(models.CharField):
    """A UK postcode column: normalised by its form field and validated on every full_clean."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("verbose_name", _("postcode"))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalise_postcode(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PostcodeFormField, **kwargs})
