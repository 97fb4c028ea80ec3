from contextlib import suppress

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civic.admin_base import AdminPagesMixin, ReadOnlyAdminMixin, ScopedModelAdmin
from civic.exports import csv_download
from civic.models import AuditEntry, Organisation
from civic.rules import officer_departments, organisations_with_role
from civic.selectors import scope_to_organisation
from civic.services import audit_query, audit_record
from contacts.models import Activity, ConsentEvent, ConsentPurpose, Contact, Segment, Tag
from contacts.segment_builder import Builder, Condition, TooDeep, fields_for
from contacts.segments import segment_queryset
from contacts.selectors import KEEPER_ROLES, contacts_visible_to
from contacts.services import contact_save_typed_in
from contacts.services.segments import EXPORT_HEADER, segment_export_rows, segment_preview


class KeepersOnlyAdmin(ScopedModelAdmin):
    """Rows of the organisations where the user is a facilitator or organisation admin."""

    def get_queryset(self, request):
        queryset = super(ScopedModelAdmin, self).get_queryset(request)
        return scope_to_organisation(
            queryset,
            request.user,
            kinds=KEEPER_ROLES,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model is Organisation:
            field.queryset = scope_to_organisation(
                Organisation.objects.all(),
                request.user,
                path="pk",
                kinds=KEEPER_ROLES,
            )
        return field


class ConsentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The consent history: append-only, so shown and never edited here."""

    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "purpose", "action", "method", "wording"]
    readonly_fields = fields
    verbose_name_plural = _("Consent history")

    def has_view_permission(self, request, obj=None):
        # Consent is the keepers' business: officers see the timeline of their items only.
        return request.user.has_perm("contacts.change_contact", obj)


class ActivityInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The contact's timeline of participation, newest first."""

    model = Activity
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "item_title", "department"]
    readonly_fields = fields
    verbose_name_plural = _("Timeline")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("department")
        user = request.user
        keepers = organisations_with_role(user, *KEEPER_ROLES)
        if user.is_superuser:
            return queryset
        # An officer sees only what was done in their own departments' items.
        return queryset.filter(
            Q(contact__organisation__in=keepers) | Q(department__in=officer_departments(user))
        )


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "organisation",
            "kind",
            "name",
            "email",
            "phone",
            "postcode",
            "represents",
            "source",
            "tags",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        tags = cleaned.get("tags") or []
        if organisation is not None and any(tag.organisation_id != organisation.pk for tag in tags):
            self.add_error("tags", _("Choose tags of the contact's own organisation only"))
        return cleaned


@admin.register(Contact)
class ContactAdmin(KeepersOnlyAdmin):
    form = ContactForm
    list_display = ["__str__", "email", "area", "source", "organisation", "created_at"]
    list_filter = ["source", "kind", "organisation"]
    list_select_related = ["area", "organisation"]
    search_fields = ["email", "name", "postcode", "represents"]
    filter_horizontal = ["tags"]
    readonly_fields = ["area", "user", "created_at", "anonymised_at"]
    fields = [
        "organisation",
        "kind",
        "name",
        "email",
        "phone",
        "postcode",
        "area",
        "represents",
        "source",
        "tags",
        "notes",
        "user",
        "created_at",
        "anonymised_at",
    ]
    inlines = [ActivityInline, ConsentEventInline]
    list_per_page = 50

    def get_queryset(self, request):
        queryset = super(ScopedModelAdmin, self).get_queryset(request)
        return contacts_visible_to(queryset, request.user)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # A list of people is personal data too: who looked is recorded, and whether they
            # searched or filtered, but not for what (a search for a person is their name).
            query = audit_query(request.GET)
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.VIEW,
                summary="Viewed the contact list" + (f" ({query})" if query else ""),
            )
        return response

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            contact_save_typed_in(actor=request.user, contact=obj, changed=form.changed_data)
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Not even a site admin deletes a contact: erasure keeps the counts and history.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A contact stays in its organisation: its consents are to that organisation's purposes.
        return [*fields, "organisation"] if obj is not None else fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            kwargs["queryset"] = scope_to_organisation(
                Tag.objects.select_related("organisation"),
                request.user,
                kinds=KEEPER_ROLES,
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # Looking at a person's record is an act on their personal data: audit it too.
            contact = response.context_data["original"]
            with transaction.atomic():
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.VIEW,
                    obj=contact,
                    summary="Viewed the contact's record",
                )
        return response


@admin.register(Tag)
class TagAdmin(KeepersOnlyAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name"]


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(KeepersOnlyAdmin):
    list_display = ["name", "slug", "organisation"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["organisation", "name", "slug", "description"]


# The buttons that redraw the segment's page without saving it.
REDRAWS = {"_add", "_remove", "_count", "_preview"}


class SegmentForm(forms.ModelForm):
    """A segment's name and organisation, and its conditions as rows picked from the
    organisation's own lists (contacts.segment_builder), stored as the JSON the engine reads."""

    class Meta:
        model = Segment
        fields = ["organisation", "name"]

    hand_written = ""  # why the builder cannot show the saved conditions, if it cannot

    def __init__(self, *args, builder: Builder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = self.fields["organisation"].queryset
        if self.instance.pk is None and len(organisations[:2]) == 1:
            self.fields["organisation"].initial = organisations[0].pk
        if builder is None and self.is_bound:
            builder = Builder.from_post(self.data)
        elif builder is None:
            try:
                builder = Builder.from_definition(self.instance.definition)
            except TooDeep:
                builder, self.hand_written = Builder(), HAND_WRITTEN
            if not builder.rows:
                builder.rows.append(Condition())
                builder.numbered()
        self.builder = builder
        self.builder_fields = fields_for(self.chosen_organisation())
        if not self.is_bound and self.instance.pk is not None:
            # A saved segment's values in the form the lists hold them ("Cyclists" is the tag
            # "cyclists"), and one that is gone marked on its row.
            self.builder.check(self.builder_fields)
        self.builder.drawn(self.builder_fields)

    def chosen_organisation(self) -> Organisation | None:
        """The organisation whose tags, wards and purposes the rows offer: one of the user's."""
        queryset = self.fields["organisation"].queryset
        if self.is_bound:
            chosen = self.data.get("organisation")
        else:
            chosen = (
                self.initial.get("organisation")
                or self.instance.organisation_id
                or self.fields["organisation"].initial
            )
        if not str(chosen or "").isdigit():
            return None
        return queryset.filter(pk=chosen).first()

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        if self.instance.pk is not None:
            try:
                Builder.from_definition(self.instance.definition)
            except TooDeep:
                raise ValidationError(HAND_WRITTEN) from None
        if organisation is None:
            return cleaned
        self.builder_fields = fields_for(organisation)
        complete = self.builder.check(self.builder_fields)
        self.builder.drawn(self.builder_fields)
        if not complete:
            for condition, message in self.builder.errors():
                self.add_error(
                    None,
                    _("Condition %(number)s: %(message)s")
                    % {"number": condition.number, "message": message},
                )
            return cleaned
        definition = self.builder.to_json()
        try:
            self.preview = segment_queryset(organisation=organisation, definition=definition)
            self.preview_count = self.preview.count()
        except ValidationError as error:
            self.add_error(None, error)
            return cleaned
        self.instance.definition = definition
        return cleaned


HAND_WRITTEN = _(
    "This segment was written by hand with groups inside groups, which the builder cannot show "
    "or change. Make a new segment here, with one level of groups, instead"
)
SAMPLE_SIZE = 5


@admin.register(Segment)
class SegmentAdmin(AdminPagesMixin, KeepersOnlyAdmin):
    form = SegmentForm
    list_display = ["name", "organisation", "updated_at"]
    actions = ["export_csv"]
    change_form_template = "admin/contacts/segment/change_form.html"

    def admin_pages(self):
        return [self.page_path("builder/", self.builder_view, "builder")]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "builder_url": self._builder_url()}
        obj = self.get_object(request, object_id) if object_id else None
        if request.method == "POST" and REDRAWS & set(request.POST):
            return self._redraw_view(request, obj, object_id, form_url)
        if obj is not None and request.method == "GET":
            with suppress(ValidationError):
                count, sample = segment_preview(segment=obj, sample_size=SAMPLE_SIZE)
                extra_context.update({"preview_count": count, "preview_sample": sample})
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _builder_url(self) -> str:
        return reverse("admin:contacts_segment_builder")

    def _allowed(self, request, obj) -> None:
        if obj is None and not self.has_add_permission(request):
            raise PermissionDenied
        if obj is not None and not self.has_change_permission(request, obj):
            raise PermissionDenied

    def _builder_context(self, request, obj, *, quiet: bool) -> dict:
        """The rows as posted (after an add or remove), and while they are complete, how many
        contacts they hold and a sample, saving nothing. Quietly (as they are being made, or
        from htmx) a row without its value yet is not an error."""
        self._allowed(request, obj)
        form_class = self.get_form(request, obj)
        initial = {key: request.POST.get(key) for key in ("organisation", "name")}
        form = form_class(initial=initial, instance=obj, builder=Builder.from_post(request.POST))
        organisation = form.chosen_organisation()
        form.builder_fields = fields_for(organisation)
        complete = form.builder.check(form.builder_fields, quiet=quiet)
        form.builder.drawn(form.builder_fields)
        context = {"form": form, "preview_count": None, "preview_sample": []}
        if organisation is None or not complete:
            return context
        try:
            contacts = segment_queryset(
                organisation=organisation, definition=form.builder.to_json()
            )
            context["preview_count"] = contacts.count()
        except ValidationError as error:
            context["builder_error"] = error.messages[0]
            return context
        context["preview_sample"] = list(
            contacts.select_related("area").order_by("pk")[:SAMPLE_SIZE]
        )
        if context["preview_sample"]:
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.VIEW,
                organisation=organisation,
                summary="Previewed a sample of a segment's contacts",
            )
        return context

    def builder_view(self, request):
        """The builder redrawn for htmx as conditions change: values for the chosen fields, the
        count and the sample."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        object_id = request.POST.get("segment", "")
        obj = self.page_object(request, object_id) if object_id.isdigit() else None
        context = self._builder_context(request, obj, quiet=True)
        return TemplateResponse(
            request,
            "admin/contacts/segment/_builder.html",
            {**context, "original": obj, "builder_url": self._builder_url()},
        )

    def _redraw_view(self, request, obj, object_id, form_url):
        """The change page again after "Add a condition", "Remove" or "Show count"."""
        quiet = not ({"_count", "_preview"} & set(request.POST))
        context = self._builder_context(request, obj, quiet=quiet)
        form = context.pop("form")
        adminform = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request, obj)),
            self.get_prepopulated_fields(request, obj),
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        context.update(
            {
                **self.admin_site.each_context(request),
                "title": _("Change segment") if obj else _("Add segment"),
                "adminform": adminform,
                "object_id": object_id,
                "original": obj,
                "is_popup": False,
                "to_field": None,
                "media": self.media + adminform.media,
                "inline_admin_formsets": [],
                "errors": helpers.AdminErrorList(form, []),
                "preserved_filters": self.get_preserved_filters(request),
                "builder_url": self._builder_url(),
            }
        )
        return self.render_change_form(
            request, context, add=obj is None, change=obj is not None, obj=obj, form_url=form_url
        )

    @admin.action(description=_("Export the contacts of the selected segment as CSV"))
    def export_csv(self, request, queryset):
        if not request.user.has_perm("contacts.export_contacts", queryset.first()):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(request, _("Choose one segment to export."), messages.ERROR)
            return None
        segment = queryset.get()
        return csv_download(
            f"segment-{segment.pk}.csv",
            EXPORT_HEADER,
            segment_export_rows(actor=request.user, segment=segment),
        )


# Admin pages of the other concerns of this app, each in its own module.
from contacts import admin_gdpr, admin_imports  # noqa: E402, F401
