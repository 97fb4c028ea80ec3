"""Forms for the petition pages: signing, starting, and the listing's filters.

Signing and starting only read what the browser sent and draw it back into GOV.UK inputs with
the messages of petitions.services, which holds every rule (the same rules the API and the
admin meet). So the text fields are not `required` here: the service says what is missing, and
the templates leave out "(optional)" for what it needs.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civic.forms import FilterForm, ServiceErrorsMixin, all_and, by_council
from petitions.models import Petition

Stage = Petition.Stage
DEBATE = "debate"  # the listing's "debated" choice: scheduled for debate, or debated

# The listing's stages, in the order it offers them.
LIST_STAGES = [
    (Stage.OPEN, _("Open")),
    (Stage.AWAITING_RESPONSE, _("Awaiting a response")),
    (Stage.RESPONDED, _("Responded")),
    (DEBATE, _("Debated, or scheduled for debate")),
    (Stage.CLOSED, _("Closed")),
    (Stage.REJECTED, _("Rejected")),
]


def _text(label, *, help_text="", autocomplete="", width="", spellcheck=None) -> forms.CharField:
    field = forms.CharField(label=label, help_text=help_text, required=False, strip=False)
    if autocomplete:
        field.widget.attrs["autocomplete"] = autocomplete
    if width:
        field.widget.attrs["class"] = width
    if spellcheck is not None:
        field.widget.attrs["spellcheck"] = "true" if spellcheck else "false"
    return field


class SignatureForm(ServiceErrorsMixin, forms.Form):
    """Signing: who signs, where they live, and an unticked choice to hear how it goes. The
    honeypot (`website`) and the signed moment the form was drawn (`started`) are drawn by hand."""

    name = _text(_("Your name"), autocomplete="name", spellcheck=False)
    email = forms.CharField(
        label=_("Your e-mail address"),
        help_text=_("We will e-mail you a link to confirm your signature. It is never shown."),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    postcode = _text(
        _("Your postcode"),
        help_text=_("To count signatures by ward. It is never shown."),
        autocomplete="postal-code",
        width="govuk-input--width-10",
        spellcheck=False,
    )
    lives_here = forms.BooleanField(required=False)
    hears_progress = forms.BooleanField(
        required=False,
        label=_("Tell me about this petition's progress"),
        help_text=_(
            "We will e-mail you when the council responds to it and when it is debated. You can "
            "stop these e-mails at any time."
        ),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lives_here"].label = _("I live, work or study in the area of %(council)s") % {
            "council": organisation.name
        }

    @staticmethod
    def service_arguments(data) -> dict:
        """What signature_sign takes, from the posted fields."""
        return {
            "name": data.get("name", ""),
            "email": data.get("email", ""),
            "postcode": data.get("postcode", ""),
            "lives_here": bool(data.get("lives_here")),
            "hears_progress": bool(data.get("hears_progress")),
            "started": data.get("started", ""),
            "honeypot": data.get("website", ""),
        }


class StartForm(ServiceErrorsMixin, forms.Form):
    """Starting a petition. The council is chosen only where more than one takes petitions."""

    organisation = forms.TypedChoiceField(
        label=_("Which council is the petition to?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the council the petition is to"),
            "invalid_choice": _("Choose the council the petition is to"),
        },
    )
    title = _text(
        _("What do you want the council to do?"),
        help_text=_(
            "Start with a verb, for example “Plant more trees on Oxford Road”. Up to 100 "
            "characters."
        ),
    )
    background = forms.CharField(
        label=_("Why should the council do it?"),
        help_text=_("Up to 1,000 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    details = forms.CharField(
        label=_("More details"),
        help_text=_("Anything else the council and signers should know. Up to 2,000 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    area = forms.TypedChoiceField(
        label=_("Which area is it about?"),
        help_text=_("Leave this if it is about the whole council area."),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose an area from the list")},
    )
    name = _text(
        _("Your name"),
        help_text=_("It is shown on the petition as the person who started it."),
        autocomplete="name",
        spellcheck=False,
    )
    postcode = _text(
        _("Your postcode"),
        help_text=_("It is never shown."),
        autocomplete="postal-code",
        width="govuk-input--width-10",
        spellcheck=False,
    )
    hears_progress = forms.BooleanField(
        required=False,
        label=_("Tell me about this petition's progress"),
        help_text=_(
            "We will e-mail you when the council responds to it and when it is debated, as well "
            "as about its moderation."
        ),
    )

    def __init__(self, *args, organisations, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        self.areas = {area.pk: area for area in areas}
        several = len(self.organisations) > 1
        if several:
            self.fields["organisation"].choices = [
                (organisation.pk, organisation.name) for organisation in organisations
            ]
        else:
            del self.fields["organisation"]
        self.fields["area"].choices = [
            ("", _("The whole council area")),
            *by_council(areas, several=several),
        ]

    def chosen_organisation(self):
        if "organisation" not in self.fields:
            return next(iter(self.organisations.values()))
        return self.organisations.get(self.cleaned_data.get("organisation"))

    def service_arguments(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "organisation": self.chosen_organisation(),
            "title": cleaned.get("title", ""),
            "background": cleaned.get("background", ""),
            "details": cleaned.get("details", ""),
            "area": self.areas.get(cleaned.get("area")),
            "name": cleaned.get("name", ""),
            "postcode": cleaned.get("postcode", ""),
            "hears_progress": cleaned.get("hears_progress", False),
        }


class PetitionFilterForm(FilterForm):
    """The listing's filters."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        error_messages={"invalid_choice": _("Choose a stage from the list")},
    )
    area = forms.TypedChoiceField(
        label=_("Area"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose an area from the list")},
    )

    def __init__(self, data, *, areas):
        super().__init__(data)
        several = len({area.organisation_id for area in areas}) > 1
        self.fields["stage"].choices = all_and(LIST_STAGES)
        self.fields["area"].choices = all_and(by_council(areas, several=several))
        self.fields["q"].widget.input_type = "search"
