"""Open data about petitions, read-only, under /api/v1/petitions/ (and as plain JSON at
/petitions.json and /petitions/<id>.json, from the same serializers).

Published and rejected petitions only (never those gathering supporters, being checked, hidden
or removed), with their stage, counts, the thresholds they reached, the council's response and
debate, and the signatures by ward. Never personal data: no names, e-mail addresses or
postcodes, of signers or of the person who started it.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets

from civic.api_base import ID_REGEX, ChoiceFilter, FilteredListMixin, SlugFilter
from civic.models import Area
from petitions.models import Petition, Threshold

# The stages the API lists (a petition's `stage`); the others are nobody's business.
PUBLIC_STAGES = [
    Petition.Stage.OPEN,
    Petition.Stage.AWAITING_RESPONSE,
    Petition.Stage.DEBATE_SCHEDULED,
    Petition.Stage.RESPONDED,
    Petition.Stage.DEBATED,
    Petition.Stage.CLOSED,
    Petition.Stage.REJECTED,
]


def newest_first(petitions: QuerySet, *, ranked: bool = False) -> QuerySet:
    """Most recently published (or decided, for a rejected one) first; by relevance first when
    `ranked` (a search that annotated `rank`)."""
    order = [
        Coalesce("opened_at", "moderated_at", "created_at").desc(),
        "-pk",
    ]
    return petitions.order_by(*([F("rank").desc(), *order] if ranked else order))


def register(router) -> None:
    router.register("petitions", PetitionViewSet, basename="petition")


# Serializers ------------------------------------------------------------------------------------


class PetitionAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["code", "name"]


# A component of its own: an enum named after the field would clash with consultations' `stage`.
@extend_schema_field(
    {"type": "string", "enum": [str(stage) for stage in PUBLIC_STAGES]},
    component_name="PetitionStage",
)
class StageField(serializers.Field):
    """Where the petition stands (derived from its state, dates and answer)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, petition: Petition) -> str:
        return str(petition.stage)


class PetitionSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    area = PetitionAreaSerializer(read_only=True, allow_null=True)
    state = serializers.ChoiceField(
        source="status",
        choices=[Petition.Status.OPEN, Petition.Status.REJECTED],
        read_only=True,
        help_text="Published (open), or rejected.",
    )
    stage = StageField()
    stage_label = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "id",
            "title",
            "organisation",
            "area",
            "state",
            "stage",
            "stage_label",
            "signature_count",
            "counted_at",
            "opened_at",
            "closes_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_stage_label(self, petition: Petition) -> str:
        return str(Petition.Stage(petition.stage).label)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, petition: Petition) -> str:
        path = reverse("petitions:detail", args=[petition.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ThresholdSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Threshold.Kind.choices)
    signatures = serializers.IntegerField()
    reached = serializers.BooleanField()


class ResponseSerializer(serializers.Serializer):
    text = serializers.CharField()
    responded_at = serializers.DateTimeField()


class DebateSerializer(serializers.Serializer):
    date = serializers.DateField()
    summary = serializers.CharField(help_text="Empty until the outcome is published.")
    minutes_url = serializers.URLField(allow_blank=True)
    video_url = serializers.URLField(allow_blank=True)
    debated_at = serializers.DateTimeField(
        allow_null=True, help_text="When the outcome was published."
    )


class RejectionSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=Petition.Reason.choices, allow_blank=True, help_text="Blank when none was given."
    )
    reason_label = serializers.CharField()
    explanation = serializers.CharField()


class WardCountSerializer(serializers.Serializer):
    area_code = serializers.CharField(allow_null=True, help_text="Null outside the wards.")
    area_name = serializers.CharField()
    count = serializers.IntegerField()


class PetitionDetailSerializer(PetitionSerializer):
    thresholds = serializers.SerializerMethodField()
    response = serializers.SerializerMethodField()
    debate = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()
    signatures_by_ward = serializers.SerializerMethodField()

    class Meta(PetitionSerializer.Meta):
        fields = [
            *PetitionSerializer.Meta.fields,
            "background",
            "details",
            "response_due_at",
            "debate_due_at",
            "thresholds",
            "response",
            "debate",
            "rejection",
            "signatures_by_ward",
        ]

    @extend_schema_field(ThresholdSerializer(many=True))
    def get_thresholds(self, petition: Petition):
        if petition.status != Petition.Status.OPEN:
            return []
        thresholds = Threshold.objects.filter(
            policy__organisation_id=petition.organisation_id
        ).order_by("signatures")
        return ThresholdSerializer(
            [
                {
                    "kind": threshold.kind,
                    "signatures": threshold.signatures,
                    "reached": petition.signature_count >= threshold.signatures,
                }
                for threshold in thresholds
            ],
            many=True,
        ).data

    @extend_schema_field(ResponseSerializer(allow_null=True))
    def get_response(self, petition: Petition):
        if petition.responded_at is None:
            return None
        return ResponseSerializer(
            {"text": petition.response, "responded_at": petition.responded_at}
        ).data

    @extend_schema_field(DebateSerializer(allow_null=True))
    def get_debate(self, petition: Petition):
        if petition.debate_date is None:
            return None
        published = petition.debated_at is not None
        return DebateSerializer(
            {
                "date": petition.debate_date,
                "summary": petition.debate_summary if published else "",
                "minutes_url": petition.debate_minutes_url if published else "",
                "video_url": petition.debate_video_url if published else "",
                "debated_at": petition.debated_at,
            }
        ).data

    @extend_schema_field(RejectionSerializer(allow_null=True))
    def get_rejection(self, petition: Petition):
        if petition.status != Petition.Status.REJECTED:
            return None
        reason = petition.rejection_reason
        return RejectionSerializer(
            {
                "reason": reason,
                "reason_label": Petition.Reason(reason).label if reason else "",
                "explanation": petition.rejection_details,
            }
        ).data

    @extend_schema_field(WardCountSerializer(many=True))
    def get_signatures_by_ward(self, petition: Petition):
        """From the counts the worker wrote onto the petition; one query for the wards' codes."""
        rows = petition.ward_counts or []
        ids = [area_id for area_id, _name, _count in rows if area_id]
        codes = dict(Area.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
        return WardCountSerializer(
            [
                {"area_code": codes.get(area_id), "area_name": name or "", "count": count}
                for area_id, name, count in rows
            ],
            many=True,
        ).data


# Views ------------------------------------------------------------------------------------------


class PetitionFilters(serializers.Serializer):
    organisation = SlugFilter(help_text="Only this organisation's (its slug).")
    stage = ChoiceFilter(
        [(stage.value, stage.label) for stage in PUBLIC_STAGES],
        help_text="Only petitions at this stage.",
    )
    area = SlugFilter(help_text="Only petitions about this area (its code).")


@extend_schema_view(list=extend_schema(parameters=[PetitionFilters]))
class PetitionViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Published and rejected petitions, newest first: their stage and signature counts, and for
    one petition its thresholds, the council's response and debate, and signatures by ward."""

    lookup_value_regex = ID_REGEX
    filters_class = PetitionFilters

    def get_queryset(self):
        petitions = Petition.objects.public().select_related("organisation", "area")
        if self.action == "list":
            filters = self.filters()
            if filters.get("organisation"):
                petitions = petitions.filter(organisation__slug=filters["organisation"])
            if filters.get("stage"):
                petitions = petitions.in_stage(filters["stage"])
            if filters.get("area"):
                petitions = petitions.filter(area__code=filters["area"])
        return newest_first(petitions)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PetitionDetailSerializer
        return PetitionSerializer
