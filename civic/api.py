"""Open data about the councils on this installation: organisations, departments and areas.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from civic.api_base import ID_REGEX, SLUG_REGEX, FilteredListMixin, SlugFilter
from civic.models import Area, Department, Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "website"]


class DepartmentSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "slug", "organisation"]


class AreaSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "population", "organisation"]


def register(router) -> None:
    router.register("organisations", OrganisationViewSet, basename="organisation")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("areas", AreaViewSet, basename="area")


class OrganisationFilters(serializers.Serializer):
    organisation = SlugFilter(help_text="Only this organisation's (its slug).")


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """The councils and other organisations on this installation."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX


@extend_schema_view(list=extend_schema(parameters=[OrganisationFilters]))
class DepartmentViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """The organisations' departments (a consultation or petition belongs to one)."""

    serializer_class = DepartmentSerializer
    filters_class = OrganisationFilters
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        queryset = Department.objects.select_related("organisation")
        if self.action == "list" and self.filters().get("organisation"):
            queryset = queryset.filter(organisation__slug=self.filters()["organisation"])
        return queryset


@extend_schema_view(list=extend_schema(parameters=[OrganisationFilters]))
class AreaViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """The organisations' areas (wards), with their population."""

    serializer_class = AreaSerializer
    filters_class = OrganisationFilters
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        queryset = Area.objects.select_related("organisation")
        if self.action == "list" and self.filters().get("organisation"):
            queryset = queryset.filter(organisation__slug=self.filters()["organisation"])
        return queryset
