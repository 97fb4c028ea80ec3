"""Debates in the admin, for the officers of the department that runs each debate and their
organisation's admins: the question, its background and dates, the consultation it informs
(chosen from the council's own), and a Publish page with its check."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import AdminPagesMixin, Publishing, ScopedModelAdmin
from civic.selectors import scope_to_organisation
from debates import services
from debates.admin_conclusion import conclusion_url, conclusion_urls
from debates.admin_conversations import ConversationAdmin
from debates.admin_moderation import DebateModerationMixin  # also registers the queue and blocks
from debates.admin_proposals import DebateSpaceAdmin, reject_url, reject_urls, waiting
from debates.following import CONCLUDE
from debates.models import RESERVED_DEBATE_SLUGS, Debate

PUBLISH = "debates.publish_debate"


class DebateForm(forms.ModelForm):
    class Meta:
        model = Debate
        fields = [
            "department",
            "question",
            "slug",
            "summary",
            "background",
            "consultation",
            *Debate.SCHEDULE.fields(),
        ]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_DEBATE_SLUGS:
            raise ValidationError(
                _("Choose another web address: “%(slug)s” is taken by the site's own pages")
                % {"slug": slug}
            )
        return slug

    def clean(self):
        cleaned = super().clean()
        dated = Debate(**{name: cleaned.get(name) for name in Debate.SCHEDULE.fields()})
        for field, message in Debate.SCHEDULE.problems(dated).items():
            if field in self.fields:
                self.add_error(field, message)
        return cleaned


@admin.register(Debate)
class DebateAdmin(DebateModerationMixin, AdminPagesMixin, ScopedModelAdmin):
    form = DebateForm
    department_path = "department"
    organisation_path = None
    list_display = [
        "question",
        "department",
        "status",
        "stage_display",
        "opens_at",
        "closes_at",
        "proposed_display",
    ]
    list_filter = ["status", "space"]
    list_select_related = ["department__organisation"]
    search_fields = ["question"]
    prepopulated_fields = {"slug": ["question"]}
    change_form_template = "admin/debates/debate/change_form.html"
    fieldsets = [
        (None, {"fields": ["department", "question", "slug", "summary", "background"]}),
        (gettext_lazy("Dates"), {"fields": Debate.SCHEDULE.fields()}),
        (gettext_lazy("Linked consultation"), {"fields": ["consultation"]}),
    ]

    @admin.display(description=gettext_lazy("proposed by a resident"), boolean=True)
    def proposed_display(self, debate: Debate) -> bool:
        return debate.space_id is not None

    @admin.display(description=gettext_lazy("stage"))
    def stage_display(self, debate: Debate) -> str:
        return str(Debate.Stage(debate.stage).label)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "consultation":
            # The council's own consultations, newest first: chosen from a list, never typed.
            kwargs["queryset"] = scope_to_organisation(
                db_field.related_model.objects.select_related("department"),
                request.user,
                path="department__organisation",
            ).order_by("-pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        debate = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        draft = debate is not None and debate.status == Debate.Status.DRAFT
        if draft and request.user.has_perm(PUBLISH, debate):
            extra["publish_url"] = reverse(
                f"{self.admin_site.name}:debates_debate_publish", args=[debate.pk]
            )
            if waiting(debate):  # a resident's proposal: publish it, or reject it
                extra["reject_url"] = reject_url(debate)
        if debate is not None and not draft:
            extra["public_url"] = reverse("debates:debate", args=[debate.slug])
            if request.user.has_perm("debates.moderate_debate", debate):
                extra["contributions_url"] = reverse(
                    f"{self.admin_site.name}:debates_debate_contributions", args=[debate.pk]
                )
        if debate is not None and not draft and request.user.has_perm(CONCLUDE, debate):
            extra["conclusion_url"] = conclusion_url(debate)
        return super().change_view(request, object_id, form_url, extra)

    # The Publish page ---------------------------------------------------------------------------

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/publish/", self.publish_view, "publish"),
            *super().admin_pages(),
            *conclusion_urls(self),
            *reject_urls(self),
        ]

    def publish_view(self, request, object_id):
        debate = self.page_object(request, object_id, permission=PUBLISH)
        return self.publish_page(request, debate, Publishing(
            heading=debate.question,
            change_url=reverse(f"{self.admin_site.name}:debates_debate_change", args=[debate.pk]),
            problems=lambda: services.debate_problems(debate),
            publish=lambda: services.debate_publish(actor=request.user, debate=debate,
                                                    now=timezone.now()),
            published=_("The debate is published: residents can see it now."),
            already=_("This debate is already published."),
            back_label=_("Back to the debate"),
            problems_title=_("The debate cannot be published yet"),
            residents_see=[
                _(
                    "Residents can see the debate, its background and its dates at once. "
                    "While it is open, signed-in residents can add points for and against "
                    "and comment."
                )
            ],
            confirm_question=_(
                "Are you sure you want to publish it? You cannot unpublish a debate."
            ),
            confirm_label=_("Publish the debate"),
        ))  # fmt: skip


__all__ = ["ConversationAdmin", "DebateAdmin", "DebateSpaceAdmin"]
