"""The forms of petitions' admin: the council's scheme, and each action on a petition's page.

Required values are checked by the services, not these forms, so the admin, the pages and the API
refuse with the same words.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from petitions.models import Petition, PetitionPolicy


class PetitionPolicyForm(forms.ModelForm):
    class Meta:
        model = PetitionPolicy
        fields = [
            "organisation",
            "department",
            "supporters_required",
            "open_days",
            "overdue_days",
            "anonymise_days",
        ]

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        department = cleaned.get("department")
        if (
            organisation is not None
            and department is not None
            and department.organisation_id != organisation.pk
        ):
            self.add_error("department", _("Choose a department of this council."))
        return cleaned


# Forms of the petition's page -------------------------------------------------------------------


def text_area(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "vLargeTextField"})


class PublishForm(forms.Form):
    pass


class RejectForm(forms.Form):
    rejection_reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[("", gettext_lazy("Choose a reason")), *Petition.Reason.choices],
        required=False,
    )
    rejection_details = forms.CharField(
        label=gettext_lazy("Explanation"),
        help_text=gettext_lazy(
            "E-mailed to the person who started the petition with the reason, and shown on the "
            "site unless the petition is hidden."
        ),
        widget=text_area(),
        required=False,
    )
    hide = forms.BooleanField(
        label=gettext_lazy("Hide it for legal reasons"),
        help_text=gettext_lazy(
            "A hidden petition is not shown on the site at all, for example if it is defamatory."
        ),
        required=False,
    )


class HideForm(forms.Form):
    pass


class RemoveForm(forms.Form):
    removed_reason = forms.CharField(
        label=gettext_lazy("Why it is removed"),
        help_text=gettext_lazy(
            "Its page will say the petition was removed; signatures stop counting. Kept in the "
            "audit log."
        ),
        widget=text_area(3),
        required=False,
    )


class ResponseForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("The council's response"),
        help_text=gettext_lazy(
            "Shown on the petition's page. The first time, signers who asked to hear are e-mailed."
        ),
        widget=text_area(8),
        required=False,
    )


class DebateDateForm(forms.Form):
    debate_date = forms.DateField(
        label=gettext_lazy("Date of the debate"),
        help_text=gettext_lazy("The meeting of full council that debates the petition."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
    )


class DebateOutcomeForm(forms.Form):
    debate_summary = forms.CharField(
        label=gettext_lazy("What the debate decided"),
        help_text=gettext_lazy(
            "Shown on the petition's page; signers who asked to hear are e-mailed."
        ),
        widget=text_area(6),
        required=False,
    )
    debate_minutes_url = forms.URLField(
        label=gettext_lazy("Link to the minutes"),
        required=False,
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )
    debate_video_url = forms.URLField(
        label=gettext_lazy("Link to the video"),
        required=False,
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )


class InvalidationForm(forms.Form):
    ip = forms.CharField(
        label=gettext_lazy("IP address or network"),
        help_text=gettext_lazy("For example 192.0.2.10, or 192.0.2.0/24 for a whole network."),
        required=False,
        max_length=50,
    )
    domain = forms.CharField(
        label=gettext_lazy("E-mail domain"),
        help_text=gettext_lazy("For example example.com: every address ending @example.com."),
        required=False,
        max_length=253,
    )
    postcode = forms.CharField(label=gettext_lazy("Postcode"), required=False, max_length=10)
    since = forms.DateTimeField(
        label=gettext_lazy("Signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        label=gettext_lazy("Signed before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why they are invalid"),
        help_text=gettext_lazy("Recorded with each signature and in the audit log."),
        required=False,
        max_length=200,
    )
