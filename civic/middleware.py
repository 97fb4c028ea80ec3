"""Input that no view should ever see.

PostgreSQL cannot store a NUL character (0x00) in text, nor can any UTF-8 text hold a lone
surrogate. A view that filters or looks up by such a value fails deep inside the database driver
with a server error, on every page that takes a slug, a token, a filter or a form. Rather than
guard each view (and miss the next one), this middleware refuses such input once, for every view,
before any of them runs: in the path, the query string, the cookies and the fields of a form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from http.cookies import CookieError

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# NUL, and the surrogate code points that only malformed input can carry.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Form bodies, which Django parses into request.POST and request.FILES.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# The open data API (civic/urls.py) answers in JSON, as its schema says.
API_PREFIX = "/api/"


class Refusal(Exception):
    """Where the unstorable input was found, said so that a person can fix it."""

    def __init__(self, place: str, *, cookie: str | None = None):
        super().__init__(place)
        self.place = place
        self.cookie = cookie


def _readable(name: str) -> str:
    return UNSTORABLE.sub("\N{REPLACEMENT CHARACTER}", name)


def _check_pairs(pairs: Iterable[tuple[str, list]], kind: str) -> None:
    for name, values in pairs:
        if UNSTORABLE.search(name):
            raise Refusal(_("the name of a %(kind)s") % {"kind": kind})
        for value in values:
            text = value if isinstance(value, str) else getattr(value, "name", "") or ""
            if UNSTORABLE.search(text):
                raise Refusal(
                    _('the %(kind)s "%(name)s"') % {"kind": kind, "name": _readable(name)}
                )


class UnstorableInputMiddleware:
    """Answer 400 to a request whose path, query string, cookies or form fields hold a character
    that PostgreSQL cannot store. Form fields are checked once the view is known: a view exempt
    from CSRF (the ESPs' webhooks, the API) reads its own body, which may be a multipart message
    it must read raw, so only a URL-encoded form (already read into memory) is checked there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            if UNSTORABLE.search(request.path_info) or UNSTORABLE.search(request.path):
                raise Refusal(_("the web address"))
            _check_pairs(request.GET.lists(), _("query parameter"))
            for name, value in request.COOKIES.items():
                if UNSTORABLE.search(name) or UNSTORABLE.search(value):
                    raise Refusal(
                        _('the cookie "%(name)s"') % {"name": _readable(name)}, cookie=name
                    )
        except Refusal as refusal:
            return refused(request, refusal)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, view_args, view_kwargs):
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        if request.content_type == "multipart/form-data" and getattr(view, "csrf_exempt", False):
            return None
        try:
            _check_pairs(request.POST.lists(), _("form field"))
            _check_pairs(request.FILES.lists(), _("form field"))
        except Refusal as refusal:
            return refused(request, refusal)
        return None


def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """A 400 in the service's own words: JSON for the API, else a page that needs nothing but the
    template (no session, no database: the cookie that holds the session may be what was refused).
    A refused cookie is deleted, so that the next request works."""
    message = _(
        "The request contains a character this service cannot accept (a null character, %%00, "
        "or a broken one) in %(place)s. Remove it and try again."
    ) % {"place": refusal.place}
    logger.info("Refused unstorable input in %s: %s", refusal.place, request.method)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=400)
    else:
        response = HttpResponse(render_to_string("400.html", {"message": message}), status=400)
    if refusal.cookie is not None and not UNSTORABLE.search(refusal.cookie):
        with suppress(CookieError):  # a name no Set-Cookie header can carry
            response.delete_cookie(refusal.cookie)
    return response
