"""Moderation in the admin (debates.moderation holds the rules).

    ReviewAdmin   the moderation queue: hidden comments and points of the officer's departments'
                  debates, oldest first, with the reasons given, how many reported each, its words
                  and a link to it on the debate's page. Each has a page of its own where the
                  officer restores or removes it with a reason, hides it, or blocks its author.
                  An unreported item is moderated from the same page (reached by "Moderate" on
                  the debate's page, which officers see).
    BlockAdmin    the accounts blocked from the organisation's debates, each with a page to lift
                  the block early.

Every action is a form posted to the page it is on, which calls one service; a refusal is drawn
again next to its field, never a server error, and the pages work without JavaScript.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.admin_base import AdminPagesMixin, ScopedModelAdmin
from civic.forms import service_errors_onto
from civic.selectors import scope_to_department
from debates import moderation
from debates.models import Block, Comment, Point, Report, Review

Status = Review.Status
KINDS = {"comment": Comment, "point": Point}


class DecisionForm(forms.Form):
    """The reason for a decision; which decision is the button the officer presses."""

    decision = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[("", gettext_lazy("Choose a reason")), *Review.Decision.choices],
        help_text=gettext_lazy("The author is told this reason by e-mail."),
        error_messages={"required": gettext_lazy("Choose the reason the author will be told")},
    )
    detail = forms.CharField(
        label=gettext_lazy("More detail (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Needed for “Another reason”. Added to the e-mail. Up to 500 characters."
        ),
    )


class BlockForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Block for"),
        coerce=int,
        choices=[("", gettext_lazy("Choose how long")), *moderation.BLOCK_DAYS.items()],
        error_messages={"required": gettext_lazy("Choose how long to block the account for")},
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[
            ("", gettext_lazy("Choose a reason")),
            *[c for c in Review.Decision.choices if c[0] != Review.Decision.KEPT],
        ],
        help_text=gettext_lazy("Kept for the council's moderators; the resident is not e-mailed."),
        error_messages={"required": gettext_lazy("Choose why you are blocking the account")},
    )


class QueueFilter(admin.SimpleListFilter):
    """What the queue shows: waiting for a decision unless the officer asks for more."""

    title = gettext_lazy("show")
    parameter_name = "show"
    SHOWS = {
        "waiting": [Status.HIDDEN],
        "reported": [Status.REPORTED],
        "decided": [Status.RESTORED, Status.REMOVED],
        "all": list(Status.values),
    }

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Hidden, waiting for a decision")),
            ("reported", _("Reported, still shown")),
            ("decided", _("Decided")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "waiting") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        return queryset.filter(status__in=self.SHOWS.get(self.value() or "waiting", []))


class ReviewAdmin(AdminPagesMixin, ScopedModelAdmin):
    department_path = "debate__department"
    organisation_path = None
    list_display = [
        "item_kind",
        "item_text",
        "reasons_display",
        "reporter_count",
        "hidden_at",
        "status",
        "in_context",
    ]
    list_display_links = ["item_text"]
    list_filter = [QueueFilter]
    list_select_related = ["debate__department__organisation", "comment", "point"]
    ordering = ["hidden_at", "created_at", "pk"]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                reporters=Count("reports", distinct=True),
                reasons=ArrayAgg("reports__reason", distinct=True, default=[]),
            )
        )

    @admin.display(description=gettext_lazy("kind"))
    def item_kind(self, review: Review) -> str:
        return _("Comment") if review.comment_id else _("Point")

    @admin.display(description=gettext_lazy("what was written"))
    def item_text(self, review: Review) -> str:
        text = review.item.text or _("(no words: deleted by its author)")
        return text if len(text) <= 160 else text[:159] + "…"

    @admin.display(description=gettext_lazy("reasons given"))
    def reasons_display(self, review: Review) -> str:
        labels = dict(Report.Reason.choices)
        return "; ".join(str(labels.get(reason, reason)) for reason in review.reasons) or _(
            "None (hidden by a moderator)"
        )

    @admin.display(description=gettext_lazy("reported by"), ordering="reporters")
    def reporter_count(self, review: Review) -> int:
        return review.reporters

    @admin.display(description=gettext_lazy("on the debate's page"))
    def in_context(self, review: Review):
        return format_html(
            '<a href="{}">{}</a>', _item_path(review.item, review.debate), _("See it in context")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """An item is moderated on its own page, never edited through a form."""
        return self.moderate_view(request, object_id)

    def _url(self, name: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:debates_review_{name}", args=args)

    # The pages --------------------------------------------------------------------------------

    def admin_pages(self):
        return [
            self.page_path("<int:object_id>/moderate/", self.moderate_view, "moderate"),
            self.page_path("item/<str:kind>/<int:item_id>/", self.item_view, "item"),
        ]

    def moderate_view(self, request, object_id):
        review = self.page_object(request, object_id, permission=moderation.MODERATE)
        return self._page(request, review, review.item)

    def item_view(self, request, kind, item_id):
        """An item by its kind and number: its review's page if it has one, else the same page
        for an unreported item (hide or remove it)."""
        model = KINDS.get(kind)
        if model is None:
            raise Http404(_("No such item."))
        item = (
            scope_to_department(
                model.objects.select_related("debate__department__organisation"),
                request.user,
                department_path="debate__department",
                organisation_path="debate__department__organisation",
            )
            .filter(pk=item_id)
            .first()
        )
        if item is None:
            raise Http404(_("No such item."))
        if not request.user.has_perm(moderation.MODERATE, item.debate):
            raise PermissionDenied
        review = Review.objects.filter(**{kind: item}).first()
        if review is not None:
            return redirect(self._url("moderate", review.pk))
        return self._page(request, None, item)

    def _page(self, request, review: Review | None, item):
        debate = item.debate
        status = review.status if review is not None else Status.REPORTED
        # What the officer may decide from here: restore (only a hidden item) and remove.
        outcomes = {
            Status.HIDDEN: ["restore", "remove"],
            Status.REPORTED: ["remove"],
            Status.RESTORED: ["remove"],
        }.get(status, [])
        decide = DecisionForm(prefix="decide") if outcomes else None
        can_hide = status in (Status.REPORTED, Status.RESTORED)
        block = BlockForm(prefix="block") if item.author_id else None
        action = request.POST.get("action") if request.method == "POST" else None
        now = timezone.now()
        try:
            if action == "hide" and can_hide:
                review = self._review(request, review, item, now)
                moderation.item_hide(actor=request.user, review=review, now=now)
                messages.success(request, _("It is hidden until you restore or remove it."))
                return redirect(self._url("moderate", review.pk))
            outcome = request.POST.get("outcome")
            if action == "decide" and outcome in outcomes:
                decide = DecisionForm(request.POST, prefix="decide")
                if decide.is_valid():
                    review = self._review(request, review, item, now)
                    service = (
                        moderation.review_restore
                        if outcome == "restore"
                        else moderation.review_remove
                    )
                    try:
                        service(
                            actor=request.user,
                            review=review,
                            decision=decide.cleaned_data["decision"],
                            detail=decide.cleaned_data["detail"],
                            now=now,
                        )
                    except ValidationError as error:
                        service_errors_onto(decide, error)
                    else:
                        messages.success(request, _("Done: its author is told by e-mail."))
                        return redirect(self._url("changelist"))
            if action == "block" and block is not None:
                block = BlockForm(request.POST, prefix="block")
                if block.is_valid():
                    try:
                        moderation.account_block(
                            actor=request.user,
                            user=item.author,
                            organisation=debate.department.organisation,
                            days=block.cleaned_data["days"],
                            reason=block.cleaned_data["reason"],
                            now=now,
                        )
                    except ValidationError as error:
                        service_errors_onto(block, error)
                    else:
                        messages.success(
                            request,
                            _("The author cannot add points or comments until the block ends."),
                        )
                        return redirect(request.path)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        reports = list(review.reports.order_by("created_at", "pk")) if review is not None else []
        blocked = (
            Block.objects.in_force(now)
            .filter(user_id=item.author_id, organisation_id=debate.organisation_id)
            .first()
            if item.author_id
            else None
        )
        kind = _("comment") if isinstance(item, Comment) else _("point")
        return self.page_response(
            request,
            "admin/debates/review/moderate.html",
            {
                "title": _("Moderate a %(kind)s") % {"kind": kind},
                "review": review,
                "status_label": Status(status).label,
                "item": item,
                "kind": kind,
                "debate": debate,
                "in_context": _item_path(item, debate),
                "reports": reports,
                "decide": decide,
                "outcomes": outcomes,
                "block_form": block,
                "blocked": blocked,
                "can_hide": can_hide,
            },
        )

    def _review(self, request, review, item, now) -> Review:
        if review is not None:
            return review
        kind = "comment" if isinstance(item, Comment) else "point"
        return moderation.item_review(actor=request.user, now=now, **{kind: item})


def _item_path(item, debate) -> str:
    kind = "comment" if isinstance(item, Comment) else "point"
    return f"{reverse('debates:debate', args=[debate.slug])}#{kind}-{item.pk}"


class BlockAdmin(AdminPagesMixin, ScopedModelAdmin):
    organisation_path = "organisation"
    list_display = ["account", "organisation", "until", "reason", "state", "created_at"]
    list_select_related = ["organisation", "user"]
    ordering = ["-created_at", "-pk"]

    @admin.display(description=gettext_lazy("account"))
    def account(self, block: Block) -> str:
        return _("Account #%(number)s") % {"number": block.user_id}

    @admin.display(description=gettext_lazy("state"))
    def state(self, block: Block) -> str:
        if block.lifted_at is not None:
            return _("Lifted early")
        if block.until <= timezone.now():
            return _("Ended")
        return _("In force")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A block is never edited: its page lifts it."""
        return self.lift_view(request, object_id)

    def admin_pages(self):
        return [self.page_path("<int:object_id>/lift/", self.lift_view, "lift")]

    def lift_view(self, request, object_id):
        block = self.page_object(request, object_id, permission=moderation.BLOCK)
        refused = []
        if request.method == "POST":
            try:
                moderation.block_lift(actor=request.user, block=block, now=timezone.now())
            except ValidationError as error:
                refused = error.messages
            else:
                messages.success(
                    request, _("The block is lifted: the account can take part again.")
                )
                return redirect(reverse(f"{self.admin_site.name}:debates_block_changelist"))
        return self.page_response(
            request,
            "admin/debates/block/lift.html",
            {
                "title": self.account(block),
                "block_form": block,
                "state": self.state(block),
                "in_force": block.lifted_at is None and block.until > timezone.now(),
                "refused": refused,
            },
        )


class DebateModerationMixin:
    """For DebateAdmin: a page listing a debate's newest points and comments, each with its
    moderation state and a link to moderate it, so that an officer can act on one nobody has
    reported."""

    CONTRIBUTIONS_SHOWN = 50

    def admin_pages(self):
        return [
            self.page_path(
                "<int:object_id>/contributions/", self.contributions_view, "contributions"
            ),
            *super().admin_pages(),
        ]

    def contributions_view(self, request, object_id):
        debate = self.page_object(request, object_id, permission=moderation.MODERATE)
        labels = dict(Status.choices)
        rows = []
        for kind, model in KINDS.items():
            items = (
                model.objects.filter(debate=debate)
                .annotate(review_status=F("review__status"))
                .order_by("-created_at", "-pk")[: self.CONTRIBUTIONS_SHOWN]
            )
            rows += [
                {
                    "kind": _("Comment") if kind == "comment" else _("Point"),
                    "text": item.text or _("(no words: deleted by its author)"),
                    "created_at": item.created_at,
                    "state": labels.get(item.review_status, _("Shown")),
                    "url": reverse(
                        f"{self.admin_site.name}:debates_review_item", args=[kind, item.pk]
                    ),
                }
                for item in items
            ]
        rows.sort(key=lambda row: row["created_at"], reverse=True)
        return self.page_response(
            request,
            "admin/debates/debate/contributions.html",
            {
                "title": _("Points and comments: %(question)s") % {"question": debate.question},
                "debate": debate,
                "original": debate,
                "rows": rows,
                "shown": self.CONTRIBUTIONS_SHOWN,
                "back_url": reverse(
                    f"{self.admin_site.name}:debates_debate_change", args=[debate.pk]
                ),
            },
        )


admin.site.register(Review, ReviewAdmin)
admin.site.register(Block, BlockAdmin)
