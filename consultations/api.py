"""Open data about consultations, read-only, under /api/v1/consultations/.

Published consultations (never drafts) with their stage and dates; a consultation's outcome once
it is published ('We asked, you said, we did', with the follow-up actions); the aggregate results of
closed consultations (counts per option of the choice questions, never free text, never the 'About
you' questions, never who answered); and the responses officers published with their respondents'
agreement, without contact details, postcodes, names or consent.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from civic.api_base import SLUG_REGEX, ChoiceFilter, FilteredListMixin, SlugFilter
from civic.models import Area
from consultations import selectors
from consultations.models import Consultation, Decision, FollowUpAction, Topic
from consultations.services.results import open_results


def register(router) -> None:
    router.register("consultations", ConsultationViewSet, basename="consultation")


# Serializers ------------------------------------------------------------------------------------


class ConsultationAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["code", "name"]


class ConsultationTopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name"]


class ConsultationSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation = serializers.SerializerMethodField()
    areas = ConsultationAreaSerializer(many=True, read_only=True)
    topics = ConsultationTopicSerializer(many=True, read_only=True)
    stage = serializers.ChoiceField(choices=Consultation.Stage.choices, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "slug",
            "title",
            "summary",
            "organisation",
            "department",
            "areas",
            "topics",
            "stage",
            "opens_at",
            "closes_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_organisation(self, consultation: Consultation) -> str:
        return consultation.department.organisation.slug

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, consultation: Consultation) -> str:
        path = reverse("consultations:detail", args=[consultation.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class FollowUpActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpAction
        fields = ["description", "status", "updated_at"]


class QuestionReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class DecisionSerializer(serializers.ModelSerializer):
    questions = QuestionReferenceSerializer(many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    actions = FollowUpActionSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = ["we_asked", "you_said", "we_did", "questions", "themes", "actions"]


class OptionResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Of the respondents who answered the question.")
    mean_rank = serializers.FloatField(allow_null=True, help_text="Ranking questions only.")


class QuestionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    answered = serializers.IntegerField()
    mean = serializers.FloatField(
        allow_null=True, help_text="Scale questions: the mean point, 1 being the first option."
    )
    options = OptionResultSerializer(many=True)


class ResultsSerializer(serializers.Serializer):
    responses = serializers.IntegerField(help_text="Submitted responses.")
    questions = QuestionResultSerializer(many=True)


class ConsultationDetailSerializer(ConsultationSerializer):
    body = serializers.CharField(help_text="Markdown.")
    outcome = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()

    class Meta(ConsultationSerializer.Meta):
        fields = [
            *ConsultationSerializer.Meta.fields,
            "body",
            "outcome_published_at",
            "outcome",
            "results",
        ]

    @extend_schema_field(DecisionSerializer(many=True, allow_null=True))
    def get_outcome(self, consultation: Consultation):
        if consultation.outcome_published_at is None:
            return None
        return DecisionSerializer(consultation.decisions.all(), many=True).data

    @extend_schema_field(ResultsSerializer(allow_null=True))
    def get_results(self, consultation: Consultation):
        """Only once the consultation has closed: no running totals that could sway respondents."""
        if consultation.stage not in (Consultation.Stage.CLOSED, Consultation.Stage.OUTCOME):
            return None
        return ResultsSerializer(open_results(consultation=consultation)).data


class PublicAnswerSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


class PublishedResponseSerializer(serializers.Serializer):
    answers = serializers.SerializerMethodField()

    @extend_schema_field(PublicAnswerSerializer(many=True))
    def get_answers(self, response):
        return PublicAnswerSerializer(selectors.public_answers(response), many=True).data


# Views ------------------------------------------------------------------------------------------


class ConsultationFilters(serializers.Serializer):
    organisation = SlugFilter(help_text="Only this organisation's (its slug).")
    stage = ChoiceFilter(
        [stage for stage in Consultation.Stage.choices if stage[0] != Consultation.Stage.DRAFT],
        help_text="Only consultations at this stage.",
    )


@extend_schema_view(list=extend_schema(parameters=[ConsultationFilters]))
class ConsultationViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Published consultations; a consultation's outcome, and its results once it has closed."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    filters_class = ConsultationFilters

    def get_queryset(self):
        consultations = (
            Consultation.objects.published()
            .select_related("department__organisation")
            .prefetch_related("areas", "topics")
            .order_by("-opens_at", "pk")
        )
        if self.action == "list":
            filters = self.filters()
            if filters.get("organisation"):
                consultations = consultations.filter(
                    department__organisation__slug=filters["organisation"]
                )
            if filters.get("stage"):
                consultations = consultations.in_stage(filters["stage"])
        elif self.action == "retrieve":
            consultations = consultations.prefetch_related(
                "decisions__actions", "decisions__questions", "decisions__themes"
            )
        return consultations

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ConsultationDetailSerializer
        if self.action == "responses":
            return PublishedResponseSerializer
        return ConsultationSerializer

    @extend_schema(
        summary="Responses published with their respondents' agreement",
        responses=PublishedResponseSerializer(many=True),
    )
    @action(detail=True)
    def responses(self, request, slug=None):
        """Responses officers published, with the respondents' agreement, oldest first; without
        contact details, postcodes, names, consent or 'About you' answers."""
        consultation = self.get_object()
        page = self.paginate_queryset(selectors.published_responses(consultation))
        serializer = PublishedResponseSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)
