from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civic import selectors, services
from civic.admin_base import (
    AdminPagesMixin,
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    ScopedModelAdmin,
    UnseenIsNotFoundMixin,
    preselect_only_choice,
)
from civic.models import (
    Area,
    AuditEntry,
    Department,
    Organisation,
    Postcode,
    PostcodeImport,
    Role,
    User,
)
from civic.validators import validate_csv_upload

# The admins of Django's and allauth's own models answer 404 for what the user cannot see too.
admin.site.unregister(Group)
admin.site.unregister(EmailAddress)


@admin.register(Group)
class GroupAdmin(UnseenIsNotFoundMixin, DjangoGroupAdmin):
    pass


@admin.register(EmailAddress)
class EmailAddressAdmin(UnseenIsNotFoundMixin, AllauthEmailAddressAdmin):
    pass


@admin.register(User)
class UserAdmin(UnseenIsNotFoundMixin, AuditedAdminMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = []
    list_filter = ["is_staff", "is_superuser", "is_active"]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    organisation_path = None
    list_display = ["name", "slug", "brand_colour"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PostcodeUploadForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    file = forms.FileField(
        label=_("Postcode directory CSV"),
        help_text=_(
            "The ONS Postcode Directory or an extract of it: a postcode column (pcds) and a ward "
            "code column (such as wd25cd). Postcodes outside your wards are skipped."
        ),
        validators=[validate_csv_upload],
    )


@admin.register(Area)
class AreaAdmin(AdminPagesMixin, ScopedModelAdmin):
    list_display = ["name", "code", "organisation", "population"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "code"]
    change_list_template = "admin/civic/area/change_list.html"

    def admin_pages(self):
        return [self.page_path("load-postcodes/", self.load_postcodes_view, "load_postcodes")]

    def load_postcodes_view(self, request):
        if not request.user.has_perm("civic.load_postcodes"):
            messages.error(request, _("You do not have permission to load postcodes."))
            return redirect(reverse("admin:civic_area_changelist"))
        form = PostcodeUploadForm(request.POST or None, request.FILES or None)
        form.fields["organisation"].queryset = selectors.scope_to_organisation(
            Organisation.objects.all(),
            request.user,
            path="pk",
            kinds=(Role.Kind.OFFICER, Role.Kind.ORGANISATION_ADMIN),
        )
        preselect_only_choice(form.fields["organisation"])
        if request.method == "POST" and form.is_valid():
            services.postcode_import_start(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                uploaded_file=form.cleaned_data["file"],
            )
            messages.success(
                request, _("The file is loading in the background; its progress is listed here.")
            )
            return redirect(reverse("admin:civic_postcodeimport_changelist"))
        return self.page_response(
            request,
            "admin/civic/area/load_postcodes.html",
            {"form": form, "title": _("Load postcodes")},
        )


@admin.register(Postcode)
class PostcodeAdmin(ScopedModelAdmin):
    list_display = ["postcode", "area", "organisation"]
    list_select_related = ["area", "organisation"]
    search_fields = ["postcode"]
    fields = ["postcode", "area"]

    def save_model(self, request, obj, form, change):
        obj.organisation_id = obj.area.organisation_id  # a postcode belongs to its ward's council
        super().save_model(request, obj, form, change)


@admin.register(PostcodeImport)
class PostcodeImportAdmin(ScopedModelAdmin):
    list_display = ["file", "organisation", "status", "loaded", "unchanged", "created_at"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "organisation",
        "file",
        "uploaded_by",
        "status",
        "loaded",
        "unchanged",
        "problems",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("civic.load_postcodes", obj)


class RoleForm(forms.ModelForm):
    """Staff are named by e-mail address, so an organisation admin never browses every account."""

    email = forms.EmailField(
        label=_("E-mail address of their account"),
        help_text=_("They create an account first, with this address, from the sign-up page."),
    )

    class Meta:
        model = Role
        fields = ["email", "organisation", "kind", "departments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No account uses this e-mail address: ask them to create one, then try again")
            )
        self.instance.user = user
        return email

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        departments = cleaned.get("departments") or []
        if organisation and any(d.organisation_id != organisation.pk for d in departments):
            self.add_error(
                "departments", _("Choose departments of the role's own organisation only")
            )
        return cleaned


@admin.register(Role)
class RoleAdmin(ScopedModelAdmin):
    form = RoleForm
    list_display = ["user", "kind", "organisation"]
    list_filter = ["kind", "organisation"]
    list_select_related = ["user", "organisation"]
    filter_horizontal = ["departments"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.user.is_staff:
            # Staff sign in to the admin; a role without it would be a role nobody can use.
            obj.user.is_staff = True
            obj.user.save(update_fields=["is_staff"])

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "departments":
            kwargs["queryset"] = selectors.scope_to_organisation_admin(
                Department.objects.select_related("organisation"), request.user
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Read-only, for everyone including site admins; the database refuses changes as well."""

    list_display = ["created_at", "actor_label", "action", "object_repr", "summary"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_repr", "summary"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super(ScopedModelAdmin, self).get_queryset(request)
        return selectors.scope_to_organisation_admin(queryset, request.user)
