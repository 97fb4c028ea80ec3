"""Segment definitions turned into one database query.

Conditions (each may carry "not": true):
  {"field": "tag", "value": "<tag name>"}
  {"field": "area", "value": "<ONS area code>"}
  {"field": "source", "value": "import|survey|petition|event|sign_up|typed_in"}
  {"field": "consent", "value": "<consent purpose slug>"}        live consent for that purpose
  {"field": "took_part_in", "content_type": "<app_label.model>", "object_id": "<id>"}
  {"field": "took_part_kind", "value": "response|signature|rsvp|vote|contribution"}
  {"field": "joined_after", "value": "YYYY-MM-DD"}  /  {"field": "joined_before", ...}
  {"match": "all"|"any", "conditions": [...]}                     a nested group
Apps above contacts add fields of their own with `register_field` (mailing adds e-mail engagement:
"email_opened" and "email_clicked", with a campaign id or "any"), so contacts never imports them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from civic.models import Organisation
from contacts import kinds
from contacts.models import Activity, ConsentPurpose, Contact, live_consent_q

FIELDS = {
    "tag",
    "area",
    "source",
    "consent",
    "took_part_in",
    "took_part_kind",
    "joined_after",
    "joined_before",
}
NOTHING = Q(pk__in=[])

# Fields registered by other apps: name -> function(condition, organisation) -> Q.
_extra_fields: dict[str, Callable[[dict, Organisation], Q]] = {}


def register_field(name: str, builder: Callable[[dict, Organisation], Q]) -> None:
    if name in FIELDS:
        raise ValueError(f"{name!r} is a field of the contacts app itself")
    _extra_fields[name] = builder


def field_names() -> list[str]:
    return sorted(FIELDS | set(_extra_fields))


def _date(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a date written as YYYY-MM-DD") from None


def _start_of(day: date) -> datetime:
    """Midnight at the start of a day in the site's time zone, so the index on created_at serves."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _condition(condition: dict, organisation: Organisation) -> Q:
    if not isinstance(condition, dict):
        raise ValidationError(
            f'Each condition is an object like {{"field": ...}}, not {condition!r}'
        )
    if "conditions" in condition:
        return _group(condition, organisation)
    field = condition.get("field")
    value = condition.get("value")
    if not isinstance(field, str) or not isinstance(value, (str, int, type(None))):
        raise ValidationError("A condition's field is a name and its value a word or number")
    if field in _extra_fields:
        query = _extra_fields[field](condition, organisation)
    elif field not in FIELDS:
        raise ValidationError(f"Unknown condition {field!r}; use one of {', '.join(field_names())}")
    elif field == "tag":
        query = Q(
            Exists(
                Contact.tags.through.objects.filter(
                    contact_id=OuterRef("pk"),
                    tag__organisation=organisation,
                    tag__name__iexact=value,
                )
            )
        )
    elif field == "area":
        query = Q(area__organisation=organisation, area__code__iexact=value)
    elif field == "source":
        if not kinds.is_source(value):
            raise ValidationError(f"Unknown source {value!r}")
        query = Q(source=value)
    elif field == "consent":
        purpose = ConsentPurpose.objects.filter(organisation=organisation, slug=value).first()
        query = live_consent_q(purpose.pk) if purpose else NOTHING
    elif field == "took_part_in":
        app_label, _dot, model = str(condition.get("content_type", "")).partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            raise ValidationError(f"Unknown kind of item {condition.get('content_type')!r}")
        query = Q(
            Exists(
                Activity.objects.filter(
                    contact=OuterRef("pk"),
                    content_type=content_type,
                    object_id=str(condition.get("object_id")),
                )
            )
        )
    elif field == "took_part_kind":
        if not kinds.is_activity(value):
            raise ValidationError(f"Unknown kind of participation {value!r}")
        query = Q(Exists(Activity.objects.filter(contact=OuterRef("pk"), kind=value)))
    elif field == "joined_after":
        query = Q(created_at__gte=_start_of(_date(value)))
    else:
        query = Q(created_at__lt=_start_of(_date(value) + timedelta(days=1)))
    return ~query if condition.get("not") else query


def _group(group: dict, organisation: Organisation) -> Q:
    if not isinstance(group, dict):
        raise ValidationError("The conditions are a JSON object")
    match = group.get("match", "all")
    if not isinstance(match, str) or match not in {"all", "any"}:
        raise ValidationError(f"A group matches 'all' or 'any', not {match!r}")
    conditions = group.get("conditions") or []
    if not isinstance(conditions, list):
        raise ValidationError("A group's conditions are a list")
    if not conditions:
        return Q() if match == "all" else NOTHING
    combine = operator.and_ if match == "all" else operator.or_
    result = reduce(combine, (_condition(condition, organisation) for condition in conditions))
    return ~result if group.get("not") else result


def segment_queryset(*, organisation: Organisation, definition: dict) -> QuerySet[Contact]:
    """The organisation's current (not anonymised) contacts that match the definition."""
    return (
        Contact.objects.active()
        .filter(organisation=organisation)
        .filter(_group({} if definition is None else definition, organisation))
    )
