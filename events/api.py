"""Open data about events, read-only, under /api/v1/events/.

Published and cancelled events (a draft only to those who run it, as on the pages), soonest
first: what, when and where, the access information, the places there are and how many are
left, the registration dates, and the event's calendar file. Never a person: no joining link
(only people with a place get it), no registrations, no answers.

civic/urls.py finds this module, as it finds every app's api.py, and adds these routes with
`register(router)`.
"""

from __future__ import annotations

from django.db.models import IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from civic.api_base import ID_REGEX, ChoiceFilter, FilteredListMixin, SlugFilter
from civic.models import Area
from civic.selectors import published_or_run_by
from events.models import Event, Registration


def register(router) -> None:
    router.register("events", EventViewSet, basename="event")


# Serializers ------------------------------------------------------------------------------------


class EventAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["code", "name"]


# A component of its own: an enum named after the field would clash with other apps' `stage`.
@extend_schema_field(
    {"type": "string", "enum": [str(stage) for stage in Event.Stage]},
    component_name="EventStage",
)
class StageField(serializers.Field):
    """Where the event stands, from its state and dates."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, event: Event) -> str:
        return str(event.stage_at(self.context.get("now")))


class AccessSerializer(serializers.Serializer):
    step_free_access = serializers.BooleanField()
    hearing_loop = serializers.BooleanField()
    bsl_interpretation = serializers.BooleanField(
        help_text="A British Sign Language interpreter will be there."
    )
    quiet_room = serializers.BooleanField()
    parking = serializers.BooleanField()
    public_transport = serializers.CharField(help_text="The nearest stops and stations.")


class PlacesSerializer(serializers.Serializer):
    in_person = serializers.IntegerField(help_text="Places there are in person.")
    in_person_left = serializers.IntegerField(help_text="Places in person not yet taken.")
    online = serializers.IntegerField(help_text="Places there are online.")
    online_left = serializers.IntegerField(help_text="Places online not yet taken.")


class EventSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        source="department.organisation", slug_field="slug", read_only=True
    )
    area = EventAreaSerializer(read_only=True, allow_null=True)
    state = serializers.ChoiceField(
        source="status",
        choices=[Event.Status.PUBLISHED, Event.Status.CANCELLED],
        read_only=True,
        help_text="Published, or cancelled (a cancelled event stays listed, saying why).",
    )
    stage = StageField()
    access = serializers.SerializerMethodField()
    places = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    calendar_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "organisation",
            "summary",
            "description",
            "kind",
            "state",
            "stage",
            "starts_at",
            "ends_at",
            "venue_name",
            "address",
            "postcode",
            "area",
            "access",
            "places",
            "places_limit",
            "registration_opens_at",
            "registration_closes_at",
            "cancellation_reason",
            "url",
            "calendar_url",
        ]

    @extend_schema_field(AccessSerializer)
    def get_access(self, event: Event) -> dict:
        return AccessSerializer(
            {
                **dict(event.access_features()),
                "public_transport": event.public_transport,
            }
        ).data

    @extend_schema_field(PlacesSerializer)
    def get_places(self, event: Event) -> dict:
        """Counted from the registrations in the list's own query (`held_*`)."""
        in_person = event.capacity(Registration.Attendance.IN_PERSON)
        online = event.capacity(Registration.Attendance.ONLINE)
        return PlacesSerializer(
            {
                "in_person": in_person,
                "in_person_left": max(in_person - event.held_in_person, 0),
                "online": online,
                "online_left": max(online - event.held_online, 0),
            }
        ).data

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, event: Event) -> str:
        return self._absolute(reverse("events:event", args=[event.pk]))

    @extend_schema_field(
        {"type": "string", "format": "uri", "nullable": True, "description": "Null for a draft."}
    )
    def get_calendar_url(self, event: Event) -> str | None:
        if event.status == Event.Status.DRAFT:
            return None
        return self._absolute(reverse("events:event_ics", args=[event.pk]))


# Views ------------------------------------------------------------------------------------------


class EventFilters(serializers.Serializer):
    organisation = SlugFilter(help_text="Only this organisation's (its slug).")
    area = SlugFilter(help_text="Only events in this area (its code).")
    kind = ChoiceFilter(Event.Kind.choices, help_text="Only events of this type.")
    when = ChoiceFilter(
        [("upcoming", "Upcoming"), ("past", "Past")],
        help_text="Only events not yet ended (upcoming, soonest first) or ended (past, latest "
        "first).",
    )


def _held(attendance: str):
    return Coalesce(
        Sum(
            "registrations__places",
            filter=Q(
                registrations__attendance=attendance,
                registrations__status__in=[
                    Registration.Status.CONFIRMED,
                    Registration.Status.OFFERED,
                ],
            ),
        ),
        Value(0),
        output_field=IntegerField(),
    )


@extend_schema_view(list=extend_schema(parameters=[EventFilters]))
class EventViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Events, soonest first, with where and when, access information and the places left;
    never who registered, nor the online joining link."""

    serializer_class = EventSerializer
    lookup_value_regex = ID_REGEX
    filters_class = EventFilters

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_queryset(self):
        events = published_or_run_by(
            Event.objects.all(),
            self.request.user,
            published=Q(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED]),
        ).select_related("department__organisation", "area")
        order = ["starts_at", "pk"]
        if self.action == "list":
            filters = self.filters()
            if filters.get("organisation"):
                events = events.filter(department__organisation__slug=filters["organisation"])
            if filters.get("area"):
                events = events.filter(area__code=filters["area"])
            if filters.get("kind"):
                events = events.filter(kind=filters["kind"])
            now = timezone.now()
            if filters.get("when") == "upcoming":
                events = events.filter(ends_at__gt=now)
            elif filters.get("when") == "past":
                events = events.filter(ends_at__lte=now)
                order = ["-starts_at", "-pk"]
        return events.annotate(
            held_in_person=_held(Registration.Attendance.IN_PERSON),
            held_online=_held(Registration.Attendance.ONLINE),
        ).order_by(*order)
