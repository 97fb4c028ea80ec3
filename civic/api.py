"""Open data about the councils on this installation: organisations, departments and areas."""

from rest_framework import serializers, viewsets

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


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    lookup_field = "slug"


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSerializer

    def get_queryset(self):
        queryset = Department.objects.select_related("organisation")
        organisation = self.request.query_params.get("organisation")
        return queryset.filter(organisation__slug=organisation) if organisation else queryset


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AreaSerializer

    def get_queryset(self):
        queryset = Area.objects.select_related("organisation")
        organisation = self.request.query_params.get("organisation")
        return queryset.filter(organisation__slug=organisation) if organisation else queryset
