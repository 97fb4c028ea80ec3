"""Open data about debates, read-only, under /api/v1/debates/.

Published debates (a draft only to those who run it, as on the pages) with their question,
summary, background, stage and dates, and the consultation each informs. Never a person.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from civic.api_base import SLUG_REGEX
from civic.selectors import published_or_run_by
from debates.models import Debate


def register(router) -> None:
    router.register("debates", DebateViewSet, basename="debate")


# A component of its own: an enum named after the field would clash with other apps' `stage`.
@extend_schema_field(
    {"type": "string", "enum": [str(stage) for stage in Debate.Stage]},
    component_name="DebateStage",
)
class StageField(serializers.Field):
    """Where the debate stands, from its dates."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, debate: Debate) -> str:
        return str(debate.stage)


class PublicDebateSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        source="department.organisation", slug_field="slug", read_only=True
    )
    stage = StageField()
    consultation = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Debate
        fields = [
            "slug",
            "question",
            "organisation",
            "summary",
            "background",
            "stage",
            "opens_at",
            "closes_at",
            "consultation",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_consultation(self, debate: Debate) -> str | None:
        """The web address (slug) of the published consultation the debate informs; null for
        none."""
        consultation = debate.consultation
        if consultation is None or consultation.published_at is None:
            return None
        return consultation.slug

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, debate: Debate) -> str:
        path = reverse("debates:debate", args=[debate.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DebateViewSet(viewsets.ReadOnlyModelViewSet):
    """Debates, newest first, with their question, background, stage and dates."""

    serializer_class = PublicDebateSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX

    def get_queryset(self):
        return (
            published_or_run_by(
                Debate.objects.all(), self.request.user, published=Q(status=Debate.Status.PUBLISHED)
            )
            .select_related("department__organisation", "consultation")
            .order_by("-opens_at", "-pk")
        )
