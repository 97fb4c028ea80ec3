"""Consultations, their questions and the outcome, in the admin.

The consultation's page holds its details and its documents. Its survey and its outcome have
pages of their own, reached by the row of links at the top of each (consultation_tabs): the
survey builder (consultations.admin_builder), one form per survey page with all its questions,
written through consultations.services.editing; and the outcome (consultations.admin_outcome),
its decisions with their follow-up actions (DecisionAdmin) and the check before publishing it.
Each question also keeps the admin's own page (the list of questions, and a link from search),
whose saving leads back to its page in the builder.

Conditions are chosen from the answers of the survey; one that points at this page or a later
one, or at an option that is gone, is refused next to the field
(consultations.services.builder). Officers may change wording once responses arrive, but an
option or question somebody answered is never removed: the answers hold it (on_delete=PROTECT),
and the admin says so on the page instead of failing.

Publishing the consultation and its outcome (each a button, then a check page) and the
follow-up actions go through consultations.services, so that the permission checks, the audit
log and the e-mails to residents live in one place. The forms are in consultations.admin_forms,
the actions on consultations in consultations.admin_actions, the survey builder in
consultations.admin_builder, the outcome in consultations.admin_outcome, the library of saved
questions in consultations.admin_library, and the pages about responses in
consultations.admin_results.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, ProtectedError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rules.contrib.admin import ObjectPermissionsTabularInline

from civic.admin_base import AdminPagesMixin, InlineAuditMixin, ScopedModelAdmin
from civic.models import Area, User
from civic.rules import organisations_with_role
from civic.selectors import scope_to_department, scope_to_organisation
from consultations import services
from consultations.admin_actions import (
    ConsultationActionsMixin,
    consultation_admin_url,
    consultation_tabs,
)
from consultations.admin_builder import builder_urls, page_url
from consultations.admin_forms import (
    ConsultationForm,
    DecisionAdminForm,
    DocumentForm,
    QuestionForm,
    limit_to_consultation,
)
from consultations.admin_library import SavedQuestionAdmin  # noqa: F401 (registers the library)
from consultations.admin_outcome import outcome_url, outcome_urls
from consultations.admin_results import results_urls
from consultations.models import (
    Consultation,
    Decision,
    Document,
    FollowUpAction,
    Option,
    Question,
    SurveyPage,
    Topic,
)
from consultations.services import builder

# Shared behaviour -------------------------------------------------------------------------------


class AnswersKeptMixin:
    """Deleting something residents answered is refused with a message, never a server error.

    `answered(obj)` says beforehand; a ProtectedError from answers that arrived meanwhile is
    caught the same way (the admin's view is atomic, so nothing was removed)."""

    answered_message = _("Residents have answered “%(object)s”, so it cannot be removed.")

    def answered(self, obj) -> bool:
        raise NotImplementedError

    def _refuse(self, request, obj, url: str):
        self.message_user(request, self.answered_message % {"object": obj}, messages.ERROR)
        return HttpResponseRedirect(url)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        change_url = request.path.rsplit("/delete/", 1)[0] + "/change/"
        if obj is not None and self.has_delete_permission(request, obj) and self.answered(obj):
            return self._refuse(request, obj, change_url)
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError:
            return self._refuse(request, obj, change_url)

    def response_action(self, request, queryset, *args, **kwargs):
        try:
            return super().response_action(request, queryset, *args, **kwargs)
        except ProtectedError:
            self.message_user(
                request,
                _("Residents have answered some of these, so nothing was removed."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ProtectedError:
            self.message_user(
                request,
                _("Residents have just answered something you removed, so nothing was saved. "
                  "Check the page and save again."),
                messages.ERROR,
            )  # fmt: skip
            return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        # Django would list every protected answer; a count says enough.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            protected = [
                ngettext(
                    "%(count)d answer from residents", "%(count)d answers from residents", count
                )
                % {"count": count}
                for count in [len(protected)]
            ]
        return deleted, counts, perms_needed, protected


class AnsweredRowsKeptInlineMixin:
    """An inline whose rows cannot be removed once residents answered them: the officer reads
    why above the rows (Django's own check would list every answer that holds the row)."""

    refused = _("Residents have answered “%(object)s”, so it cannot be removed. You can still "
                "change its wording.")  # fmt: skip

    def answered(self, obj) -> bool:
        raise NotImplementedError

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        inline = self

        class KeepAnsweredForm(formset.form):
            def hand_clean_DELETE(self):
                deleting = self.cleaned_data.get("DELETE", False)
                if deleting and self.instance.pk is not None and inline.answered(self.instance):
                    raise ValidationError(
                        inline.refused % {"object": self.instance}, code="answered"
                    )
                super().hand_clean_DELETE()

        formset.form = KeepAnsweredForm
        return formset


# Consultations ----------------------------------------------------------------------------------


class DocumentInline(ObjectPermissionsTabularInline):
    model = Document
    form = DocumentForm
    extra = 0
    fields = ["title", "file", "position", "size"]
    readonly_fields = ["size"]
    verbose_name_plural = _("Documents residents can download")


class StageFilter(admin.SimpleListFilter):
    title = _("stage")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return Consultation.Stage.choices

    def queryset(self, request, queryset):
        if self.value() in Consultation.Stage.values:
            return queryset.filter(pk__in=Consultation.objects.in_stage(self.value()).values("pk"))
        return queryset


@admin.register(Consultation)
class ConsultationAdmin(
    AnswersKeptMixin,
    InlineAuditMixin,
    ConsultationActionsMixin,
    AdminPagesMixin,
    ScopedModelAdmin,
):
    form = ConsultationForm
    department_path = "department"
    list_display = ["title", "stage_label", "department", "opens_at", "closes_at"]
    list_filter = [
        StageFilter,
        ("department", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["department__organisation"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "department", "summary", "body", "stage_label"]}),
        (_("Where and what"), {"fields": ["areas", "topics"]}),
        (_("Who to ask"), {"fields": ["lead_officer", "contact_details"]}),
        (_("When"), {"fields": ["opens_at", "closes_at", "published_at", "outcome_published_at"]}),
        (_("Image"), {"fields": ["image", "image_alt"]}),
        (_("Who may respond"), {"fields": ["allow_anonymous", "one_response_per_person"]}),
    ]
    inlines = [DocumentInline]
    change_form_template = "admin/consultations/consultation/change_form.html"
    answered_message = _(
        "Residents have responded to “%(object)s”, so it cannot be removed. Unpublished drafts "
        "without responses can be."
    )

    def answered(self, consultation: Consultation) -> bool:
        return consultation.responses.exists()

    # Lists and choices --------------------------------------------------------------------------

    @admin.display(description=_("stage"))
    def stage_label(self, consultation: Consultation) -> str:
        if consultation.pk is None:
            return Consultation.Stage.DRAFT.label
        return Consultation.Stage(consultation.stage_at(self._now)).label

    @property
    def _now(self):
        return timezone.now()

    def get_readonly_fields(self, request, obj=None):
        readonly = ["stage_label", "published_at", "outcome_published_at"]
        if obj is not None and obj.published_at is not None:
            # Links to a published consultation are out there: its address stays.
            readonly.append("slug")
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return {}
        return super().get_prepopulated_fields(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Area:
            kwargs["queryset"] = scope_to_organisation(Area.objects.all(), request.user)
        elif db_field.related_model is Topic:
            kwargs["queryset"] = scope_to_organisation(Topic.objects.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lead_officer":
            staff = User.objects.filter(is_active=True, is_staff=True)
            if not request.user.is_superuser:
                staff = staff.filter(roles__organisation__in=organisations_with_role(request.user))
            kwargs["queryset"] = staff.distinct().order_by("name", "email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def view_on_site(self, consultation: Consultation):
        if consultation.published_at is None:
            return None
        return reverse("consultations:detail", args=[consultation.slug])

    # Pages --------------------------------------------------------------------------------------

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/preview/", self.preview_view, "preview"),
            # The check before publishing, and publishing (consultations.admin_actions).
            *self.publishing_pages(),
            # The survey, page by page (consultations.admin_builder).
            *builder_urls(self),
            # The outcome, and the check before publishing it (consultations.admin_outcome).
            *outcome_urls(self),
            # Results, free text, exports and published responses (consultations.admin_results).
            *results_urls(self),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        consultation = self.get_object(request, object_id)
        extra = {}
        if consultation is not None and self.has_view_permission(request, consultation):
            extra = {
                "preview_url": reverse(
                    "admin:consultations_consultation_preview", args=[consultation.pk]
                ),
                **self.publishing_context(request, consultation),
                "tabs": consultation_tabs(request, consultation, "details"),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def preview_view(self, request, object_id):
        """The survey as residents see it, every page at once and nothing to submit."""
        consultation = self.get_object(request, str(object_id))
        if consultation is None:
            raise Http404(_("No such consultation."))
        if not self.has_view_permission(request, consultation):
            raise PermissionDenied
        pages = list(consultation.pages.prefetch_related("questions__options"))
        questions = {question.pk: question for page in pages for question in page.questions.all()}
        for page in pages:
            page.condition_text = builder.condition_describe(page.condition, questions)
            for question in page.questions.all():
                question.condition_text = builder.condition_describe(question.condition, questions)
        # Drawn in the public site's layout, so without the admin's context.
        return TemplateResponse(
            request,
            "admin/consultations/consultation/preview.html",
            {
                "consultation": consultation,
                "pages": pages,
                "change_url": consultation_admin_url(consultation),
                "title": _("Preview of %(title)s") % {"title": consultation.title},
            },
        )


# Questions --------------------------------------------------------------------------------------


class OptionInline(AnsweredRowsKeptInlineMixin, ObjectPermissionsTabularInline):
    model = Option
    extra = 3
    fields = ["position", "label"]
    verbose_name_plural = _("Options (for choice, dropdown, scale and ranking questions)")
    refused = _("Residents have chosen “%(object)s”, so it cannot be removed. You can still "
                "change its wording.")  # fmt: skip

    def answered(self, option) -> bool:
        return option.choices.exists()

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            return 3
        if not obj.has_options:
            return 0
        return 1 if obj.options.exists() else 3


@admin.register(Question)
class QuestionAdmin(AnswersKeptMixin, InlineAuditMixin, ScopedModelAdmin):
    form = QuestionForm
    department_path = "page__consultation__department"
    list_display = ["text", "kind", "page", "consultation", "position"]
    list_filter = [("page__consultation", admin.RelatedOnlyFieldListFilter), "kind"]
    list_select_related = ["page__consultation"]
    search_fields = ["text"]
    fields = QuestionForm.Meta.fields
    inlines = [OptionInline]
    answered_message = _(
        "Residents have answered “%(object)s”, so it cannot be removed. You can still change "
        "its wording."
    )

    def answered(self, question: Question) -> bool:
        return question.answers.exists()

    @admin.display(description=_("consultation"))
    def consultation(self, question: Question) -> Consultation:
        return question.page.consultation

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("page__consultation__department")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "page":
            pages = SurveyPage.objects.select_related("consultation")
            kwargs["queryset"] = scope_to_department(
                pages,
                request.user,
                department_path="consultation__department",
                organisation_path="consultation__department__organisation",
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "page":
            field.label_from_instance = lambda page: f"{page.consultation}: {page.title}"
        return field

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.answers.exists():
            # Answers were given to this kind of question: what they mean stays.
            return ["kind"]
        return []

    def _consultation_for(self, request, obj) -> Consultation | None:
        if obj is not None:
            return obj.page.consultation
        page_id = request.POST.get("page") or request.GET.get("page")
        if not page_id or not str(page_id).isdigit():
            return None
        field = self.formfield_for_foreignkey(Question._meta.get_field("page"), request)
        page = field.queryset.filter(pk=page_id).first()
        return page.consultation if page is not None else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("QuestionForm", (form,), {"consultation": self._consultation_for(request, obj)})

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        page_id = initial.get("page")
        if page_id and str(page_id).isdigit() and "position" not in initial:
            last = (
                Question.objects.filter(page_id=page_id)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            initial["position"] = 0 if last is None else last + 1
        return initial

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question = form.instance
        if question.has_options and not question.options.exists():
            self.message_user(
                request,
                _("“%(question)s” has no options yet: add the answers residents choose from.")
                % {"question": question.text},
                messages.WARNING,
            )

    def _back_to_consultation(self, request, obj):
        """Back to the builder's page that holds the question."""
        return HttpResponseRedirect(page_url(obj.page, obj.page.consultation))

    def response_post_save_add(self, request, obj):
        return self._back_to_consultation(request, obj)

    def response_post_save_change(self, request, obj):
        return self._back_to_consultation(request, obj)


# Outcome ----------------------------------------------------------------------------------------


class FollowUpActionInline(ObjectPermissionsTabularInline):
    model = FollowUpAction
    extra = 1
    fields = ["description", "status", "updated_at"]
    readonly_fields = ["updated_at"]


@admin.register(Decision)
class DecisionAdmin(InlineAuditMixin, ScopedModelAdmin):
    """A decision of the outcome with its follow-up actions. Residents who asked to hear are
    told when an action's status changes, so status changes go through the service."""

    form = DecisionAdminForm
    department_path = "consultation__department"
    list_display = ["__str__", "consultation", "position"]
    list_filter = [("consultation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["consultation"]
    inlines = [FollowUpActionInline]

    def get_readonly_fields(self, request, obj=None):
        return ["consultation"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "consultation":
            kwargs["queryset"] = scope_to_department(Consultation.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        consultation = obj.consultation if obj is not None else None
        if consultation is None:
            chosen = request.POST.get("consultation") or request.GET.get("consultation")
            if chosen and str(chosen).isdigit():
                consultation = scope_to_department(
                    Consultation.objects.filter(pk=chosen), request.user
                ).first()
        if "questions" in form.base_fields:
            limit_to_consultation(form, consultation)
        return form

    def save_formset(self, request, form, formset, change):
        if formset.model is not FollowUpAction:
            return super().save_formset(request, form, formset, change)
        # Rows are saved with their old status; a new status goes through the service, which
        # records it and tells residents once the outcome is public.
        moves = []
        for action_form in formset.forms:
            action = action_form.instance
            if action.pk is not None and "status" in action_form.changed_data:
                moves.append((action, action_form.cleaned_data["status"]))
                action.status = action_form.initial["status"]
        super().save_formset(request, form, formset, change)
        told = 0
        for action, status in moves:
            told += services.action_status_change(action=action, status=status, actor=request.user)
        if moves and told:
            self.message_user(
                request,
                ngettext(
                    "%(count)d resident will be told about the change.",
                    "%(count)d residents will be told about the change.",
                    told,
                )
                % {"count": told},
                messages.SUCCESS,
            )
        return None

    # Each decision is written from its consultation's outcome page, and leads back there.

    def response_post_save_add(self, request, obj):
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_post_save_add(request, obj)
        return HttpResponseRedirect(outcome_url(obj.consultation) + f"#decision-{obj.pk}")

    def response_post_save_change(self, request, obj):
        return HttpResponseRedirect(outcome_url(obj.consultation) + f"#decision-{obj.pk}")

    def delete_model(self, request, obj):
        request.outcome_consultation = obj.consultation
        super().delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        consultation = getattr(request, "outcome_consultation", None)
        if consultation is None:
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(request, _("The decision is deleted from the outcome."), messages.SUCCESS)
        return HttpResponseRedirect(outcome_url(consultation))


@admin.register(Topic)
class TopicAdmin(ScopedModelAdmin):
    list_display = ["name", "organisation", "consultation_count"]
    list_select_related = ["organisation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(consultation_total=Count("consultations"))

    @admin.display(description=_("consultations"), ordering="consultation_total")
    def consultation_count(self, topic: Topic) -> int:
        return topic.consultation_total
