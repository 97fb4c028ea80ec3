"""Admin pages of mailing: sending identities, rates, suppressions, the outbox, and campaigns.

A campaign is written on its change page and acted on from its send page (count, preview, test,
send, schedule) and its progress page (the figures, live through htmx and refreshed by a link
without JavaScript). Sending now and scheduling each ask once more, on a confirmation page that
names the number of recipients, the consent purpose and the sender (and the time, for
scheduling); only the POST from that page sends or schedules. Every action calls
mailing.services with the acting user, so permissions, transitions and the audit log are the
services' business; a refused transition is a message on the page, never an error page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from civic.admin_base import AdminPagesMixin, ReadOnlyAdminMixin
from civic.formatting import when as when_in_words
from civic.models import AuditEntry, Organisation
from civic.selectors import scope_to_organisation
from civic.services import audit_record
from contacts.admin import KeepersOnlyAdmin
from contacts.models import Contact, Segment
from contacts.selectors import KEEPER_ROLES
from mailing import services
from mailing.models import (
    Campaign,
    Delivery,
    DeliveryEvent,
    RateLimit,
    SendingIdentity,
    Suppression,
)
from mailing.rendering import validate_merge_fields

# A campaign is written while it waits; once it has started, its text is what people received.
EDITABLE = {Campaign.Status.DRAFT, Campaign.Status.SCHEDULED}
PREVIEW_SAMPLE = 10
LINKS_SHOWN = 50
# The HTML part is shown in a sandboxed frame of its own, under a policy of its own: the mail's
# inline styles apply (the admin's CSP would strip them), and nothing else loads or runs.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}
PREVIEW_SALT = "mailing.admin.preview"
# The actions that ask once more before they happen, and the page that asks.
CONFIRMED = {
    "send_now": "admin:mailing_campaign_send_confirm",
    "schedule": "admin:mailing_campaign_schedule_confirm",
}
TITLES = {"send_now": _("Send %(campaign)s now"), "schedule": _("Schedule %(campaign)s")}
NO_TIME = _(
    "Choose a time in “send at” on the campaign page and save it, then schedule the campaign."
)
PREVIEW_MAX_AGE = 30 * 60


@admin.register(SendingIdentity)
class SendingIdentityAdmin(KeepersOnlyAdmin):
    list_display = ["from_name", "from_email", "reply_to", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["from_name", "from_email"]
    fields = ["organisation", "from_name", "from_email", "reply_to"]

    def get_readonly_fields(self, request, obj=None):
        # Campaigns of the organisation send from it: it cannot move to another one.
        return ["organisation"] if obj is not None else []


@admin.register(RateLimit)
class RateLimitAdmin(KeepersOnlyAdmin):
    list_display = ["organisation", "per_second"]
    list_editable = ["per_second"]
    list_select_related = ["organisation"]
    fields = ["organisation", "per_second"]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj is not None else []


@admin.register(Suppression)
class SuppressionAdmin(KeepersOnlyAdmin):
    list_display = ["email", "reason", "organisation", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["organisation"]
    search_fields = ["email"]
    fields = ["organisation", "email", "reason", "created_at"]
    readonly_fields = ["created_at"]

    def get_changeform_initial_data(self, request):
        return {"reason": Suppression.Reason.MANUAL, **super().get_changeform_initial_data(request)}


class DeliveryEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "event_type", "url", "description"]
    readonly_fields = fields
    verbose_name_plural = _("Tracking events")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("mailing.view_delivery", obj)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, KeepersOnlyAdmin):
    """The outbox, read-only: the record of what was sent to whom."""

    list_display = ["to_email", "kind", "status", "campaign", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["campaign"]
    # An exact address (any case): the outbox is large, and the question is "what did we send
    # to this person?".
    search_fields = ["=to_email"]
    show_full_result_count = False
    ordering = ["-pk"]
    # The message body is left out: a transactional message can hold a personal link (a data
    # download, a confirmation) that staff should not be able to follow.
    fields = [
        "organisation",
        "kind",
        "campaign",
        "contact",
        "to_email",
        "subject",
        "status",
        "attempts",
        "error",
        "esp_message_id",
        "created_at",
        "sent_at",
        "delivered_at",
        "bounced_at",
        "complained_at",
        "opened_at",
        "clicked_at",
        "unsubscribed_at",
    ]
    readonly_fields = fields
    inlines = [DeliveryEventInline]

    @admin.display(description=_("subject"))
    def subject(self, delivery: Delivery) -> str:
        if delivery.message:
            return delivery.message.get("subject", "")
        return delivery.campaign.subject if delivery.campaign else ""


# Campaigns --------------------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "organisation",
            "name",
            "identity",
            "purpose",
            "segments",
            "subject",
            "body",
            "scheduled_for",
        ]
        widgets = {"segments": forms.CheckboxSelectMultiple}

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        validate_merge_fields(subject)
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"]
        validate_merge_fields(body)
        return body

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        organisation_id = organisation.pk if organisation else self.instance.organisation_id
        if organisation_id is None:
            return cleaned
        identity, purpose = cleaned.get("identity"), cleaned.get("purpose")
        if identity is not None and identity.organisation_id != organisation_id:
            self.add_error("identity", _("Choose an identity of the campaign's organisation."))
        if purpose is not None and purpose.organisation_id != organisation_id:
            self.add_error("purpose", _("Choose a consent purpose of the campaign's organisation."))
        segments = cleaned.get("segments") or []
        if any(segment.organisation_id != organisation_id for segment in segments):
            self.add_error("segments", _("Choose segments of the campaign's organisation only."))
        scheduled_for = cleaned.get("scheduled_for")
        changed = "scheduled_for" in self.changed_data
        if changed and scheduled_for is not None and scheduled_for <= timezone.now():
            self.add_error("scheduled_for", _("Choose a time in the future."))
        if self.instance.status == Campaign.Status.SCHEDULED and scheduled_for is None:
            self.add_error(
                "scheduled_for",
                _("A scheduled campaign needs a time. Choose one, or cancel the campaign."),
            )
        return cleaned


class PreviewForm(forms.Form):
    """Whom to preview (or test) the campaign as: someone from the audience, or an address."""

    contact = forms.ChoiceField(label=_("Someone in the audience"), required=False)
    email = forms.EmailField(
        label=_("Or a contact's e-mail address"),
        required=False,
        help_text=_("Any contact of the organisation, in the audience or not."),
    )

    def __init__(self, *args, campaign: Campaign, sample: list[Contact], **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["contact"].choices = [
            ("", _("No one: merge fields show their defaults")),
            *((str(contact.pk), f"{contact.name or '—'} <{contact.email}>") for contact in sample),
        ]

    def clean(self):
        cleaned = super().clean()
        chosen, email = cleaned.get("contact"), cleaned.get("email")
        contacts = Contact.objects.filter(organisation_id=self.campaign.organisation_id)
        if chosen and email:
            self.add_error("email", _("Choose someone from the list or type an address, not both."))
        elif email:
            cleaned["person"] = contacts.filter(email__iexact=email).order_by("pk").first()
            if cleaned["person"] is None:
                self.add_error(
                    "email",
                    _("No contact of %(organisation)s has this address. Check it, or choose "
                      "someone from the list.") % {"organisation": self.campaign.organisation},
                )  # fmt: skip
        else:
            cleaned["person"] = contacts.filter(pk=chosen).first() if chosen else None
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(AdminPagesMixin, KeepersOnlyAdmin):
    form = CampaignForm
    list_display = ["name", "organisation", "status", "scheduled_for", "started_at", "pages"]
    list_filter = ["status"]
    list_select_related = ["organisation"]
    search_fields = ["name", "subject"]
    fields = [
        "organisation",
        "name",
        "identity",
        "purpose",
        "segments",
        "subject",
        "body",
        "scheduled_for",
        "status",
        "started_at",
        "finished_at",
    ]
    change_form_template = "admin/mailing/campaign/change_form.html"

    # Lists and choices --------------------------------------------------------------------------

    @admin.display(description=_("pages"))
    def pages(self, campaign: Campaign) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:mailing_campaign_send", args=[campaign.pk]),
            _("Send"),
            reverse("admin:mailing_campaign_progress", args=[campaign.pk]),
            _("Progress"),
        )

    def _scoped(self, queryset, request):
        return scope_to_organisation(
            queryset.select_related("organisation"), request.user, kinds=KEEPER_ROLES
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("identity", "purpose"):
            kwargs["queryset"] = self._scoped(db_field.related_model.objects.all(), request)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("identity", "purpose"):
            field.label_from_instance = _with_organisation
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "segments":
            kwargs["queryset"] = self._scoped(Segment.objects.all(), request)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "segments":
            field.label_from_instance = _with_organisation
        return field

    def get_changeform_initial_data(self, request):
        # Most people keep the contacts of one organisation: choose it for them.
        initial = super().get_changeform_initial_data(request)
        organisations = scope_to_organisation(
            Organisation.objects.all(), request.user, path="pk", kinds=KEEPER_ROLES
        )
        only = list(organisations.values_list("pk", flat=True)[:2])
        if "organisation" not in initial and len(only) == 1:
            initial["organisation"] = only[0]
        return initial

    # Permissions and saving ---------------------------------------------------------------------

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in ("status", "started_at", "finished_at")]
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A campaign stays in its organisation: its identity, purpose and segments are theirs.
        return [] if obj is None else ["organisation", "status", "started_at", "finished_at"]

    def has_change_permission(self, request, obj=None):
        # Once sending has started the campaign is shown, never changed: Django's admin then
        # shows every field read-only and refuses a POST.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status in EDITABLE)

    def has_delete_permission(self, request, obj=None):
        # Only a draft: a campaign that went out takes its outbox with it. Deleting in bulk asks
        # this of every campaign selected too (django.contrib.admin.utils.get_deleted_objects).
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == Campaign.Status.DRAFT)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        # The admin saves every column: lock the row so that a campaign that started sending
        # since the form was shown keeps its status and its text (the admin view is atomic).
        locked = Campaign.objects.select_for_update().only("status").get(pk=obj.pk)
        if locked.status not in EDITABLE:
            raise PermissionDenied(_("The campaign has started sending and can no longer change."))
        obj.refresh_from_db(fields=["status"])
        super().save_model(request, obj, form, change)

    # Pages --------------------------------------------------------------------------------------

    def admin_pages(self):
        preview = xframe_options_sameorigin(csp_override(PREVIEW_CSP)(self.preview_view))
        return [
            self.page_path("<int:object_id>/send/", self.send_view, "send"),
            self.page_path(
                "<int:object_id>/send/confirm/",
                self.confirm_view,
                "send_confirm",
                {"action": "send_now"},
            ),
            self.page_path(
                "<int:object_id>/schedule/confirm/",
                self.confirm_view,
                "schedule_confirm",
                {"action": "schedule"},
            ),
            self.page_path("<int:object_id>/preview/<str:token>/", preview, "preview"),
            self.page_path("<int:object_id>/progress/", self.progress_view, "progress"),
            self.page_path(
                "<int:object_id>/progress/figures/", self.figures_view, "progress_figures"
            ),
        ]

    def _campaign(self, request, object_id) -> Campaign:
        """The campaign if the user may see it; another organisation's is simply not found."""
        campaign = self.get_object(request, str(object_id))
        if campaign is None:
            raise Http404(_("No such campaign."))
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def _sending_context(self, request, campaign: Campaign) -> dict:
        """What the change and send pages show about sending: the audience and the buttons."""
        waiting = campaign.status in EDITABLE
        audience_count, audience_problem = None, ""
        if waiting:
            try:
                audience_count = services.campaign_audience(campaign).count()
            except ValidationError as error:
                # A segment names a tag, ward or purpose that is gone: say so, send nobody.
                audience_problem = " ".join(error.messages)
        return {
            "campaign": campaign,
            "waiting": waiting,
            "audience_count": audience_count,
            "audience_problem": audience_problem,
            "may_send": request.user.has_perm("mailing.send_campaign", campaign),
            "can_send": waiting
            and not audience_problem
            and Campaign.lifecycle.allows(campaign, Campaign.Status.SENDING),
            "can_schedule": Campaign.lifecycle.allows(campaign, Campaign.Status.SCHEDULED),
            "can_pause": Campaign.lifecycle.allows(campaign, Campaign.Status.PAUSED),
            "can_resume": campaign.status == Campaign.Status.PAUSED,
            "can_cancel": Campaign.lifecycle.allows(campaign, Campaign.Status.CANCELLED),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404(_("No such campaign."))
        extra_context = {**(extra_context or {}), **self._sending_context(request, campaign)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _page(self, request, template: str, context: dict) -> TemplateResponse:
        return self.page_response(request, f"admin/mailing/campaign/{template}", context)

    def send_view(self, request, object_id):
        campaign = self._campaign(request, object_id)
        try:
            sample = list(
                services.campaign_audience(campaign)
                .order_by("pk")
                .only("pk", "name", "email")[:PREVIEW_SAMPLE]
            )
        except ValidationError:
            sample = []  # the send panel says what is wrong with the segments
        action = request.POST.get("action", "")
        form = PreviewForm(
            request.POST if action in ("preview", "test") else None,
            campaign=campaign,
            sample=sample,
        )
        preview = None
        if request.method == "POST":
            if action in ("preview", "test"):
                if form.is_valid():
                    person = form.cleaned_data["person"]
                    if action == "test":
                        return self._act(request, campaign, "test", contact=person)
                    preview = self._preview(request, campaign, person)
            elif action in CONFIRMED:
                # Sending and scheduling are asked once more, on a page of their own.
                return redirect(CONFIRMED[action], campaign.pk)
            else:
                return self._act(request, campaign, action)
        return self._page(
            request,
            "send.html",
            {
                **self._sending_context(request, campaign),
                "title": _("Send %(campaign)s") % {"campaign": campaign},
                "original": campaign,
                "form": form,
                "preview": preview,
            },
        )

    def confirm_view(self, request, object_id, action: str):
        """ "Are you sure?" before sending now or scheduling: to how many people, for which
        consent purpose, from whom (and when). Its POST is the only way to send or schedule."""
        campaign = self.page_object(request, object_id, permission="mailing.send_campaign")
        if request.method == "POST":
            return self._act(request, campaign, action)
        target = Campaign.Status.SENDING if action == "send_now" else Campaign.Status.SCHEDULED
        refused = ""
        if not (campaign.status in EDITABLE and Campaign.lifecycle.allows(campaign, target)):
            refused = _("The campaign is “%(status)s”, so it cannot be sent or scheduled now.") % {
                "status": campaign.get_status_display()
            }
        elif action == "schedule" and campaign.scheduled_for is None:
            refused = NO_TIME
        count = services.campaign_audience(campaign).count()
        scheduled = when_in_words(campaign.scheduled_for) if campaign.scheduled_for else ""
        return self._page(
            request,
            "confirm.html",
            {
                "title": TITLES[action] % {"campaign": campaign},
                "original": campaign,
                "campaign": campaign,
                "action": action,
                "refused": refused,
                "audience_count": count,
                "scheduled": scheduled,
                "segments": list(campaign.segments.all()),
            },
        )

    def _preview(self, request, campaign: Campaign, person: Contact | None) -> dict:
        if person is not None:
            # What a contact would receive shows their details: who looked is recorded.
            with transaction.atomic():
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.VIEW,
                    obj=campaign,
                    summary=f"Previewed the campaign as contact #{person.pk}",
                    organisation=campaign.organisation,
                )
        # The frame's address is signed for this user, campaign and contact, so that only a
        # preview asked for (and recorded) here can be shown in it.
        token = signing.dumps(
            {
                "user": request.user.pk,
                "campaign": campaign.pk,
                "contact": getattr(person, "pk", None),
            },
            salt=PREVIEW_SALT,
        )
        return {
            "person": person,
            "frame_url": reverse("admin:mailing_campaign_preview", args=[campaign.pk, token]),
            **services.campaign_preview(campaign=campaign, contact=person),
        }

    def preview_view(self, request, object_id, token):
        """The HTML part of a preview, alone, for the send page's sandboxed frame."""
        campaign = self._campaign(request, object_id)
        try:
            asked = signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
        except signing.BadSignature as error:
            raise Http404(_("This preview has expired. Preview the campaign again.")) from error
        if (asked.get("user"), asked.get("campaign")) != (request.user.pk, campaign.pk):
            raise Http404(_("No such preview."))
        person = None
        if asked.get("contact") is not None:
            contacts = Contact.objects.filter(organisation_id=campaign.organisation_id)
            person = contacts.filter(pk=asked["contact"]).first()
            if person is None:
                raise Http404(_("No such contact."))
        html = services.campaign_preview(campaign=campaign, contact=person)["html"]
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    def _act(self, request, campaign: Campaign, action: str, *, contact=None):
        """Run one action through the services; a refusal becomes a message on the page."""
        actor = request.user
        return_to = request.POST.get("return_to")
        page = {"change": "change", "progress": "progress"}.get(return_to, "send")
        try:
            if action == "send_now":
                count = services.campaign_send_now(campaign=campaign, actor=actor)
                message = ngettext(
                    "Sending has started: %(count)d message is queued.",
                    "Sending has started: %(count)d messages are queued.",
                    count,
                ) % {"count": count}
                page = "progress"
            elif action == "test":
                services.campaign_test_send(campaign=campaign, actor=actor, contact=contact)
                message = _("A test is on its way to %(email)s.") % {"email": actor.email}
            elif action == "schedule":
                if campaign.scheduled_for is None:
                    raise ValidationError(NO_TIME)
                services.campaign_schedule(
                    campaign=campaign, actor=actor, when=campaign.scheduled_for
                )
                message = _("The campaign is scheduled.")
            elif action == "pause":
                services.campaign_pause(campaign=campaign, actor=actor)
                message = _("Sending is paused. Nobody else gets the campaign until you resume.")
            elif action == "resume":
                services.campaign_resume(campaign=campaign, actor=actor)
                message = _("Sending has resumed.")
                page = "progress"
            elif action == "cancel":
                cancelled = services.campaign_cancel(campaign=campaign, actor=actor)
                message = ngettext(
                    "The campaign is cancelled: %(count)d message will not be sent.",
                    "The campaign is cancelled: %(count)d messages will not be sent.",
                    cancelled,
                ) % {"count": cancelled}
            else:
                raise ValidationError(_("Choose one of the buttons to act on the campaign."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
        if page == "change":
            return redirect(reverse("admin:mailing_campaign_change", args=[campaign.pk]))
        return redirect(reverse(f"admin:mailing_campaign_{page}", args=[campaign.pk]))

    def _progress_context(self, campaign: Campaign) -> dict:
        figures = campaign.deliveries.figures()
        labels = [
            ("queued", _("Waiting to be sent")),
            ("sent", _("Sent")),
            ("delivered", _("Delivered")),
            ("bounced", _("Bounced")),
            ("complained", _("Marked as spam")),
            ("opened", _("Opened")),
            ("clicked", _("Clicked a link")),
            ("unsubscribed", _("Unsubscribed")),
            ("failed", _("Failed")),
            ("skipped", _("Skipped or cancelled")),
        ]
        total = figures["total"]
        done = total - figures["queued"]
        links = []
        if campaign.status not in EDITABLE:
            links = list(
                DeliveryEvent.objects.filter(delivery__campaign=campaign, event_type="clicked")
                .exclude(url="")
                .values("url")
                .annotate(clicks=Count("pk"), people=Count("delivery", distinct=True))
                .order_by("-clicks", "url")[:LINKS_SHOWN]
            )
        return {
            "campaign": campaign,
            "figures": figures,
            "figure_rows": [(key, label, figures[key]) for key, label in labels],
            "total": total,
            "done": done,
            "percent": round(100 * done / total) if total else 0,
            "links": links,
            "links_shown": LINKS_SHOWN,
            # Live while workers send; a paused, finished or waiting campaign does not change
            # by itself, and polling stops when the figures say it has finished.
            "live": campaign.status == Campaign.Status.SENDING,
            "figures_url": reverse("admin:mailing_campaign_progress_figures", args=[campaign.pk]),
        }

    def progress_view(self, request, object_id):
        campaign = self._campaign(request, object_id)
        return self._page(
            request,
            "progress.html",
            {
                **self._sending_context(request, campaign),
                **self._progress_context(campaign),
                "title": _("Progress of %(campaign)s") % {"campaign": campaign},
                "original": campaign,
            },
        )

    def figures_view(self, request, object_id):
        """The part of the progress page that htmx fetches every two seconds."""
        campaign = self._campaign(request, object_id)
        return TemplateResponse(
            request, "admin/mailing/campaign/_figures.html", self._progress_context(campaign)
        )


def _with_organisation(obj) -> str:
    return f"{obj} ({obj.organisation})"
