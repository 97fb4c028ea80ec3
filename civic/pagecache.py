"""Whole pages kept in the shared cache for visitors who are not signed in: every page a resident
reads (the home page, the lists, a consultation's or a petition's page) is marked `@shared_page`
once, and costs one cache read instead of its queries and its template while nothing changes.

Per visitor. A cached page still carries what must differ per visitor: it is drawn with random
marks where the CSRF token and any other per-request value go (a form's signed start time, named
in `fill` and read in the view with `value()`), and the marks are replaced with this request's
values when it is served. So each visitor gets a CSRF token of their own. A page that asked for
the visitor's own token while it was drawn, or set a cookie, is served but never kept.

Which requests. Only what every anonymous visitor sees alike: GET or HEAD, not signed in, no message
waiting, an answer of 200, and no query string unless the view names its parameters (`query`: a
page of comments, a sort order). Then each address the page names is a page of its own, kept by
its query string as sent, if every parameter is named, given once and takes a value the view
accepts (`one_of` a few words, a `page_number`); and a page drawn for another page than the one
asked for (a page number past the end shows the last page; see `not_kept`) is served, not kept.
So only the pages that exist are kept, however many addresses a visitor makes up; anything else
(a filter, a search, a made-up parameter) is drawn for the request, as a page without `query` is
for any query string.

When it changes. Every write to the database from any process (a view, the admin, a Celery
worker counting signatures, a management command) goes through `_watch`, installed on every
connection: an INSERT, UPDATE, DELETE or TRUNCATE on any table except those no shared page reads
(`UNSHOWN_TABLES`), other than an UPDATE of columns none shows (`UNSHOWN_COLUMNS`: a user's
last sign-in), changes the pages' generation, which is part of every page's key. The
connection that wrote draws pages under a generation of its own until it commits, and every
process gets a new generation once it does: a page drawn from data that was later committed or
rolled back is never served after that. A new table is watched unless it is listed here: a
forgotten table costs cache hits, never a stale page. What follows from the clock alone (a
consultation opening at nine) shows within the page's `seconds`, for which it is kept at most;
when they run out, one request draws the page again while the others asking for it meanwhile
are served the copy it replaces (of the same generation, so no write has come since), rather
than all drawing it at once.

Each process also remembers the generation and the pages it read for a second (civic.localcache),
so that a page everyone reads costs no round trip to Redis; other processes see a change within
that second.

Before the middleware. A page that a process has just served to an anonymous visitor is also
kept with the headers the whole middleware stack gave it (security headers, CSP), and
`SharedPageMiddleware`, first in the stack, answers the next visitor who may share it at once,
without the rest of the stack: a GET or HEAD with no session and no messages
cookie, a CSRF cookie of their own (a first visit goes through the stack, which sets one), on the
same scheme and host and with the same query string, while the generation is the same. Their
CSRF token is made from their cookie as Django's middleware would, and the other per-request
values are filled in as above.
Nothing else that the skipped middleware does applies to such a request: it has no session or
user, its language is the site's only one (the fast path is off when there are several), its
host was checked when the page was kept, and an http request that must be redirected to https
takes the stack.
"""

from __future__ import annotations

import copy
import functools
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from civic.localcache import ProcessMemo

CSRF = "csrf_token"
SECONDS = 10  # how long a page is kept at most, for what changes with the clock alone
GENERATION = "page:generation"

# Tables that no shared page reads: writing them leaves the pages as they are. Signatures in
# particular, so that a petition being signed keeps its page (the count shown is written onto
# the petition by the worker, which changes the pages).
UNSHOWN_TABLES = frozenset(
    {
        "django_session",
        "django_admin_log",
        "django_content_type",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
        "account_emailaddress",
        "account_emailconfirmation",
        "civic_user_groups",
        "civic_user_user_permissions",
        "civic_role",
        "civic_role_departments",
        "civic_auditentry",
        "civic_postcode",
        "civic_postcodeimport",
        "contacts_tag",
        "contacts_consentpurpose",
        "contacts_contact_tags",
        "contacts_contact",
        "contacts_consentevent",
        "contacts_activity",
        "contacts_segment",
        "contacts_contactimport",
        "contacts_datarequest",
        "mailing_sendingidentity",
        "mailing_ratelimit",
        "mailing_campaign_segments",
        "mailing_campaign",
        "mailing_delivery",
        "mailing_deliveryevent",
        "mailing_suppression",
        "consultations_responseexport",
        "petitions_signature",
        # A conversation's votes and who takes part show on no shared page (its page is each
        # participant's own), and come many a second.
        "debates_participant",
        "debates_statementvote",
        # Who votes in a participatory budget and how shows on no shared page while voting is
        # open (the results page shows the worker's stored count), and ballots come many a
        # second in a voting spike.
        "budgets_elector",
        "budgets_ballot",
        "budgets_ballotchoice",
    }
)

# Columns no shared page shows, of tables that pages do show: an UPDATE that sets only these
# leaves the pages as they are. Signing in writes last_login, and a spike of voters signing in
# would otherwise draw every page again for each of them.
UNSHOWN_COLUMNS = {"civic_user": frozenset({"last_login"})}
_UPDATE = re.compile(r'\s*UPDATE\s+"(\w+)"\s+SET\s+(.*?)\s+WHERE\s', re.IGNORECASE | re.DOTALL)
_SET_COLUMN = re.compile(r'"(\w+)"\s*=')

# Whole pages are large: each memo holds a bounded number (a page everyone reads comes back at
# once; one kept under an older generation is never read again, and goes when the memo fills).
_pages = ProcessMemo(1, size=1000)
_generation = ProcessMemo(1)
_answers = ProcessMemo(1, size=1000)  # pages with their final headers, for SharedPageMiddleware
# Django's CSRF secret as its cookie holds it (django.middleware.csrf: 32 letters and digits).
_CSRF_SECRET = re.compile(r"[a-zA-Z0-9]{32}")
# Headers of a kept answer that are the visitor's own, or made again for each answer.
_NOT_KEPT = {"content-length", "set-cookie"}
_WRITE = re.compile(
    r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)', re.IGNORECASE
)


# Which requests share a page ---------------------------------------------------------------------

# The query parameters a page may be kept for, each with what says whether a value is one the
# page names.
Query = dict[str, Callable[[str], bool]]
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")


def one_of(*values: str) -> Callable[[str], bool]:
    """A parameter that takes one of a few words (a sort order)."""
    return frozenset(values).__contains__


def page_number(value: str) -> bool:
    """A page number as the page's own links write it (1, 2, ...; not 02 or +2). One past the
    last page is drawn and not kept (civic.pagination tells `not_kept`)."""
    return _PAGE_NUMBER.fullmatch(value) is not None


def _named(request: HttpRequest, query: Query | None) -> bool:
    """Whether the query string is none, or one the page names: each parameter named in
    `query`, once, with a value it takes, written plainly (nothing to decode)."""
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return True
    if not query:
        return False
    seen = set()
    for pair in raw.split("&"):
        name, equals, given = pair.partition("=")
        check = query.get(name)
        if not equals or check is None or name in seen or not check(given):
            return False
        seen.add(name)
    return True


def cacheable(request: HttpRequest, query: Query | None = None) -> bool:
    """Whether this request gets the page every anonymous visitor gets."""
    return (
        request.method in ("GET", "HEAD")
        and _named(request, query)
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )


def not_kept(request: HttpRequest) -> None:
    """The page being drawn is not the one its address names (page 999 of 3 shows page 3): the
    visitor gets it, and it is not kept under that address."""
    request.page_not_kept = True


Fill = dict[str, Callable[[], str]]


def shared_page(
    view=None, *, seconds: int = SECONDS, fill: Fill | None = None, query: Query | None = None
):
    """Serve the view's page from the shared cache to visitors who may share it. `fill` names
    the per-request values the page shows besides its CSRF token (the view reads each with
    `value(request, name)`); `query` the query parameters a page is kept for, each with the
    values it takes (see "Which requests")."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.page_fill = fill or {}
            if not cacheable(request, query):
                request.page_marks = None
                return view(request, *args, **kwargs)
            return _serve(request, seconds, lambda: view(request, *args, **kwargs))

        wrapped.shared_page = True
        return wrapped

    return decorate(view) if view is not None else decorate


def value(request: HttpRequest, name: str) -> str:
    """The per-request value `name` for the page being drawn: its mark when the page is drawn
    for the cache (filled in for each visitor), else this request's own value."""
    marks = getattr(request, "page_marks", None)
    if marks:
        return marks[name]
    return request.page_fill[name]()


def csrf_mark(request: HttpRequest) -> dict[str, str]:
    """Context processor: while a page is drawn for the cache, the CSRF mark stands in for the
    visitor's token (the {% csrf_token %} tag reads `csrf_token`)."""
    marks = getattr(request, "page_marks", None)
    return {CSRF: marks[CSRF]} if marks else {}


# Serving ------------------------------------------------------------------------------------------


def generation(*, ask: bool = True) -> str | None:
    """The pages' generation, which every committed write to a shown table changes; and this
    connection's own while it holds uncommitted writes. With `ask=False`, only what this process
    holds: None rather than a round trip to the cache."""
    current = _generation.get(GENERATION)
    if current is None:
        if not ask:
            return None
        current = cache.get(GENERATION)
        if current is None:
            cache.add(GENERATION, secrets.token_hex(8), None)
            current = cache.get(GENERATION)
        _generation.set(GENERATION, current)
    connection = connections[DEFAULT_DB_ALIAS]
    pending = getattr(connection, "pagecache_pending", None)
    if pending is not None:
        if connection.in_atomic_block:
            return f"{current}.{pending}"
        connection.pagecache_pending = None  # committed (published) or rolled back
    return current


def _key(request: HttpRequest, current: str | None = None) -> str:
    key = f"page:{current or generation()}:{get_language()}:{request.get_host()}:{request.path}"
    # As sent: only a query string the view names (`_named`) is kept under its key.
    query = request.META.get("QUERY_STRING", "")
    return f"{key}?{query}" if query else key


def _filled(
    content: str, marks: dict[str, str], request: HttpRequest, fill: Fill | None = None
) -> str:
    """The marks in `content` replaced with this request's values: its CSRF token and what
    `fill` (else the page's) names."""
    fill = request.page_fill if fill is None else fill
    for name, mark in marks.items():
        value = get_token(request) if name == CSRF else fill[name]()
        content = content.replace(mark, value)
    return content


def _answer(request: HttpRequest, marks: dict, content: str, headers: list) -> HttpResponse:
    """A kept page, filled in for this request, with the headers kept with it."""
    response = HttpResponse(_filled(content, marks, request))
    for name, header in headers:
        response[name] = header
    return response


# While one request draws a page again because its time ran out, the others asking for it are
# served the copy it replaces, kept under the same key (so of the same generation: no write has
# come since it was drawn) for LAST_SECONDS more; the drawer holds DRAWING_SECONDS at most.
LAST_SECONDS = 60
DRAWING_SECONDS = 10


def _serve(request: HttpRequest, seconds: int, draw: Callable[[], HttpResponse]) -> HttpResponse:
    key = _key(request)
    cached = _pages.get(key)
    if cached is None:
        cached = cache.get(key)
        drawer = False
        if cached is None:
            drawer = cache.add(f"{key}:drawing", 1, DRAWING_SECONDS)
            if not drawer:  # another request is drawing it again: the copy it replaces
                cached = cache.get(f"{key}:last")
        if cached is None:
            try:
                response, cached = _draw(request, draw)
                if cached is not None:
                    cache.set(key, cached, seconds)
                    cache.set(f"{key}:last", cached, seconds + LAST_SECONDS)
            finally:
                if drawer:
                    cache.delete(f"{key}:drawing")
            if cached is None:
                return response
        _pages.set(key, cached)
    marks, content, headers = cached
    response = _answer(request, marks, content, headers)
    request.shared_page = (key, marks, content, request.page_fill)
    return response


def _draw(request: HttpRequest, draw: Callable[[], HttpResponse]):
    """The page drawn with marks, filled for this request, and what to keep of it (None if it
    must not be shared)."""
    marks = {name: secrets.token_hex(12) for name in (CSRF, *request.page_fill)}
    asked_before = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    request.page_marks = marks
    request.page_not_kept = False
    try:
        response = draw()
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            response.render()
    finally:
        request.page_marks = None
    asked_for_token = request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not asked_before
    if response.streaming:
        return response, None
    content = response.content.decode(response.charset)
    # Only the marks the page shows are filled in: a page with no form makes no CSRF token.
    marks = {name: mark for name, mark in marks.items() if mark in content}
    response.content = _filled(content, marks, request)
    if response.status_code != 200 or response.cookies or asked_for_token or request.page_not_kept:
        return response, None
    headers = [(name, header) for name, header in response.items() if name != "Content-Length"]
    return response, (marks, content, headers)


# Rows that pages show, read once a generation -----------------------------------------------------

# Kept by the generation they were read in, which each process asks again at most a second
# later: as fresh as a shared page however long they are kept, so a row read for one of a
# process's many budgets is still there when that budget's next voter comes.
_rows = ProcessMemo(60, size=1000)


def read_unchanged(key: str, make: Callable[[], object]):
    """What make() reads from shown tables, kept in this process while the pages' generation
    stays the same: as fresh as a shared page, for a page that is drawn for each visitor but
    shows the same rows to all (a conversation and its statements). make() returns None for
    nothing to keep. The value is shared by every request of the process: a caller that changes
    it changes a copy. Nothing that follows from the clock alone may be kept here."""
    kept_as = (generation(), key)
    value = _rows.get(kept_as)
    if value is None:
        value = make()
        if value is not None:
            _rows.set(kept_as, value)
    return value


def kept_copy(key: str, read: Callable[[], object], otherwise: Callable[[], object]):
    """The row a per-visitor page is about (a published conversation, a process in its voting
    phase): read() once a generation in this process, as read_unchanged keeps it, and copied
    for this request, so that what the request keeps on it stays its own; otherwise() when
    read() finds none (a draft, which only those who run it see)."""
    kept = read_unchanged(key, read)
    return otherwise() if kept is None else copy.copy(kept)


# Pages that signed-in visitors see alike ---------------------------------------------------------

_alike = ProcessMemo(SECONDS, size=256)


def drawn_alike(
    request: HttpRequest,
    key: str,
    draw: Callable[[], HttpResponse],
    fill: Fill | None = None,
) -> HttpResponse:
    """A page that every request the caller finds alike sees the same but for its CSRF token
    and the values `fill` names (a signed-in voter's ballot before they have chosen anything; a
    conversation's page around the visitor's own statement and votes): drawn once a generation
    and kept in this process for SECONDS at most, then filled in with this request's values.
    The view reads each with `value(request, name)`, as for `shared_page`. `key` names all that
    makes such pages differ (the budget, whether the visitor is staff); the language, host and
    path are added here. A page with a message waiting is never alike."""
    request.page_fill = fill or {}
    if request.method not in ("GET", "HEAD") or len(get_messages(request)):
        return draw()
    kept_as = (generation(), get_language(), request.get_host(), request.get_full_path(), key)
    kept = _alike.get(kept_as)
    if kept is None:
        response, kept = _draw(request, draw)
        if kept is None:
            return response
        _alike.set(kept_as, kept)
        return response
    marks, content, headers = kept
    return _answer(request, marks, content, headers)


# Pieces of pages that many requests show alike ---------------------------------------------------

_parts = ProcessMemo(SECONDS, size=4096)


def drawn_part(
    request: HttpRequest,
    key: tuple,
    template_name: str,
    context: dict,
    fill: Fill | None = None,
) -> str:
    """A piece of a page that many requests show alike (a statement with its vote buttons, a line
    of someone's votes), drawn from `template_name` once a generation in this process and kept
    SECONDS at most under `key`, which names all that makes such pieces differ (the language is
    added here). A form in it takes this request's CSRF token, and each of the template's
    variables that `fill` names this request's value. Safe HTML, to put in a page."""
    fill = fill or {}
    kept_as = (generation(), get_language(), template_name, key)
    kept = _parts.get(kept_as)
    if kept is None:
        marks = {name: secrets.token_hex(12) for name in (CSRF, *fill)}
        html = render_to_string(template_name, {**context, **marks})
        kept = ({name: mark for name, mark in marks.items() if mark in html}, html)
        _parts.set(kept_as, kept)
    marks, html = kept
    return mark_safe(_filled(html, marks, request, fill))  # noqa: S308 - our template's HTML


# Answering before the middleware ------------------------------------------------------------------


def _answer_key(request: HttpRequest, key: str) -> str:
    return f"{request.scheme}:{key}"


def _may_share(request: HttpRequest) -> bool:
    """Whether the request is one that may take a kept answer (its CSRF cookie aside). A query
    string is part of the answer's key: only a page kept under it (one the view names) answers."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    return not (settings.SECURE_SSL_REDIRECT and not request.is_secure())


def _csrf_secret(request: HttpRequest) -> str | None:
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return secret if _CSRF_SECRET.fullmatch(secret) else None


def answer_kept(request: HttpRequest) -> HttpResponse | None:
    """The page this visitor may share, with the headers the middleware gave it, or None."""
    if not _answers or not _may_share(request):
        return None
    # Only what this process already holds: the middleware makes no round trip of its own.
    current = generation(ask=False)
    if current is None:
        return None
    try:
        key = _answer_key(request, _key(request, current))
    except DisallowedHost:
        return None
    kept = _answers.get(key)
    if kept is None:
        return None
    marks, content, fill, headers = kept
    if CSRF in marks:
        # A form: the token is made from the visitor's own cookie; a first visit, which has
        # none yet, takes the stack, which sets one.
        secret = _csrf_secret(request)
        if secret is None:
            return None
        request.META["CSRF_COOKIE"] = secret  # what CsrfViewMiddleware would have read
    request.page_fill = fill
    response = _answer(request, marks, content, headers)
    response.answered_before_middleware = True
    return response


def answer_keep(request: HttpRequest, response: HttpResponse) -> None:
    """Keep a shared page as the whole stack answered it, for the next visitor who may share
    it; not if the answer is the visitor's own (a cookie other than the CSRF one, a nonce)."""
    shared = getattr(request, "shared_page", None)
    if shared is None or response.status_code != 200 or not _may_share(request):
        return
    if set(response.cookies) - {settings.CSRF_COOKIE_NAME}:
        return
    headers = [(name, header) for name, header in response.items() if name.lower() not in _NOT_KEPT]
    if any("nonce-" in header for _name, header in headers):
        return
    key, marks, content, fill = shared
    _answers.set(_answer_key(request, key), (marks, content, fill, headers))


class SharedPageMiddleware:
    """First in the stack: answers a visitor who may share a page a process has just served
    (see "Before the middleware" above) without the rest of the stack."""

    def __init__(self, get_response):
        self.get_response = get_response
        # With several languages the page depends on LocaleMiddleware's choice: no fast path.
        self.enabled = "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.enabled:
            answer = answer_kept(request)
            if answer is not None:
                return answer
        response = self.get_response(request)
        if self.enabled:
            answer_keep(request, response)
        return response


def forget_all() -> None:
    """Delete every kept page, of every generation. A write moves pages to a new generation but
    leaves the old copies to expire; after an erasure no copy of a page that showed the person may
    stay behind, so the erasure deletes them all (erasures are rare, and pages are drawn again in
    a moment). On Redis only the pages go; other caches have no way to list keys, so the whole
    cache is cleared (the embedded file cache of `make run`)."""
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):  # Django's Redis cache (and civic.cache's)
        client = backend.get_client(write=True)
        keys = list(client.scan_iter(match=cache.make_key("page:*"), count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    else:
        cache.clear()
    _pages.clear()
    _generation.clear()
    _answers.clear()
    _rows.clear()


# Noticing changes ---------------------------------------------------------------------------------


def _publish(alias: str) -> None:
    """A new generation for every process, once the change is committed."""
    current = secrets.token_hex(8)
    cache.set(GENERATION, current, None)
    _generation.set(GENERATION, current)
    connections[alias].pagecache_pending = None


def changed(connection) -> None:
    """A shown table changed on `connection`: while its transaction lasts, this connection
    draws pages afresh under a generation of its own (it may read the uncommitted change, which
    nobody else sees); once it commits, every process does."""
    if connection.in_atomic_block:
        connection.pagecache_pending = secrets.token_hex(8)
        if any(
            isinstance(func, functools.partial) and func.func is _publish
            for _savepoints, func, _robust in connection.run_on_commit
        ):
            return  # once per transaction
    transaction.on_commit(
        functools.partial(_publish, connection.alias), using=connection.alias, robust=True
    )


def _shows(sql: str, table: str) -> bool:
    """Whether a write to `table` may change what a shared page shows."""
    if table in UNSHOWN_TABLES:
        return False
    unshown = UNSHOWN_COLUMNS.get(table)
    if unshown:
        update = _UPDATE.match(sql)
        columns = set(_SET_COLUMN.findall(update.group(2))) if update is not None else set()
        if columns and columns <= unshown:
            return False
    return True


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str):
        write = _WRITE.match(sql)
        if write is not None and _shows(sql, write.group(1)):
            changed(context["connection"])
    return result


def watch_writes(sender=None, *, connection, **kwargs) -> None:
    """Receiver of `connection_created`: watch every write on this connection."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)
