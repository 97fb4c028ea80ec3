"""The petitions team's side of petitions, in the admin.

    PetitionPolicyAdmin  the council's scheme and its thresholds (the organisation's admins)
    PetitionAdmin        the moderation queue, a petition's page with its moderation, response
                         and debate forms, and bulk invalidation of its signatures
    SignatureAdmin       signatures, read only

Opening a petition's page takes the moderation lock for the officer (services.moderation_lock):
while another moderator holds it the page is read only and offers nothing to do, and the services
refuse anyway. Each action is a form on the petition's page that posts to a page of its own,
/admin/petitions/petition/<id>/<action>/, which calls one service; a refusal is drawn again on
that page next to the field it is about, never a server error, and the page works without
JavaScript. Required values are checked by the services, not the forms, so the admin, the pages
and the API refuse with the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, Value, When
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rules.contrib.admin import ObjectPermissionsTabularInline

from civic.admin_base import AdminPagesMixin, InlineAuditMixin, ScopedModelAdmin
from civic.formatting import day
from civic.forms import service_errors_onto
from civic.selectors import scope_to_department, scope_to_organisation_admin
from petitions import services
from petitions.models import Petition, PetitionPolicy, Signature, Threshold

Status = Petition.Status
# What the lock holder may correct before a petition is published: what its creator wrote.
RESIDENT_FIELDS = ["title", "background", "details"]
EDITABLE_STATUSES = {Status.SPONSORING, Status.PENDING}
MODERATE = "petitions.moderate_petition"
RESPOND = "petitions.respond_petition"


# The council's scheme ---------------------------------------------------------------------------


class ThresholdInline(ObjectPermissionsTabularInline):
    model = Threshold
    fields = ["kind", "signatures"]
    extra = 0
    max_num = len(Threshold.Kind.choices)


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


@admin.register(PetitionPolicy)
class PetitionPolicyAdmin(InlineAuditMixin, ScopedModelAdmin):
    """One per council, set by its organisation admins; officers see petitions, not the scheme."""

    form = PetitionPolicyForm
    list_display = [
        "organisation",
        "department",
        "supporters_required",
        "open_days",
        "overdue_days",
        "anonymise_days",
    ]
    list_select_related = ["organisation", "department"]
    inlines = [ThresholdInline]

    def get_queryset(self, request):
        return scope_to_organisation_admin(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj is not None else []


# Forms of the petition's page -------------------------------------------------------------------


def _text_area(rows: int = 5) -> forms.Textarea:
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
        widget=_text_area(),
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
        widget=_text_area(3),
        required=False,
    )


class ResponseForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("The council's response"),
        help_text=gettext_lazy(
            "Shown on the petition's page. The first time, signers who asked to hear are e-mailed."
        ),
        widget=_text_area(8),
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
        widget=_text_area(6),
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


# The petition's actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing an officer does to a petition from its page: a form and the service it calls."""

    name: str
    form: type[forms.Form]
    heading: str
    button: str
    permission: str
    statuses: frozenset
    run: Callable  # (actor, petition, cleaned_data) -> Petition
    done: Callable  # (petition) -> the success message
    # After a decision the moderator goes back to the queue; after an answer, to the petition.
    back_to_queue: bool = False
    intro: str = ""
    # An answer's form starts with what is published already: the petition's values of the
    # form's fields, which are named as the petition's.
    prefilled: bool = False


ACTIONS = [
    Action(
        name="publish",
        form=PublishForm,
        heading=gettext_lazy("Publish"),
        button=gettext_lazy("Publish the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.PENDING}),
        run=lambda actor, petition, data: services.petition_publish(actor=actor, petition=petition),
        done=lambda petition: (
            _("“%(title)s” is published and open until %(date)s. Its creator is told by e-mail.")
            % {"title": petition.title, "date": day(petition.closes_at)}
        ),
        back_to_queue=True,
        intro=gettext_lazy("Anyone can read and sign it at once. Its creator is told by e-mail."),
    ),
    Action(
        name="reject",
        form=RejectForm,
        heading=gettext_lazy("Reject"),
        button=gettext_lazy("Reject the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.PENDING}),
        run=lambda actor, petition, data: services.petition_reject(
            actor=actor,
            petition=petition,
            reason=data["rejection_reason"],
            explanation=data["rejection_details"],
            hide=data["hide"],
        ),
        done=lambda petition: (
            (
                _("“%(title)s” is rejected and hidden. Its creator is told why by e-mail.")
                if petition.status == Status.HIDDEN
                else _("“%(title)s” is rejected. Its creator is told why by e-mail.")
            )
            % {"title": petition.title}
        ),
        back_to_queue=True,
    ),
    Action(
        name="hide",
        form=HideForm,
        heading=gettext_lazy("Hide for legal reasons"),
        button=gettext_lazy("Hide the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.REJECTED}),
        run=lambda actor, petition, data: services.petition_hide(actor=actor, petition=petition),
        done=lambda petition: _("“%(title)s” is hidden.") % {"title": petition.title},
        back_to_queue=True,
        intro=gettext_lazy("The rejected petition and its reason are no longer shown on the site."),
    ),
    Action(
        name="respond",
        form=ResponseForm,
        heading=gettext_lazy("The council's response"),
        button=gettext_lazy("Publish the response"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.response_publish(
            actor=actor, petition=petition, text=data["response"]
        ),
        done=lambda petition: (
            _("The council's response to “%(title)s” is published.") % {"title": petition.title}
        ),
        prefilled=True,
    ),
    Action(
        name="debate_date",
        form=DebateDateForm,
        heading=gettext_lazy("Schedule the debate"),
        button=gettext_lazy("Save the date of the debate"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.debate_schedule(
            actor=actor, petition=petition, when=data["debate_date"]
        ),
        done=lambda petition: (
            _("“%(title)s” is to be debated on %(date)s.")
            % {"title": petition.title, "date": day(petition.debate_date)}
        ),
        prefilled=True,
    ),
    Action(
        name="debate_outcome",
        form=DebateOutcomeForm,
        heading=gettext_lazy("The outcome of the debate"),
        button=gettext_lazy("Publish the outcome"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.debate_publish(
            actor=actor,
            petition=petition,
            summary=data["debate_summary"],
            minutes_url=data["debate_minutes_url"],
            video_url=data["debate_video_url"],
        ),
        done=lambda petition: (
            _("The outcome of the debate on “%(title)s” is published.") % {"title": petition.title}
        ),
        prefilled=True,
    ),
    Action(
        name="remove",
        form=RemoveForm,
        heading=gettext_lazy("Remove"),
        button=gettext_lazy("Remove the petition"),
        permission=MODERATE,
        statuses=frozenset(status for status, moves in Petition.TRANSITIONS.items() if moves),
        run=lambda actor, petition, data: services.petition_remove(
            actor=actor, petition=petition, reason=data["removed_reason"]
        ),
        done=lambda petition: (
            _("“%(title)s” is removed; its page now says it is gone.") % {"title": petition.title}
        ),
        back_to_queue=True,
    ),
]
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}


def _initial(action: Action, petition: Petition) -> dict:
    if not action.prefilled:
        return {}
    return {name: getattr(petition, name) for name in action.form.base_fields}


# Petitions --------------------------------------------------------------------------------------


def overdue_condition(now) -> Q:
    """Pending petitions in the queue longer than their council's overdue_days, in the query
    (one condition per council's scheme: there are few)."""
    condition = Q(pk__in=[])
    for organisation_id, days in PetitionPolicy.objects.values_list(
        "organisation_id", "overdue_days"
    ):
        condition |= Q(
            organisation_id=organisation_id, submitted_at__lte=now - timedelta(days=days)
        )
    return Q(status=Status.PENDING) & condition


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("moderation")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_condition(timezone.now()))
        return queryset


@dataclass(frozen=True)
class LockState:
    petition_id: int
    holder: object  # another moderator holding the petition, or None
    until: object


@admin.register(Petition)
class PetitionAdmin(AdminPagesMixin, ScopedModelAdmin):
    """The moderation queue and each petition's page. The list is scoped in the query to the
    petitions of the officer's departments (their organisation's for its admins)."""

    department_path = "department"
    list_display = ["title", "stage_label", "signature_count", "submitted_at", "moderation_due"]
    list_filter = ["status", OverdueFilter]
    search_fields = ["title"]
    # The moderation queue first, oldest first; then everything else, newest first.
    ordering = [
        Case(When(status=Status.PENDING, then=Value(0)), default=Value(1)).asc(),
        Case(When(status=Status.PENDING, then=F("submitted_at"))).asc(nulls_last=True),
        "-created_at",
    ]
    change_form_template = "admin/petitions/petition/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": [*RESIDENT_FIELDS, "area", "creator_name", "creator_email"]},
        ),
        (
            gettext_lazy("Where it stands"),
            {
                "fields": [
                    "stage_label",
                    "created_at",
                    "submitted_at",
                    "moderation_due",
                    "moderated_at",
                    "moderated_by",
                    "opened_at",
                    "closes_at",
                ]
            },
        ),
        (
            gettext_lazy("Signatures"),
            {
                "fields": [
                    "signature_count",
                    "signatures_by_ward",
                    "counted_at",
                    "response_due_at",
                    "debate_due_at",
                ]
            },
        ),
        (
            gettext_lazy("Moderation"),
            {"fields": ["rejection_reason", "rejection_details", "removed_reason"]},
        ),
        (
            gettext_lazy("The council's answer"),
            {
                "fields": [
                    "response",
                    "responded_at",
                    "debate_date",
                    "debate_summary",
                    "debate_minutes_url",
                    "debate_video_url",
                    "debated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(queue_overdue_days=F("organisation__petition_policy__overdue_days"))
        )

    # Columns and read-only fields ---------------------------------------------------------------

    @admin.display(description=gettext_lazy("stage"))
    def stage_label(self, petition: Petition) -> str:
        return Petition.Stage(petition.stage).label

    @admin.display(description=gettext_lazy("moderation due"))
    def moderation_due(self, petition: Petition):
        days = getattr(petition, "queue_overdue_days", None)  # from get_queryset
        due = petition.overdue_at(days) if days is not None else None
        if due is None:
            return self.get_empty_value_display()
        if due <= timezone.now():
            # Marked in words and highlighted, not by colour alone.
            return format_html(
                '<mark class="petition-overdue"><strong>{}</strong> {}</mark>',
                _("Overdue"),
                _("since %(date)s") % {"date": day(due)},
            )
        return _("by %(date)s") % {"date": day(due)}

    @admin.display(description=gettext_lazy("creator's e-mail address"))
    def creator_email(self, petition: Petition) -> str:
        return petition.creator.email if petition.creator_id else ""

    @admin.display(description=gettext_lazy("by ward"))
    def signatures_by_ward(self, petition: Petition):
        if not petition.ward_counts:
            return self.get_empty_value_display()
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (name or _("Outside the council's wards"), f"{count:,}")
                    for _area, name, count in petition.ward_counts
                ),
            ),
        )

    def get_fieldsets(self, request, obj=None):
        """The decision's fields once there is one, the answer's once the petition is open."""
        status = obj.status if obj is not None else None
        decided = status not in (None, *EDITABLE_STATUSES, Status.OPEN)
        shown = {"rejection_reason": decided, "response": status == Status.OPEN}
        return [
            (name, options)
            for name, options in self.fieldsets
            if shown.get(options["fields"][0], True)
        ]

    def get_readonly_fields(self, request, obj=None):
        names = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [name for name in names if name not in RESIDENT_FIELDS]

    def view_on_site(self, petition: Petition):
        if petition.status not in (Status.OPEN, Status.REJECTED):
            return None
        return reverse("petitions:detail", args=[petition.pk])

    # The lock -----------------------------------------------------------------------------------

    def _lock(self, request, petition: Petition) -> LockState:
        """Hold the petition for this moderator, or learn who else holds it (kept on the request
        for has_change_permission)."""
        holder = None
        may_hold = petition.status != Status.REMOVED and request.user.has_perm(MODERATE, petition)
        if may_hold and not services.moderation_lock(actor=request.user, petition=petition):
            holder = services.lock_holder(petition, actor=request.user)
        state = LockState(petition.pk, holder, petition.locked_until)
        request.petition_lock = state
        return state

    def _held_by_another(self, request, petition: Petition) -> bool:
        state = getattr(request, "petition_lock", None)
        if state is not None and state.petition_id == petition.pk:
            return state.holder is not None
        return services.lock_holder(petition, actor=request.user) is not None

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        # Only what a resident wrote is edited here, before publication, by the lock holder.
        return obj.status in EDITABLE_STATUSES and not self._held_by_another(request, obj)

    # Pages --------------------------------------------------------------------------------------

    def admin_pages(self):
        return [
            *(
                self.page_path(
                    f"<int:object_id>/{action.name.replace('_', '-')}/",
                    self.action_view,
                    action.name,
                    {"name": action.name},
                )
                for action in ACTIONS
            ),
            self.page_path("<int:object_id>/release/", self.release_view, "release"),
            self.page_path("<int:object_id>/invalidate/", self.invalidate_view, "invalidate"),
        ]

    def _url(self, name: str, petition: Petition) -> str:
        return reverse(f"{self.admin_site.name}:petitions_petition_{name}", args=[petition.pk])

    def _petition(self, request, object_id, *, permission: str = "") -> Petition:
        return self.page_object(request, object_id, permission=permission)

    def _render(self, request, template: str, petition: Petition, context: dict):
        return self.page_response(
            request,
            f"admin/petitions/petition/{template}",
            {
                "original": petition,
                "petition": petition,
                "change_url": self._url("change", petition),
                "has_view_permission": True,
                **context,
            },
        )

    def _offered(self, request, petition: Petition) -> list[dict]:
        """The actions this officer may take on the petition as it stands, with blank forms."""
        return [
            {
                "action": action,
                "url": self._url(action.name, petition),
                "form": action.form(initial=_initial(action, petition), auto_id=_auto_id(action)),
            }
            for action in ACTIONS
            if petition.status in action.statuses
            and request.user.has_perm(action.permission, petition)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        petition = self._petition(request, object_id)
        lock = self._lock(request, petition)
        extra = {
            "lock_holder": lock.holder,
            "lock_holder_name": lock.holder and (lock.holder.get_full_name() or lock.holder.email),
            "lock_until": lock.until and timezone.localtime(lock.until).strftime("%H:%M"),
            "actions": [] if lock.holder else self._offered(request, petition),
            "signatures_url": reverse(f"{self.admin_site.name}:petitions_signature_changelist")
            + f"?petition={petition.pk}",
        }
        if lock.holder is None and request.user.has_perm(MODERATE, petition):
            extra["invalidate_url"] = self._url("invalidate", petition)
            if petition.status != Status.REMOVED:
                extra["release_url"] = self._url("release", petition)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def action_view(self, request, object_id, name: str):
        action = ACTIONS_BY_NAME[name]
        petition = self._petition(request, object_id, permission=action.permission)
        form = action.form(initial=_initial(action, petition), auto_id=_auto_id(action))
        if request.method == "POST":
            form = action.form(request.POST, auto_id=_auto_id(action))
            if form.is_valid():
                try:
                    done = action.run(request.user, petition, form.cleaned_data)
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    messages.success(request, action.done(done))
                    if action.back_to_queue:
                        return redirect(f"{self.admin_site.name}:petitions_petition_changelist")
                    return redirect(self._url("change", petition))
        return self._render(
            request,
            "action.html",
            petition,
            {
                "title": f"{action.heading}: {petition.title}",
                "item": {"action": action, "url": self._url(action.name, petition), "form": form},
                "form": form,
            },
        )

    def release_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        petition = self._petition(request, object_id, permission=MODERATE)
        services.moderation_unlock(actor=request.user, petition=petition)
        messages.success(
            request,
            _("You let go of “%(title)s”: another moderator can take it now.")
            % {"title": petition.title},
        )
        return redirect(f"{self.admin_site.name}:petitions_petition_changelist")

    def invalidate_view(self, request, object_id):
        """Strike out signatures by address, network, domain, postcode or time: the first POST
        says how many match and changes nothing; the second, which names that number, does it.
        If the number has changed meanwhile, the officer is asked again."""
        petition = self._petition(request, object_id, permission=MODERATE)
        form = InvalidationForm()
        matching = None
        if request.method == "POST":
            form = InvalidationForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    invalidation = services.invalidation_clean(
                        ip=data["ip"],
                        domain=data["domain"],
                        postcode=data["postcode"],
                        since=data["since"],
                        until=data["until"],
                    )
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    matching = services.signatures_matching(petition, invalidation).count()
                    confirmed = request.POST.get("step") == "invalidate"
                    if confirmed and request.POST.get("expected") != str(matching):
                        messages.warning(
                            request,
                            _(
                                "The number of matching signatures has changed: check it and "
                                "confirm again."
                            ),
                        )
                    elif confirmed:
                        response = self._invalidate(request, petition, form, invalidation)
                        if response is not None:
                            return response
        return self._render(
            request,
            "invalidate.html",
            petition,
            {
                "title": _("Invalidate signatures: %(title)s") % {"title": petition.title},
                "form": form,
                "matching": matching,
            },
        )

    def _invalidate(self, request, petition, form, invalidation):
        try:
            changed = services.signatures_invalidate(
                actor=request.user,
                petition=petition,
                invalidation=invalidation,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
            return None
        messages.success(
            request,
            ngettext(
                "%(count)d signature is invalidated and the petition counted again.",
                "%(count)d signatures are invalidated and the petition counted again.",
                changed,
            )
            % {"count": changed},
        )
        return redirect(self._url("invalidate", petition))


def _auto_id(action: Action) -> str:
    """Ids unique on the petition's page, where every action's form is drawn."""
    return f"{action.name.replace('_', '-')}-%s"


# Signatures -------------------------------------------------------------------------------------


class SignaturePetitionFilter(admin.SimpleListFilter):
    """Petitions in the officer's scope, newest first (not every petition any signature names:
    that would read the whole signatures table)."""

    title = gettext_lazy("petition")
    parameter_name = "petition"
    shown = 50

    def lookups(self, request, model_admin):
        petitions = scope_to_department(Petition.objects.all(), request.user).order_by(
            "-created_at", "-pk"
        )
        chosen = self.value()
        choices = [
            (str(pk), title) for pk, title in petitions.values_list("pk", "title")[: self.shown]
        ]
        if chosen and chosen.isdigit() and all(pk != chosen for pk, _title in choices):
            choices += [
                (str(pk), title)
                for pk, title in petitions.filter(pk=chosen).values_list("pk", "title")
            ]
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(petition_id=value)
        return queryset


@admin.register(Signature)
class SignatureAdmin(ScopedModelAdmin):
    """Read only (civic.rules refuse adding, changing and deleting): signatures change through
    signing, confirming and invalidation."""

    department_path = "petition__department"
    list_display = ["name", "email", "postcode", "area", "status", "created_at", "ip", "petition"]
    list_filter = [SignaturePetitionFilter, "status"]
    list_select_related = ["petition", "area"]
    search_fields = ["=email", "=postcode"]
    fields = [
        "petition",
        "name",
        "email",
        "postcode",
        "area",
        "household_place",
        "hears_progress",
        "is_supporter",
        "status",
        "ip",
        "created_at",
        "confirmed_at",
        "invalidated_at",
        "invalidation_reason",
        "anonymised_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("petition", "area")
