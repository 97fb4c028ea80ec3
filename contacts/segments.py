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
"email_opened" and "email_clicked", with a campaign id or "any"), so contacts never imports them;
the label and the choices they register are what the segment builder (contacts.segment_builder)
offers a facilitator.

A tag, area or consent purpose that the organisation does not have is refused with a
ValidationError rather than matching nobody, so a typo or a stale name never empties a mailing
without anyone knowing; they are all looked up in one query before the contacts are.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone

from civic.models import Area, Organisation
from contacts import kinds
from contacts.models import Activity, ConsentPurpose, Contact, Tag, live_consent_q

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

Choices = Callable[[Organisation], list[tuple[str, str]]]


@dataclass(frozen=True)
class RegisteredField:
    """A field another app added: how it becomes a query, and how the builder offers it."""

    name: str
    builder: Callable[[dict, Organisation], Q]
    label: str
    choices: Choices | None  # (value, label) pairs for an organisation; None: not offered


# Fields registered by other apps, by name.
_extra_fields: dict[str, RegisteredField] = {}


def register_field(
    name: str,
    builder: Callable[[dict, Organisation], Q],
    *,
    label: str = "",
    choices: Choices | None = None,
) -> None:
    """Add a condition: `builder(condition, organisation)` returns a Q on Contact ("not" is
    applied here). `label` names it to staff and `choices(organisation)` gives the values the
    segment builder offers; a field registered without choices is evaluated but not offered."""
    if name in FIELDS:
        raise ValueError(f"{name!r} is a field of the contacts app itself")
    _extra_fields[name] = RegisteredField(name, builder, label or name, choices)


def registered_fields() -> list[RegisteredField]:
    """The fields other apps added, in the order they were registered."""
    return list(_extra_fields.values())


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


# What a condition's value names, by field: looked up in the organisation's own rows.
LOOKED_UP = {
    "tag": "There is no tag called {value!r}: choose one of the organisation's tags",
    "area": "There is no ward with the code {value!r}: choose one of the organisation's wards",
    "consent": (
        "There is no consent purpose with the short name {value!r}: "
        "choose one of the organisation's consent purposes"
    ),
}


def _named(definition, wanted: dict[str, set[str]]) -> None:
    """Gather the tags, areas and purposes a definition names (malformed parts are left for
    _group and _condition to refuse)."""
    if not isinstance(definition, dict):
        return
    conditions = definition.get("conditions")
    if isinstance(conditions, list):
        for condition in conditions:
            _named(condition, wanted)
    field, value = definition.get("field"), definition.get("value")
    if isinstance(field, str) and field in wanted and isinstance(value, (str, int)):
        wanted[field].add(_key(field, value))


def _key(field: str, value) -> str:
    # Tags and area codes match whatever their case; a purpose's short name exactly.
    return str(value) if field == "consent" else str(value).lower()


def _lookups(definition, organisation: Organisation) -> dict[str, dict[str, int]]:
    """The named tags, areas and purposes that exist, in one query: field -> key -> pk."""
    wanted: dict[str, set[str]] = {field: set() for field in LOOKED_UP}
    _named(definition, wanted)
    found: dict[str, dict[str, int]] = {field: {} for field in LOOKED_UP}
    parts = []
    if wanted["tag"]:
        parts.append(
            Tag.objects.filter(organisation=organisation)
            .annotate(field=Value("tag", output_field=CharField()), key=Lower("name"))
            .filter(key__in=wanted["tag"])
        )
    if wanted["area"]:
        parts.append(
            Area.objects.filter(organisation=organisation)
            .annotate(field=Value("area", output_field=CharField()), key=Lower("code"))
            .filter(key__in=wanted["area"])
        )
    if wanted["consent"]:
        parts.append(
            ConsentPurpose.objects.filter(
                organisation=organisation, slug__in=wanted["consent"]
            ).annotate(field=Value("consent", output_field=CharField()), key=F("slug"))
        )
    if not parts:
        return found
    rows = [
        part.annotate(ident=F("pk")).order_by().values_list("field", "key", "ident")
        for part in parts
    ]
    query = rows[0].union(*rows[1:], all=True).order_by() if len(rows) > 1 else rows[0]
    for field, key, pk in query:
        found[field][key] = pk
    return found


def _condition(condition: dict, organisation: Organisation, known: dict) -> Q:
    if not isinstance(condition, dict):
        raise ValidationError(
            f'Each condition is an object like {{"field": ...}}, not {condition!r}'
        )
    if "conditions" in condition:
        return _group(condition, organisation, known)
    field = condition.get("field")
    value = condition.get("value")
    if not isinstance(field, str) or not isinstance(value, (str, int, type(None))):
        raise ValidationError("A condition's field is a name and its value a word or number")
    if field in _extra_fields:
        query = _extra_fields[field].builder(condition, organisation)
    elif field not in FIELDS:
        raise ValidationError(f"Unknown condition {field!r}; use one of {', '.join(field_names())}")
    elif field in LOOKED_UP and _key(field, value) not in known.get(field, {}):
        raise ValidationError(LOOKED_UP[field].format(value=value))
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
        query = live_consent_q(known["consent"][_key(field, value)])
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


def _group(group: dict, organisation: Organisation, known: dict) -> Q:
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
    result = reduce(
        combine, (_condition(condition, organisation, known) for condition in conditions)
    )
    return ~result if group.get("not") else result


def segment_queryset(*, organisation: Organisation, definition: dict) -> QuerySet[Contact]:
    """The organisation's current (not anonymised) contacts that match the definition."""
    definition = {} if definition is None else definition
    return (
        Contact.objects.active()
        .filter(organisation=organisation)
        .filter(_group(definition, organisation, _lookups(definition, organisation)))
    )
