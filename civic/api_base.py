"""What every viewset of the open data API shares, so that its schema says everything it answers.

- `AutoSchema` documents the errors every operation can give: 400 (a filter or page the API cannot
  use, or a character it refuses, civic.middleware) and 404 (no such item, or a page past the
  end). The API is read-only and open to all, so it never answers 401 or 403.
- `civic.pagination.ApiPagination` answers a page that is not a whole number of 1 or more with a
  400 naming `page` (DRF answers 404); a page past the last is still a 404.
- `FilteredListMixin` checks a list's filters with a serializer (`filters_class`), which also
  gives the schema its query parameters: a value outside an enum is a 400 naming the parameter and
  listing the values it takes, not an empty list.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# A slug or a code: what the API's path and filter values look like (and all it will look up).
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
SLUG_REGEX = "[-a-zA-Z0-9_]+"
ID_REGEX = "[0-9]+"

BAD_REQUEST = OpenApiResponse(
    response={
        "type": "object",
        "description": (
            "`detail` when the request cannot be read at all; otherwise each query parameter "
            "that was refused, with what is wrong with it."
        ),
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="A filter or page the API cannot use, or a character it refuses.",
)
NOT_FOUND = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    description="No such item, or a page past the last.",
)


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, response in (("400", BAD_REQUEST), ("404", NOT_FOUND)):
                responses.setdefault(code, self._get_response_for_code(response, code))
        return responses


class ChoiceFilter(serializers.ChoiceField):
    """A filter with a fixed set of values; the error names them."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices, **kwargs)
        values = ", ".join(str(value) for value in self.choices)
        self.error_messages["invalid_choice"] = _("Use one of: %(values)s.") % {"values": values}


class SlugFilter(serializers.CharField):
    """A slug or code to filter by."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(
                SLUG_PATTERN,
                _("Use only letters, numbers, hyphens and underscores."),
            )
        )


class FilteredListMixin:
    """A list viewset whose query parameters are `filters_class`'s fields, checked before use."""

    filters_class: type[serializers.Serializer]

    def filters(self) -> dict:
        if not hasattr(self, "_filters"):
            # A plain dict, not the QueryDict: DRF reads a blank value in form data as "not
            # given", and the schema says a filter, when given, is not blank.
            checked = self.filters_class(data=self.request.query_params.dict())
            checked.is_valid(raise_exception=True)
            self._filters = checked.validated_data
        return self._filters
