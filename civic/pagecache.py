"""Whole pages kept in the shared cache for visitors who are not signed in, for pages that
everyone reads at once (a viral petition's page is fetched by every signer).

A cached page still carries what must differ per visitor: each is drawn once with random marks
where the CSRF token and any other per-request values go (a form's signed start time), and the
marks are replaced with this request's values when it is served. So a visitor gets a valid CSRF
token of their own and a fresh start time, and the page costs one cache read instead of its
queries and its template.

Only pages that look the same to every anonymous visitor are kept: not for a signed-in user, not
with a query string (which a page may echo), not while a message waits to be shown, and only an
answer of 200. A page is kept for a few seconds and forgotten sooner by whatever changes it
(`forget`), so it is never older than the shortest of those; each process also remembers what it
read for a second (civic.localcache).

    serve(request, "petition", 7, seconds=10, draw=..., fill={"token": start_token})
    forget("petition", 7)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from civic.localcache import Recent

CSRF = "csrf_token"
# Each process keeps a page it read for a second, so that a viral page costs no round trip.
_recent = Recent(1)


def _key(name: str, object_id, language: str) -> str:
    return f"page:{name}:{object_id}:{language}"


def cacheable(request: HttpRequest) -> bool:
    """Whether this request gets the page every anonymous visitor gets."""
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )


def _values(request: HttpRequest, fill: dict[str, Callable[[], str]]) -> dict[str, str]:
    """This request's value for each mark: its CSRF token, and what `fill` makes."""
    return {CSRF: get_token(request), **{name: make() for name, make in fill.items()}}


def _filled(content: str, marks: dict[str, str], values: dict[str, str]) -> str:
    for name, mark in marks.items():
        content = content.replace(mark, values[name])
    return content


def serve(
    request: HttpRequest,
    name: str,
    object_id,
    *,
    seconds: int,
    draw: Callable[[dict[str, str]], HttpResponse],
    fill: dict[str, Callable[[], str]] | None = None,
) -> HttpResponse:
    """The page `draw(marks)` draws, from the cache when this visitor may share it. `draw`
    puts each mark into its context (the CSRF mark as `csrf_token`, which the {% csrf_token %}
    tag reads); `fill` gives each other mark's value for this request."""
    fill = fill or {}
    if not cacheable(request):
        return draw({})
    key = _key(name, object_id, get_language())
    cached = _recent.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            marks = {mark_name: secrets.token_hex(12) for mark_name in (CSRF, *fill)}
            response = draw(marks)
            if response.status_code != 200 or response.streaming:
                # Not kept: its marks are filled for this request alone.
                content = response.content.decode(response.charset)
                response.content = _filled(content, marks, _values(request, fill))
                return response
            content = response.content.decode(response.charset)
            cached = (marks, content, response["Content-Type"])
            cache.set(key, cached, seconds)
        _recent.set(key, cached)
    marks, content, content_type = cached
    return HttpResponse(_filled(content, marks, _values(request, fill)), content_type=content_type)


def forget(name: str, object_id) -> None:
    """Drop a page in every language, so the next visitor gets it drawn afresh (this process at
    once, the others within the second they keep what they read)."""
    keys = [_key(name, object_id, code) for code, _label in settings.LANGUAGES]
    cache.delete_many(keys)
    for key in keys:
        _recent.forget(key)
