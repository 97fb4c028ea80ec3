"""Calendar files: one event's `.ics` ("Add to your calendar") and the public feeds residents
subscribe to in their calendar app (every event, a council's, an area's). Each is a shared page,
kept for everyone alike, since calendar apps fetch feeds often; what they hold is in
events.calendar. The filters are in the path, not a query string, so that every feed is shared.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from civic.models import Area, Organisation
from civic.pagecache import shared_page
from events import calendar
from events.models import Event

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _answer(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@shared_page
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    """A published or cancelled event's calendar file; never a draft's, whoever asks."""
    event = (
        Event.objects.published()
        .select_related("department__organisation")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise Http404(_("There is no event here."))
    return _answer(calendar.event_ics(event), f"event-{event.pk}.ics")


@require_safe
@shared_page
def feed(request: HttpRequest) -> HttpResponse:
    name = _("Events: %(site)s") % {"site": settings.CIVIC_SITE_NAME}
    return _answer(calendar.feed_ics(name=name), "events.ics")


@require_safe
@shared_page
def organisation_feed(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    return _answer(
        calendar.feed_ics(
            name=_("Events: %(council)s") % {"council": organisation.name},
            filter=Q(department__organisation=organisation),
        ),
        f"events-{organisation.slug}.ics",
    )


@require_safe
@shared_page
def area_feed(request: HttpRequest, area_id: int) -> HttpResponse:
    area = get_object_or_404(Area.objects.select_related("organisation"), pk=area_id)
    return _answer(
        calendar.feed_ics(
            name=_("Events in %(area)s: %(council)s")
            % {"area": area.name, "council": area.organisation.name},
            filter=Q(area=area),
        ),
        f"events-area-{area.pk}.ics",
    )


def subscribe_links(*, area_id: int | None = None, organisation_id: int | None = None) -> dict:
    """The feed a page offers: an area's when the list is filtered by area, a council's on an
    event's page, else every event. `calendar_subscribe` is the webcal:// address, which opens a
    calendar app ready to subscribe; `calendar_file` the same feed over https."""
    if area_id:
        path = reverse("events:area_calendar", args=[area_id])
    elif organisation_id:
        path = reverse("events:organisation_calendar", args=[organisation_id])
    else:
        path = reverse("events:calendar")
    site = urlsplit(settings.CIVIC_SITE_URL)
    return {
        "calendar_subscribe": f"webcal://{site.netloc}{site.path.rstrip('/')}{path}",
        "calendar_file": path,
    }
