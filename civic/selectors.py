"""Reads that decide what a member of staff sees: querysets filtered in the database."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civic.models import Role
from civic.rules import officer_departments, organisations_with_role


def scope_to_organisation(
    queryset: QuerySet, user, *, path: str = "organisation", kinds: tuple[str, ...] = ()
) -> QuerySet:
    """Rows of organisations where the user holds a role (any, or of the kinds given);
    everything for a site admin."""
    if user.is_active and user.is_superuser:
        return queryset
    organisations = organisations_with_role(user, *kinds)
    if path == "pk":
        return queryset.filter(pk__in=organisations)
    return queryset.filter(**{f"{path}__in": organisations})


def scope_to_organisation_admin(
    queryset: QuerySet, user, *, path: str = "organisation"
) -> QuerySet:
    if user.is_active and user.is_superuser:
        return queryset
    organisations = organisations_with_role(user, Role.Kind.ORGANISATION_ADMIN)
    return queryset.filter(**{f"{path}__in": organisations})


def scope_to_department(
    queryset: QuerySet,
    user,
    *,
    department_path: str = "department",
    organisation_path: str = "department__organisation",
) -> QuerySet:
    """Department-owned rows: an officer sees their departments', an admin the organisation's."""
    if user.is_active and user.is_superuser:
        return queryset
    admin_of = organisations_with_role(user, Role.Kind.ORGANISATION_ADMIN)
    departments = officer_departments(user)
    return queryset.filter(
        Q(**{f"{organisation_path}__in": admin_of}) | Q(**{f"{department_path}__in": departments})
    )


def published_or_run_by(
    queryset: QuerySet,
    user,
    *,
    published: Q,
    department_path: str = "department",
    organisation_path: str = "department__organisation",
) -> QuerySet:
    """What a page or the API shows: published rows to everyone, and unpublished ones (drafts)
    only to the officers of their department, their organisation's admins and site admins."""
    if user.is_active and user.is_superuser:
        return queryset
    admin_of = organisations_with_role(user, Role.Kind.ORGANISATION_ADMIN)
    departments = officer_departments(user)
    return queryset.filter(
        published
        | Q(**{f"{organisation_path}__in": admin_of})
        | Q(**{f"{department_path}__in": departments})
    )


def areas_near(text: str) -> tuple[str, list]:
    """A "near me" postcode, as a resident typed it, and the wards it lies in (of any council),
    for a list filtered to what is near them. Raises ValidationError in words to show next to
    the field: a postcode that is not one, or one no council's directory holds."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from civic.models import Postcode
    from civic.postcodes import normalise_postcode

    try:
        postcode = normalise_postcode(text)
    except ValidationError as error:
        raise ValidationError(_("Enter a real UK postcode, like M1 1AE")) from error
    areas = [row.area for row in Postcode.objects.filter(postcode=postcode).select_related("area")]
    if not areas:
        raise ValidationError(
            _("We do not know which ward %(postcode)s is in. Check the postcode, or choose "
              "an area from the list.") % {"postcode": postcode}
        )  # fmt: skip
    return postcode, areas
