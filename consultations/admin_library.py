"""The council's library of saved questions in the admin.

/admin/consultations/savedquestion/ lists the organisation's saved questions (kept from the
survey builder with "Save to the library"), each with a link to add it to a survey page. Every
officer of the council may see and use the library; its admins keep it tidy: they rename a
question, change its hint or its answers, and delete it (consultations.rules). Nothing is added
here: a question is written, and tried, in a survey first.

.../savedquestion/<id>/use/ adds the saved question to a survey page the officer runs, chosen
from a list, through consultations.services.copying.question_add_from_library, and leads to
that page in the survey builder. Another council's staff get 404 for every URL of a saved
question, as for one that does not exist (ScopedModelAdmin).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import AdminPagesMixin, ScopedModelAdmin, refusal_text
from civic.models import Role
from civic.selectors import scope_to_department, scope_to_organisation
from consultations.admin_builder import page_url
from consultations.models import SavedQuestion, SurveyPage
from consultations.services import copying
from consultations.services.editing import USES_OPTIONS


class SavedQuestionForm(forms.ModelForm):
    """The saved question's wording and settings; its answers one on each line, not JSON."""

    answers = forms.CharField(
        label=gettext_lazy("Answers to choose from"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One answer on each line, in the order residents see them."),
    )

    class Meta:
        model = SavedQuestion
        fields = ["text", "help_text", "required"]
        widgets = {"help_text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind not in USES_OPTIONS:
            del self.fields["answers"]
        else:
            self.initial["answers"] = "\n".join(self.instance.options or [])

    def clean_answers(self):
        labels = [line.strip() for line in self.cleaned_data["answers"].splitlines()]
        labels = [label for label in labels if label]
        if len(labels) < 2:
            raise ValidationError(_("Enter at least two answers to choose from, one on each line"))
        repeated = next((label for label in labels if labels.count(label) > 1), None)
        if repeated:
            raise ValidationError(
                _("Each answer must be different: “%(label)s” is there twice") % {"label": repeated}
            )
        return labels

    def save(self, commit=True):
        if "answers" in self.cleaned_data:
            self.instance.options = self.cleaned_data["answers"]
        return super().save(commit)


class UseForm(forms.Form):
    page = forms.ModelChoiceField(
        label=gettext_lazy("Survey page"),
        queryset=SurveyPage.objects.none(),
        empty_label=gettext_lazy("Choose a page"),
        error_messages={"required": gettext_lazy("Choose the survey page to add the question to")},
        help_text=gettext_lazy("The question is added at the end of the page."),
    )

    def __init__(self, *args, pages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = pages
        # Each page's number in its survey (1, 2, ...), as officers count them.
        numbers, counted = {}, {}
        every_page = SurveyPage.objects.filter(
            consultation_id__in=pages.values("consultation_id")
        ).order_by("consultation_id", "position", "pk")
        for page_id, consultation_id in every_page.values_list("pk", "consultation_id"):
            counted[consultation_id] = counted.get(consultation_id, 0) + 1
            numbers[page_id] = counted[consultation_id]
        self.fields["page"].label_from_instance = lambda page: (
            _("%(consultation)s: page %(number)d, “%(page)s”")
            % {
                "consultation": page.consultation.title,
                "number": numbers.get(page.pk, 0),
                "page": page.title,
            }
        )


@admin.register(SavedQuestion)
class SavedQuestionAdmin(AdminPagesMixin, ScopedModelAdmin):
    form = SavedQuestionForm
    organisation_path = "organisation"
    list_display = ["text", "kind_label", "answers_label", "use_link"]
    list_display_links = ["text"]
    search_fields = ["text"]
    list_filter = ["kind"]
    readonly_fields = ["kind"]

    def get_queryset(self, request):
        # Those who run consultations use the library: officers and organisation admins.
        queryset = SavedQuestion.objects.select_related("organisation")
        return scope_to_organisation(
            queryset, request.user, kinds=(Role.Kind.OFFICER, Role.Kind.ORGANISATION_ADMIN)
        )

    def get_fields(self, request, obj=None):
        fields = ["kind", "text", "help_text", "required"]
        if obj is not None and obj.kind in USES_OPTIONS:
            fields.append("answers")
        return fields

    def has_add_permission(self, request):
        # Questions come into the library from a survey ("Save to the library").
        return False

    @admin.display(description=gettext_lazy("type"), ordering="kind")
    def kind_label(self, saved: SavedQuestion) -> str:
        return saved.get_kind_display()

    @admin.display(description=gettext_lazy("answers to choose from"))
    def answers_label(self, saved: SavedQuestion) -> str:
        return ", ".join(saved.options or []) or _("None")

    @admin.display(description=gettext_lazy("use it"))
    def use_link(self, saved: SavedQuestion) -> str:
        return format_html(
            '<a href="{}" aria-label="{}">{}</a>',
            reverse("admin:consultations_savedquestion_use", args=[saved.pk]),
            _("Add to a survey page: %(question)s") % {"question": saved.text},
            _("Add to a survey page"),
        )

    # Removing goes through the service: its permission and its audit entry.

    def delete_model(self, request, obj):
        copying.saved_question_delete(saved=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for saved in queryset:
            copying.saved_question_delete(saved=saved, actor=request.user)

    # Adding a saved question to a survey page --------------------------------------------------

    def admin_pages(self):
        return [self.page_path("<int:object_id>/use/", self.use_view, "use")]

    def use_view(self, request, object_id):
        saved = self.page_object(request, object_id, permission="consultations.view_savedquestion")
        pages = scope_to_department(
            SurveyPage.objects.filter(
                consultation__department__organisation_id=saved.organisation_id
            ).select_related("consultation"),
            request.user,
            department_path="consultation__department",
            organisation_path="consultation__department__organisation",
        ).order_by("-consultation__opens_at", "consultation_id", "position", "pk")
        form = UseForm(request.POST or None, pages=pages)
        if request.method == "POST" and form.is_valid():
            page = form.cleaned_data["page"]
            try:
                question = copying.question_add_from_library(
                    saved=saved, page=page, actor=request.user
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error("page", refusal_text(error))
            else:
                self.message_user(
                    request,
                    _("“%(question)s” is added to “%(page)s” from the library.")
                    % {"question": question.text, "page": page.title},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(page_url(page, page.consultation))
        return self.page_response(
            request,
            "admin/consultations/savedquestion/use.html",
            {
                "title": _("Add “%(question)s” to a survey page") % {"question": saved.text},
                "saved": saved,
                "form": form,
                "list_url": reverse("admin:consultations_savedquestion_changelist"),
            },
        )
