"""Pages of the platform shell, the health check and the brand stylesheet."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from civic import open_now
from civic.celery import app as celery_app
from civic.colours import contrast_ratio
from civic.middleware import API_PREFIX
from civic.models import Organisation
from civic.pagecache import shared_page

logger = logging.getLogger(__name__)


@require_safe
@shared_page
def home(request: HttpRequest) -> HttpResponse:
    organisations = list(Organisation.objects.only("pk", "name", "slug"))
    chosen = None
    slug = request.GET.get("organisation", "")
    if slug:
        chosen = next((org for org in organisations if org.slug == slug), None)
    sections = open_now.sections(organisation=chosen)
    return render(
        request,
        "civic/home.html",
        {
            "organisations": organisations,
            "chosen_organisation": chosen,
            "unknown_organisation": bool(slug) and chosen is None,
            "sections": sections,
        },
    )


@require_safe
@shared_page
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "civic/accessibility.html")


@require_safe
@shared_page
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "civic/privacy.html")


@require_safe
@shared_page
def cookies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "civic/cookies.html",
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "language_cookie": settings.LANGUAGE_COOKIE_NAME,
        },
    )


@require_safe
@cache_control(public=True, max_age=300)
def brand_css(request: HttpRequest) -> HttpResponse:
    """Colours configured in the admin, as a stylesheet so that the CSP needs no inline style."""
    rules = [
        f":root {{ --civic-brand: {settings.CIVIC_BRAND_COLOUR}; }}",
    ]
    for organisation in Organisation.objects.only("slug", "brand_colour"):
        colour = organisation.brand_colour
        if contrast_ratio(colour, "#ffffff") >= 4.5:
            rules.append(f".civic-brand--{organisation.slug} {{ --civic-brand: {colour}; }}")
    return HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")


def _check_database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _check_cache() -> bool:
    cache.set("civic:healthz", "ok", 10)
    return cache.get("civic:healthz") == "ok"


def _check_broker() -> bool:
    with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
        return broker.connected


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 only when the database, the cache and the broker all answer; 503 naming what failed."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results = {}
    for name, check in checks.items():
        try:
            results[name] = "ok" if check() else "failing"
        except Exception as error:
            logger.warning("health check %s failed: %s", name, error)
            results[name] = "failing"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": results},
        status=200 if healthy else 503,
    )


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """Send the admin's sign-in to allauth's, keeping where the officer was going."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    if request.user.is_authenticated and not request.user.is_staff:
        return render(request, "civic/not_staff.html", status=403)
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        # An address under the API that matches no route: JSON, as the API's schema says.
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", {"title": _("Page not found")}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
