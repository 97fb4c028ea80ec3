"""Conversations in the admin, for the officers of the department that runs each one and their
organisation's admins: the question, its background and dates, how residents' statements are
checked and whether anonymous people may take part, the council's own (seed) statements inline,
a page to show or reject residents' statements and to export the vote matrix, and a Publish page
with its check. Imported by debates.admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import (
    AdminPagesMixin,
    InlineAuditMixin,
    Publishing,
    ScopedModelAdmin,
    refusal_text,
)
from civic.exports import csv_download
from debates import conversations as services
from debates.models import Conversation, Statement

PUBLISH = "debates.publish_conversation"
MODERATE = "debates.moderate_conversation"
EXPORT = "debates.export_conversation"
WAITING_FIRST = models.Case(
    models.When(status=Statement.Status.PENDING, then=models.Value(1)),
    default=models.Value(0),
    output_field=models.IntegerField(),
)


class ConversationForm(forms.ModelForm):
    class Meta:
        model = Conversation
        fields = [
            "department",
            "title",
            "question",
            "slug",
            "background",
            *Conversation.SCHEDULE.fields(),
            "statement_moderation",
            "allow_anonymous",
        ]
        widgets = {"statement_moderation": forms.RadioSelect}

    def clean(self):
        cleaned = super().clean()
        dated = Conversation(**{name: cleaned.get(name) for name in Conversation.SCHEDULE.fields()})
        for field, message in Conversation.SCHEDULE.problems(dated).items():
            if field in self.fields:
                self.add_error(field, message)
        return cleaned


class SeedStatementInline(admin.TabularInline):
    """The council's own statements, which residents vote on first. Residents' statements are
    shown or rejected on the conversation's Statements page, never edited."""

    model = Statement
    fields = ["text"]
    extra = 3
    verbose_name = gettext_lazy("statement of the council's own")
    verbose_name_plural = gettext_lazy("statements of the council's own")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_seed=True)

    def has_add_permission(self, request, obj=None):
        return obj is None or request.user.has_perm("debates.change_conversation", obj)

    def has_change_permission(self, request, obj=None):
        return obj is None or request.user.has_perm("debates.change_conversation", obj)

    # Votes hang on a statement once the conversation is public: it is no longer removed.
    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == Conversation.Status.DRAFT


@admin.register(Conversation)
class ConversationAdmin(AdminPagesMixin, InlineAuditMixin, ScopedModelAdmin):
    form = ConversationForm
    inlines = [SeedStatementInline]
    department_path = "department"
    organisation_path = None
    list_display = ["title", "department", "status", "stage_display", "opens_at", "closes_at"]
    list_filter = ["status"]
    list_select_related = ["department__organisation"]
    search_fields = ["title", "question"]
    prepopulated_fields = {"slug": ["title"]}
    change_form_template = "admin/debates/conversation/change_form.html"
    fieldsets = [
        (None, {"fields": ["department", "title", "question", "slug", "background"]}),
        (gettext_lazy("Dates"), {"fields": Conversation.SCHEDULE.fields()}),
        (
            gettext_lazy("Taking part"),
            {"fields": ["statement_moderation", "allow_anonymous"]},
        ),
    ]

    @admin.display(description=gettext_lazy("stage"))
    def stage_display(self, conversation: Conversation) -> str:
        return str(Conversation.Stage(conversation.stage).label)

    def save_formset(self, request, form, formset, change):
        """The statements added here are the council's own, and show at once."""
        for statement_form in formset.forms:
            instance = statement_form.instance
            if instance.pk is None:
                instance.is_seed = True
                instance.status = Statement.Status.SHOWN
        super().save_formset(request, form, formset, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if conversation is not None:
            draft = conversation.status == Conversation.Status.DRAFT
            if draft and request.user.has_perm(PUBLISH, conversation):
                extra["publish_url"] = self._url("publish", conversation)
            if request.user.has_perm(MODERATE, conversation):
                extra["statements_url"] = self._url("statements", conversation)
            if not draft:
                extra["public_url"] = reverse("debates:conversation", args=[conversation.slug])
        return super().change_view(request, object_id, form_url, extra)

    def _url(self, page: str, conversation: Conversation) -> str:
        return reverse(
            f"{self.admin_site.name}:debates_conversation_{page}", args=[conversation.pk]
        )

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/publish/", self.publish_view, "publish"),
            self.page_path("<int:object_id>/statements/", self.statements_view, "statements"),
            self.page_path("<int:object_id>/votes.csv", self.export_view, "export"),
        ]

    # Residents' statements ------------------------------------------------------------------------

    def statements_view(self, request, object_id):
        """Residents' statements, those waiting first, each with Show and Reject buttons."""
        conversation = self.page_object(request, object_id, permission=MODERATE)
        if request.method == "POST":
            statement = conversation.statements.filter(
                pk=request.POST.get("statement") or 0, is_seed=False
            ).first()
            if statement is None:
                messages.error(request, _("That statement is not in this conversation."))
            else:
                try:
                    services.statement_moderate(
                        actor=request.user, statement=statement, status=request.POST.get("status")
                    )
                except (ValidationError, PermissionDenied) as error:
                    messages.error(request, refusal_text(error))
                else:
                    messages.success(
                        request,
                        _("Statement %(number)s is now %(status)s.")
                        % {
                            "number": statement.pk,
                            "status": Statement.Status(request.POST["status"]).label.lower(),
                        },
                    )
            return redirect(self._url("statements", conversation))
        residents = (
            conversation.statements.filter(is_seed=False)
            .annotate(waiting=WAITING_FIRST)
            .order_by("-waiting", "-created_at", "-pk")
        )
        return self.page_response(
            request,
            "admin/debates/conversation/statements.html",
            {
                "title": _("Statements: %(title)s") % {"title": conversation.title},
                "conversation": conversation,
                "original": conversation,
                "statements": list(residents),
                "waiting": sum(1 for s in residents if s.status == Statement.Status.PENDING),
                "back_url": reverse(
                    f"{self.admin_site.name}:debates_conversation_change", args=[conversation.pk]
                ),
                "can_export": request.user.has_perm(EXPORT, conversation),
                "export_url": self._url("export", conversation),
                "Status": Statement.Status,
            },
        )

    def export_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        conversation = self.page_object(request, object_id, permission=EXPORT)
        header, rows = services.votes_export(actor=request.user, conversation=conversation)
        return csv_download(f"{slugify(conversation.slug)}-votes.csv", header, rows)

    # The Publish page -----------------------------------------------------------------------------

    def publish_view(self, request, object_id):
        conversation = self.page_object(request, object_id, permission=PUBLISH)
        return self.publish_page(request, conversation, Publishing(
            heading=conversation.title,
            change_url=reverse(f"{self.admin_site.name}:debates_conversation_change",
                               args=[conversation.pk]),
            problems=lambda: services.conversation_problems(conversation),
            publish=lambda: services.conversation_publish(
                actor=request.user, conversation=conversation, now=timezone.now()
            ),
            published=_("The conversation is published: residents can see it now."),
            already=_("This conversation is already published."),
            back_label=_("Back to the conversation"),
            problems_title=_("The conversation cannot be published yet"),
            residents_see=[
                _(
                    "Residents can see the conversation, its background, its dates and your "
                    "statements at once. While it is open they vote on statements and add "
                    "their own."
                ),
                _("Anyone can take part without an account.")
                if conversation.allow_anonymous
                else _("Only people who sign in can take part."),
            ],
            confirm_question=_(
                "Are you sure you want to publish it? You cannot unpublish a conversation."
            ),
            confirm_label=_("Publish the conversation"),
        ))  # fmt: skip
