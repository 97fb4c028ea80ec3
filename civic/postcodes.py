"""UK postcodes: one normal form everywhere a postcode is entered, stored or looked up."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The outward code (area, district) and inward code (sector, unit) of a UK postcode, with the
# letters that the inward unit never uses (C, I, K, M, O, V) left out. Covers every format in
# use (A9, A99, A9A, AA9, AA99, AA9A) and the Girobank postcode GIR 0AA.
_POSTCODE = re.compile(
    r"^(?P<outward>GIR|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?))"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    """Return the postcode in its normal form ("M1 1AE"), or raise ValidationError."""
    compact = re.sub(r"\s+", "", str(value or "")).upper()
    match = _POSTCODE.match(compact)
    if not match or (match["outward"] == "GIR" and match["inward"] != "0AA"):
        raise ValidationError(_("Enter a real UK postcode, like M1 1AE"), code="invalid_postcode")
    return f"{match['outward']} {match['inward']}"


def validate_postcode(value: str) -> None:
    normalise_postcode(value)
