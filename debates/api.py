"""Open data about debates, read-only, under /api/v1/debates/.

Published debates (a draft only to those who run it, as on the pages) with their question,
summary, background, stage and dates, and the consultation each informs. Never a person.

Conversations, under /api/v1/conversations/: the question, its dates, and each statement that
shows with how many agreed, disagreed and passed. Never who voted, nor who wrote a statement.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from civic.api_base import SLUG_REGEX
from civic.selectors import published_or_run_by
from debates.conversation_results import public_figures
from debates.models import Conversation, Debate, Statement


def register(router) -> None:
    router.register("debates", DebateViewSet, basename="debate")
    router.register("conversations", ConversationViewSet, basename="conversation")


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


# Conversations -----------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": [str(stage) for stage in Conversation.Stage]},
    component_name="ConversationStage",
)
class ConversationStageField(StageField):
    """Where the conversation stands, from its dates."""


class StatementCountsSerializer(serializers.ModelSerializer):
    agree = serializers.IntegerField(read_only=True)
    disagree = serializers.IntegerField(read_only=True)
    passed = serializers.IntegerField(read_only=True)

    class Meta:
        model = Statement
        fields = ["id", "text", "is_seed", "created_at", "agree", "disagree", "passed"]


def statements_counted(conversation: Conversation):
    """The statements that show, each with its votes counted from the rows: one query."""
    return (
        conversation.statements.filter(status=Statement.Status.SHOWN)
        .annotate(
            agree=Count("votes", filter=Q(votes__choice=1)),
            disagree=Count("votes", filter=Q(votes__choice=-1)),
            passed=Count("votes", filter=Q(votes__choice=0)),
        )
        .order_by("pk")
    )


class ConversationSummarySerializer(serializers.ModelSerializer):
    """A conversation in the list: what it asks and when, without its statements."""

    organisation = serializers.SlugRelatedField(
        source="department.organisation", slug_field="slug", read_only=True
    )
    stage = ConversationStageField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "slug",
            "title",
            "question",
            "organisation",
            "background",
            "stage",
            "opens_at",
            "closes_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, conversation: Conversation) -> str:
        path = reverse("debates:conversation", args=[conversation.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ConversationSerializer(ConversationSummarySerializer):
    """A conversation with each statement that shows and its votes counted."""

    participants = serializers.SerializerMethodField()
    statements = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField()

    class Meta(ConversationSummarySerializer.Meta):
        fields = [
            *ConversationSummarySerializer.Meta.fields,
            "participants",
            "statements",
            "groups",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_participants(self, conversation: Conversation) -> int:
        """How many people have taken part."""
        return conversation.participants.count()

    @extend_schema_field(StatementCountsSerializer(many=True))
    def get_statements(self, conversation: Conversation) -> list:
        return StatementCountsSerializer(statements_counted(conversation), many=True).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_groups(self, conversation: Conversation) -> dict | None:
        """The opinion groups a worker last worked out from the votes (debates.opinion): counts
        and shares of agree, disagree and pass per statement overall and per group, each
        group's size and representative statements, and the consensus; null until worked out.
        Never who voted."""
        return public_figures(getattr(conversation, "result", None))


class ConversationViewSet(viewsets.ReadOnlyModelViewSet):
    """Conversations, newest first; each one with its statements and how many agreed, disagreed
    and passed on each."""

    serializer_class = ConversationSerializer

    def get_serializer_class(self):
        return ConversationSummarySerializer if self.action == "list" else ConversationSerializer

    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX

    def get_queryset(self):
        return (
            published_or_run_by(
                Conversation.objects.all(),
                self.request.user,
                published=Q(status=Conversation.Status.PUBLISHED),
            )
            .select_related("department__organisation", "result")
            .order_by("-opens_at", "-pk")
        )
