"""Forms for the event pages. They read what the browser sent and draw it back with the messages
of events.services, which holds every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.forms import FilterForm, ServiceErrorsMixin, all_and, by_council
from civic.models import Area
from civic.selectors import areas_near
from events.models import Event, EventQuestion, Registration
from events.services.registering import HEAR_WORDING, field_name


class EventFilterForm(FilterForm):
    """The list of events by time, area, type and "near me"."""

    when = forms.ChoiceField(
        label=gettext_lazy("When"),
        required=False,
        choices=[("", gettext_lazy("Upcoming")), ("past", gettext_lazy("Past events"))],
        error_messages={"invalid_choice": gettext_lazy("Choose upcoming or past events")},
    )
    area = forms.TypedChoiceField(
        label=gettext_lazy("Area"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose an area from the list")},
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=all_and(Event.Kind.choices),
        error_messages={"invalid_choice": gettext_lazy("Choose a type from the list")},
    )
    postcode = forms.CharField(
        label=gettext_lazy("Near me: your postcode"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("Shows events in the ward your postcode is in."),
    )

    def __init__(self, data, *, areas: list[Area]):
        super().__init__(data)
        several = len({area.organisation_id for area in areas}) > 1
        self.fields["area"].choices = all_and(by_council(areas, several=several))
        self.fields["postcode"].widget.attrs.update(
            {"autocomplete": "postal-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        )
        self.near_areas: list[Area] = []

    def clean_postcode(self) -> str:
        value = self.cleaned_data.get("postcode", "").strip()
        if not value:
            return ""
        postcode, self.near_areas = areas_near(value)
        return postcode


class RegistrationForm(ServiceErrorsMixin, forms.Form):
    """Booking places: who, how many, how they attend and the event's questions. The honeypot
    (`website`) and the signed moment the form was drawn (`started`) are drawn by hand; every
    rule is checked again by events.services.registration_make."""

    name = forms.CharField(label=gettext_lazy("Full name"), required=False, max_length=100)
    email = forms.CharField(
        label=gettext_lazy("E-mail address"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("We send your booking and the link to manage it here."),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("Where you live, to see which areas people come from."),
    )
    places = forms.TypedChoiceField(
        label=gettext_lazy("How many places do you need?"),
        coerce=int,
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose how many places from the list")},
    )
    attendance = forms.ChoiceField(
        label=gettext_lazy("How will you take part?"),
        choices=Registration.Attendance.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": gettext_lazy("Choose whether you will come in person or join online")
        },
    )
    hears_about_events = forms.BooleanField(label=HEAR_WORDING, required=False)

    def __init__(self, data=None, *, event: Event, questions: list[EventQuestion]):
        super().__init__(data)
        self.fields["places"].choices = [
            (number, str(number)) for number in range(1, event.places_limit + 1)
        ]
        if event.places_limit == 1:
            self.fields["places"].widget = forms.HiddenInput()
            self.initial["places"] = 1
        if event.kind != Event.Kind.HYBRID:
            del self.fields["attendance"]
        for name, attributes in {
            "name": {"autocomplete": "name", "spellcheck": "false"},
            "email": {"autocomplete": "email", "spellcheck": "false", "type": "email"},
            "postcode": {
                "autocomplete": "postal-code",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            },
        }.items():
            self.fields[name].widget.attrs.update(attributes)
        self.question_names = []
        for question in questions:
            name = field_name(question)
            self.question_names.append(name)
            if question.kind == EventQuestion.Kind.CHOICE:
                field = forms.ChoiceField(
                    label=question.wording,
                    required=False,
                    choices=[(choice, choice) for choice in question.choice_list],
                    widget=forms.RadioSelect,
                    error_messages={"invalid_choice": _("Choose an answer from the list")},
                )
            else:
                field = forms.CharField(
                    label=question.wording,
                    required=False,
                    max_length=500,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            field.show_optional = not question.required
            self.fields[name] = field

    def question_fields(self):
        return [self[name] for name in self.question_names]

    def answers(self) -> dict:
        return {name: self.data.get(name, "") for name in self.question_names}
