"""Which contacts a member of staff may see, filtered in the database."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from civic.models import Role
from civic.rules import officer_departments, organisations_with_role
from contacts.models import Activity

# The roles that keep an organisation's contacts.
KEEPER_ROLES = (Role.Kind.FACILITATOR, Role.Kind.ORGANISATION_ADMIN)


def contacts_visible_to(queryset: QuerySet, user) -> QuerySet:
    if user.is_active and user.is_superuser:
        return queryset
    keepers = organisations_with_role(user, *KEEPER_ROLES)
    visible = Q(organisation__in=keepers)
    departments = officer_departments(user)
    if settings.CIVIC_OFFICERS_SEE_CONTACTS and departments:
        visible |= Q(
            Exists(Activity.objects.filter(contact=OuterRef("pk"), department_id__in=departments))
        )
    return queryset.filter(visible)
