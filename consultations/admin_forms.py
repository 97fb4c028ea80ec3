"""The forms of consultations' admin: the consultation, its documents, questions and decisions
(the survey builder's own forms are in consultations.admin_builder). Conditions are chosen from a
list of every question and answer of the survey and checked by consultations.services.builder
against where the page or question stands.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civic.validators import validate_upload
from consultations.models import Consultation, Decision, Document, Question, Theme
from consultations.services import builder

DOCUMENT_TYPES = (".pdf", ".docx", ".xlsx", ".odt", ".ods", ".csv", ".txt")
IMAGE_TYPES = (".png", ".jpg", ".jpeg")


# Conditions in forms ----------------------------------------------------------------------------


class ConditionFormMixin:
    """A select of every question and answer of the survey in place of the JSON condition;
    the choice is checked by the builder against where the page or question stands."""

    consultation: Consultation | None = None

    def _setup_condition(self):
        self.fields["condition"] = forms.CharField(
            label=_("Show only when"),
            required=False,
            widget=forms.Select(choices=builder.condition_choices(self.consultation)),
            help_text=_("Choose an answer from an earlier page, or show this always."),
        )
        # The select's value, also what a bound form compares with to see a change.
        self.initial["condition"] = builder.condition_to_value(self.instance.condition)

    def _clean_condition(self, *, consultation: Consultation | None, page_order) -> None:
        value = self.cleaned_data.get("condition", "")
        try:
            condition = builder.condition_from_value(value)
            if condition is not None and consultation is None:
                raise ValidationError(_("Choose the page first, then the condition."))
            if condition is not None:
                condition = builder.condition_validate(
                    condition, consultation=consultation, before=page_order
                )
        except ValidationError as error:
            self.add_error("condition", error)
            return
        self.cleaned_data["condition"] = condition
        self.instance.condition = condition


# Consultations ----------------------------------------------------------------------------------


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "file", "position"]

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and "file" in self.changed_data:
            validate_upload(uploaded, allowed=DOCUMENT_TYPES)
        return uploaded

    def save(self, commit=True):
        if "file" in self.changed_data and self.instance.file:
            self.instance.size = self.instance.file.size
        return super().save(commit)


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["position", "we_asked", "you_said", "we_did", "questions", "themes"]
        widgets = {
            "we_asked": forms.Textarea(attrs={"rows": 3}),
            "you_said": forms.Textarea(attrs={"rows": 3}),
            "we_did": forms.Textarea(attrs={"rows": 3}),
            "questions": forms.CheckboxSelectMultiple,
            "themes": forms.CheckboxSelectMultiple,
        }


def limit_to_consultation(form_class, consultation: Consultation | None):
    """The decision form with questions and themes of this consultation only."""
    questions = Question.objects.filter(page__consultation=consultation).select_related("page")
    themes = Theme.objects.filter(consultation=consultation)
    if consultation is None:
        questions, themes = Question.objects.none(), Theme.objects.none()
    form_class.base_fields["questions"].queryset = questions
    form_class.base_fields["themes"].queryset = themes
    return form_class


class ConsultationForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = [
            "title",
            "slug",
            "department",
            "summary",
            "body",
            "areas",
            "topics",
            "lead_officer",
            "contact_details",
            "opens_at",
            "closes_at",
            "image",
            "image_alt",
            "allow_anonymous",
            "one_response_per_person",
        ]
        widgets = {
            "areas": forms.CheckboxSelectMultiple,
            "topics": forms.CheckboxSelectMultiple,
            # The admin draws a file field as a group under a legend, which does not name the
            # input inside it.
            "image": AdminFileWidget(attrs={"aria-label": _("Image")}),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and "image" in self.changed_data:
            validate_upload(image, allowed=IMAGE_TYPES)
        return image

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("department") or getattr(self.instance, "department", None)
        if department is None:
            return cleaned
        organisation_id = department.organisation_id
        if any(area.organisation_id != organisation_id for area in cleaned.get("areas") or []):
            self.add_error("areas", _("Choose areas of the department's own council."))
        if any(topic.organisation_id != organisation_id for topic in cleaned.get("topics") or []):
            self.add_error("topics", _("Choose topics of the department's own council."))
        lead = cleaned.get("lead_officer")
        if lead is not None and not lead.roles.filter(organisation_id=organisation_id).exists():
            self.add_error("lead_officer", _("Choose someone who works for the council."))
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The closing time must be after the opening time."))
        if cleaned.get("image") and not cleaned.get("image_alt"):
            self.add_error(
                "image_alt",
                _("Describe what the image shows, for people who cannot see it."),
            )
        return cleaned


# Questions --------------------------------------------------------------------------------------


class QuestionForm(ConditionFormMixin, forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "page",
            "position",
            "kind",
            "text",
            "help_text",
            "required",
            "max_length",
            "min_value",
            "max_value",
            "allow_other",
            "condition",
        ]
        widgets = {"help_text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_condition()

    def clean(self):
        cleaned = super().clean()
        page = cleaned.get("page") or getattr(self.instance, "page", None)
        expected = self.consultation
        if page is not None and expected is not None and page.consultation_id != expected.pk:
            self.add_error("page", _("Choose a page of the same consultation."))
        kind = cleaned.get("kind") or self.instance.kind
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and high < low:
            self.add_error("max_value", _("The largest number must not be below the smallest."))
        if cleaned.get("allow_other") and kind != Question.Kind.MULTIPLE_CHOICE:
            self.add_error("allow_other", _("'Other, please specify' is for multiple choice."))
        self._clean_condition(
            consultation=page.consultation if page is not None else None,
            page_order=builder.page_order(page) if page is not None else (0, 0),
        )
        return cleaned


# Outcome ----------------------------------------------------------------------------------------


class DecisionAdminForm(DecisionForm):
    class Meta(DecisionForm.Meta):
        fields = ["consultation", *DecisionForm.Meta.fields]

    def clean(self):
        cleaned = super().clean()
        consultation = cleaned.get("consultation") or getattr(self.instance, "consultation", None)
        if consultation is None:
            return cleaned
        if any(q.page.consultation_id != consultation.pk for q in cleaned.get("questions") or []):
            self.add_error("questions", _("Choose questions of this consultation."))
        if any(theme.consultation_id != consultation.pk for theme in cleaned.get("themes") or []):
            self.add_error("themes", _("Choose themes of this consultation."))
        return cleaned
