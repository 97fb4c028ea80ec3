"""The officers' forms for events: an event with only the fields its type needs, and a series
made at once with one event per area."""

from __future__ import annotations

from django import forms
from django.contrib.admin import widgets
from django.utils.translation import gettext_lazy as _

from civic.models import Area
from events.models import Event

BASIC_FIELDS = ["department", "series", "title", "summary", "description", "kind"]
WHEN_FIELDS = ["starts_at", "ends_at"]
# The fields each type of event needs beyond the ones every event has.
VENUE_FIELDS = ["venue_name", "address", "postcode", "in_person_capacity"]
ACCESS_FIELDS = [
    "step_free_access",
    "hearing_loop",
    "bsl_interpretation",
    "quiet_room",
    "parking",
    "public_transport",
]
ONLINE_FIELDS = ["joining_link", "online_capacity"]
REGISTRATION_FIELDS = ["registration_opens_at", "registration_closes_at", "places_limit"]


def event_fieldsets(event: Event | None) -> list:
    """What the officer sees: a new event asks its type and times first; once saved, its page
    shows the venue and access for an event in person, the link for one online, both for a
    hybrid one, and never a field that does not apply."""
    fieldsets = [(None, {"fields": BASIC_FIELDS}), (_("When"), {"fields": WHEN_FIELDS})]
    if event is None or event.pk is None:
        return fieldsets
    if event.in_person:
        fieldsets.append((_("Where"), {"fields": VENUE_FIELDS}))
        fieldsets.append((_("Access information"), {"fields": ACCESS_FIELDS}))
    if event.online:
        fieldsets.append((_("Online"), {"fields": ONLINE_FIELDS}))
    fieldsets.append((_("Registration"), {"fields": REGISTRATION_FIELDS}))
    fieldsets.append((_("What it belongs to"), {"fields": ["part_of"]}))
    return fieldsets


class EventForm(forms.ModelForm):
    part_of = forms.ChoiceField(
        label=_("Consultation, debate or budget"),
        required=False,
        help_text=_("What the event belongs to, if anything. Leave it as “None” for nothing."),
    )

    class Meta:
        model = Event
        fields = [
            *BASIC_FIELDS,
            *WHEN_FIELDS,
            *VENUE_FIELDS,
            *ACCESS_FIELDS,
            *ONLINE_FIELDS,
            *REGISTRATION_FIELDS,
        ]

    def __init__(self, *args, part_of_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        if "part_of" in self.fields:
            self.fields["part_of"].choices = [("", _("None")), *part_of_choices]
            if self.instance.part_of_type_id is not None:
                self.initial["part_of"] = (
                    f"{self.instance.part_of_type_id}:{self.instance.part_of_id}"
                )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start"))
        dated = Event(**{name: cleaned.get(name) for name in Event.SCHEDULE.fields()})
        for field, message in Event.SCHEDULE.problems(dated).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        kind = cleaned.get("kind") or self.instance.kind
        limit = cleaned.get("places_limit")
        if limit is not None and limit < 1:
            self.add_error("places_limit", _("Enter 1 or more"))
        if kind != Event.Kind.ONLINE and "in_person_capacity" in cleaned:
            capacity = cleaned.get("in_person_capacity") or 0
            if limit and capacity and limit > capacity:
                self.add_error(
                    "places_limit",
                    _("One person cannot book more places than there are in person"),
                )
        return cleaned

    def save(self, commit=True):
        if "part_of" in self.cleaned_data:
            chosen = self.cleaned_data["part_of"]
            if chosen:
                type_id, item_id = chosen.split(":")
                self.instance.part_of_type_id, self.instance.part_of_id = int(type_id), int(item_id)
            else:
                self.instance.part_of_type_id = self.instance.part_of_id = None
        return super().save(commit)


class SeriesForm(forms.ModelForm):
    """A series made at once: the events' shared words, type and times, and the areas to hold
    one in. Each event's venue is then set on its own page."""

    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One event is made in each area you choose."),
        error_messages={"required": _("Choose at least one area to hold an event in")},
    )
    summary = forms.CharField(label=_("Summary"), max_length=400)
    kind = forms.ChoiceField(label=_("Type"), choices=Event.Kind.choices)
    starts_at = forms.SplitDateTimeField(label=_("Starts"), widget=widgets.AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("Ends"), widget=widgets.AdminSplitDateTime)

    class Meta:
        model = Event.series.field.related_model
        fields = ["department", "title"]

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["areas"].queryset = areas

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start"))
        return cleaned

    def event_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("summary", "kind", "starts_at", "ends_at")
        }
