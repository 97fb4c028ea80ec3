"""Segments built from choices: rows of conditions that a facilitator picks from lists, turned
into the JSON that contacts.segments evaluates (and back), so that Segment.definition, the API,
exports and sending are unchanged.

Each row is a field (tag, ward, consent purpose, ...), an operator (is, is not; on or before, on
or after for the date joined) and a value chosen from the organisation's own tags, wards,
purposes and items. Rows combine with "all" or "any", and a row may be a group of rows (one level)
that is matched or not matched as a whole. Fields other apps register with
`segments.register_field(..., label=, choices=)` are offered after contacts' own.

The form posts flat names, so the builder works without JavaScript: `match`, `conditions` (how
many rows), and for row i `c<i>-field`, `c<i>-operator`, `c<i>-value` (and `c<i>-search`, words
that narrow a long list of items), or for a group
`c<i>-group`, `c<i>-match`, `c<i>-not`, `c<i>-rows` and its rows `c<i>-<j>-...`. The buttons
`_add` ("condition", "group" or a group's key) and `_remove` (a row's key) change the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import Area, Organisation
from contacts import kinds, segments
from contacts.models import Activity, ConsentPurpose, Tag

JOINED = "joined"  # the builder's one field for joined_after and joined_before
TOOK_PART_IN = "took_part_in"
IS = [("is", gettext_lazy("is")), ("is_not", gettext_lazy("is not"))]
DATES = [("after", gettext_lazy("on or after")), ("before", gettext_lazy("on or before"))]
MOST_ROWS = 40  # a hand-made post cannot make the server draw more


@dataclass
class Field:
    """A field offered in the builder, with the organisation's values for it."""

    name: str
    label: str
    missing: str  # the error when the value is not one of `groups`' options
    # Gives the values as (group label, [(value, label), ...]) pairs, when they are first needed:
    # the items people took part in are read from every activity, so only for a row that asks.
    loader: Callable[[], list[tuple[str, list[tuple[str, str]]]]] = list
    is_date: bool = False

    @cached_property
    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return self.loader()

    @property
    def operators(self) -> list[tuple[str, str]]:
        return DATES if self.is_date else IS

    def option(self, value: str) -> str | None:
        """The stored form of `value` if it is one of the options (tags and ward codes match
        whatever their case), else None."""
        if self.is_date:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                return None
        folded = value.lower() if self.name in {"tag", "area"} else value
        for _label, options in self.groups:
            for option, _text in options:
                if option == folded or (self.name in {"tag", "area"} and option.lower() == folded):
                    return option
        return None


def _item_choices(organisation: Organisation) -> list[tuple[str, list[tuple[str, str]]]]:
    """The items the organisation's contacts took part in, grouped by kind (consultations,
    petitions, ...), as "app_label.model:id" values: found from Activity, so contacts names no
    feature app."""
    rows = (
        Activity.objects.filter(contact__organisation=organisation)
        .values_list("content_type", "object_id", "item_title")
        .order_by("content_type", "item_title", "object_id")
        .distinct()
    )
    by_kind: dict[int, list[tuple[str, str]]] = {}
    seen: set[tuple[int, str]] = set()
    for content_type_id, object_id, title in rows:
        if (content_type_id, object_id) not in seen:
            seen.add((content_type_id, object_id))
            by_kind.setdefault(content_type_id, []).append((object_id, title))
    groups = []
    for content_type_id, items in by_kind.items():
        content_type = ContentType.objects.get_for_id(content_type_id)
        model = content_type.model_class()
        kind = capfirst(model._meta.verbose_name_plural) if model else content_type.model
        prefix = f"{content_type.app_label}.{content_type.model}"
        groups.append((str(kind), [(f"{prefix}:{pk}", title) for pk, title in items]))
    return sorted(groups)


def fields_for(organisation: Organisation | None) -> dict[str, Field]:
    """Every field the builder offers, with the values of `organisation` only (none without)."""

    def values(queryset, value: str, label: str):
        if organisation is None:
            return list
        chosen = queryset.filter(organisation=organisation).values_list(value, label)
        return lambda: [("", list(chosen))]

    def ungrouped(choices):
        return lambda: [("", [(value, str(label)) for value, label in choices()])]

    fields = [
        Field(
            "tag",
            _("Tag"),
            _("Select a tag from the list"),
            values(Tag.objects.order_by("name"), "name", "name"),
        ),
        Field(
            "area",
            _("Ward"),
            _("Select a ward from the list"),
            values(Area.objects.order_by("name"), "code", "name"),
        ),
        Field(
            "consent",
            _("Consented to"),
            _("Select a consent purpose from the list"),
            values(ConsentPurpose.objects.order_by("name"), "slug", "name"),
        ),
        Field(
            TOOK_PART_IN,
            _("Took part in"),
            _("Select an item from the list"),
            (lambda: _item_choices(organisation)) if organisation else list,
        ),
        Field(
            "took_part_kind",
            _("Kind of activity"),
            _("Select a kind of activity from the list"),
            ungrouped(kinds.activity_choices),
        ),
    ]
    for extra in segments.registered_fields():
        if extra.choices is not None:
            message = _("Select an option for \u2018%(field)s\u2019 from the list") % {
                "field": extra.label
            }
            choices = extra.choices
            load = (
                ungrouped(lambda choices=choices: choices(organisation)) if organisation else list
            )
            fields.append(Field(extra.name, str(extra.label), message, load))
    fields += [
        Field(
            JOINED,
            _("Date joined"),
            _("Enter the date joined as a real date, for example 2026-03-27"),
            is_date=True,
        ),
        Field(
            "source",
            _("Source"),
            _("Select a source from the list"),
            ungrouped(kinds.source_choices),
        ),
    ]
    return {each.name: each for each in fields}


@dataclass
class Condition:
    is_group = False

    field: str = ""
    operator: str = "is"
    value: str = ""
    error: str = ""
    key: str = ""  # its names' prefix in the form: "c0", or "c1-2" inside group 1
    number: str = ""  # as staff read it: "2", or "2.3" inside a group
    search: str = ""  # words that narrow a long list of values (the items people took part in)

    def to_json(self) -> dict:
        if self.field == JOINED:
            return {"field": f"joined_{self.operator}", "value": self.value}
        if self.field == TOOK_PART_IN:
            content_type, _colon, object_id = self.value.partition(":")
            made = {"field": TOOK_PART_IN, "content_type": content_type, "object_id": object_id}
        else:
            made = {"field": self.field, "value": self.value}
        return {**made, "not": True} if self.operator == "is_not" else made


@dataclass
class Group:
    is_group = True

    match: str = "any"
    negate: bool = False
    conditions: list[Condition] = field(default_factory=list)
    key: str = ""
    number: str = ""

    def to_json(self) -> dict:
        made = {"match": self.match, "conditions": [row.to_json() for row in self.conditions]}
        return {**made, "not": True} if self.negate else made


class TooDeep(ValueError):
    """A definition written by hand with groups inside groups, which the builder cannot show."""


@dataclass
class Builder:
    match: str = "all"
    rows: list[Condition | Group] = field(default_factory=list)

    # Reading and writing the stored JSON

    @classmethod
    def from_definition(cls, definition: dict | None) -> Builder:
        definition = definition or {}
        builder = cls(match=_match(definition.get("match")))
        for row in definition.get("conditions") or []:
            if isinstance(row, dict) and "conditions" in row:
                inner = [_condition_from_json(each) for each in row.get("conditions") or []]
                group = Group(match=_match(row.get("match")), negate=bool(row.get("not")))
                group.conditions = inner
                builder.rows.append(group)
            else:
                builder.rows.append(_condition_from_json(row))
        return builder.numbered()

    def to_json(self) -> dict:
        return {"match": self.match, "conditions": [row.to_json() for row in self.rows]}

    # Reading and changing the posted rows

    @classmethod
    def from_post(cls, data) -> Builder:
        builder = cls(match=_match(data.get("match")))
        for index in range(_count(data.get("conditions"))):
            key = f"c{index}"
            if data.get(f"{key}-group"):
                group = Group(
                    match=_match(data.get(f"{key}-match")), negate=bool(data.get(f"{key}-not"))
                )
                group.conditions = [
                    _condition_from_post(data, f"{key}-{inner}")
                    for inner in range(_count(data.get(f"{key}-rows")))
                ]
                builder.rows.append(group)
            else:
                builder.rows.append(_condition_from_post(data, key))
        builder.change(add=data.get("_add", ""), remove=data.get("_remove", ""))
        return builder.numbered()

    def change(self, *, add: str, remove: str) -> None:
        """What the "Add a condition", "Add a group" and "Remove" buttons do."""
        if add == "condition" and len(self.rows) < MOST_ROWS:
            self.rows.append(Condition())
        elif add == "group" and len(self.rows) < MOST_ROWS:
            self.rows.append(Group(conditions=[Condition()]))
        elif add:
            group = self._find(add)
            if isinstance(group, Group) and len(group.conditions) < MOST_ROWS:
                group.conditions.append(Condition())
        if remove:
            outer, _dash, inner = remove.removeprefix("c").partition("-")
            if outer.isdigit() and (inner.isdigit() or not inner) and int(outer) < len(self.rows):
                row = self.rows[int(outer)]
                if not inner:
                    del self.rows[int(outer)]
                elif isinstance(row, Group) and int(inner or 0) < len(row.conditions):
                    del row.conditions[int(inner)]

    def _find(self, key: str):
        index = key.removeprefix("c")
        return self.rows[int(index)] if index.isdigit() and int(index) < len(self.rows) else None

    def numbered(self) -> Builder:
        for index, row in enumerate(self.rows):
            row.key, row.number = f"c{index}", str(index + 1)
            if isinstance(row, Group):
                for inner, condition in enumerate(row.conditions):
                    condition.key = f"c{index}-{inner}"
                    condition.number = f"{index + 1}.{inner + 1}"
        return self

    def conditions(self) -> list[Condition]:
        flat = []
        for row in self.rows:
            flat.extend(row.conditions if isinstance(row, Group) else [row])
        return flat

    # Checking the rows against the organisation's values

    def check(self, fields: dict[str, Field], *, quiet: bool = False) -> bool:
        """Whether every row names a field and one of its values, putting each stored value in
        the form it is stored in. Quietly (while the rows are being made) a row without a value
        yet has no error and a value that does not fit a newly chosen field is let go."""
        complete = True
        for condition in self.conditions():
            condition.error = ""
            chosen = fields.get(condition.field)
            if chosen is None:
                condition.field, complete = "", False
                if not quiet:
                    condition.error = _("Select what condition %(number)s is about") % {
                        "number": condition.number
                    }
                continue
            if condition.operator not in dict(chosen.operators):
                condition.operator = chosen.operators[0][0]
            stored = chosen.option(condition.value) if condition.value else None
            if stored is None:
                complete = False
                if quiet:
                    condition.value = ""
                else:
                    condition.error = chosen.missing
            else:
                condition.value = stored
        return complete

    def errors(self) -> list[tuple[Condition, str]]:
        return [(condition, condition.error) for condition in self.conditions() if condition.error]

    def drawn(self, fields: dict[str, Field]) -> Builder:
        """Give each row what its selects offer: the chosen field's operators and values, or,
        before a field is chosen, every field's values in groups (so that, without JavaScript,
        a value can be chosen in the same go as its field)."""
        conditions = self.conditions()
        everything = []
        if any(condition.field not in fields for condition in conditions):
            everything = [
                (f"{each.label}: {label}" if label else each.label, options)
                for each in fields.values()
                for label, options in each.groups
                if options
            ]
        for condition in conditions:
            chosen = fields.get(condition.field)
            condition.operators = chosen.operators if chosen else IS
            condition.is_date = bool(chosen and chosen.is_date)
            condition.groups = chosen.groups if chosen else everything
            condition.searchable = condition.field == TOOK_PART_IN
            if condition.searchable and condition.search:
                condition.groups = _found(condition.groups, condition.search, condition.value)
        return self


def _found(groups, search: str, chosen: str):
    """The options whose label holds every word searched for, and the one already chosen."""
    words = search.lower().split()
    narrowed = [
        (label, [(value, text) for value, text in options
                 if value == chosen or all(word in text.lower() for word in words)])
        for label, options in groups
    ]  # fmt: skip
    return [(label, options) for label, options in narrowed if options]


def _match(value) -> str:
    return value if value in {"all", "any"} else "all"


def _count(value) -> int:
    try:
        return max(0, min(int(value), MOST_ROWS))
    except (TypeError, ValueError):
        return 0


def _condition_from_post(data, key: str) -> Condition:
    return Condition(
        field=data.get(f"{key}-field", ""),
        operator=data.get(f"{key}-operator", "is"),
        value=data.get(f"{key}-value", "").strip(),
        search=data.get(f"{key}-search", "").strip()[:100],
    )


def _condition_from_json(row) -> Condition:
    if not isinstance(row, dict):
        return Condition()
    if "conditions" in row:
        raise TooDeep
    name = str(row.get("field", ""))
    operator = "is_not" if row.get("not") else "is"
    if name in {"joined_after", "joined_before"}:
        return Condition(JOINED, name.removeprefix("joined_"), str(row.get("value", "")))
    if name == TOOK_PART_IN:
        value = f"{row.get('content_type', '')}:{row.get('object_id', '')}"
        return Condition(name, operator, value)
    value = row.get("value")
    return Condition(name, operator, "" if value is None else str(value))
