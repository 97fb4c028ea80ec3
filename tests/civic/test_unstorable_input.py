"""A NUL character (or a broken one) in a request is refused once, for every view, with a 400 in
the service's own words: never a server error from PostgreSQL. Every URL pattern is found from
the URL resolver, so a view added tomorrow is tried too."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

from civic.models import Role
from tests.factories import RoleFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

REFUSED_PAGE = "Sorry, the service cannot read what you sent"

NAMED_GROUP = re.compile(r"\(\?P<\w+>(?P<body>[^)]*)\)")
OPTIONAL_GROUP = re.compile(r"\([^)]*\)\?")
ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")


CLEAN_VALUES = ("1", ".json", "00000000-0000-0000-0000-000000000001")


def _clean_value(regex: str) -> str:
    candidates = (*CLEAN_VALUES, regex.split("|")[0])
    return next(value for value in candidates if re.fullmatch(regex, value))


def _sample(pattern, filler: str | None) -> str:
    """A path that the pattern matches, its parameters filled with `filler` (or, for None, with a
    value each parameter's converter accepts)."""
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$").removesuffix("/?")
        text = OPTIONAL_GROUP.sub(
            "", NAMED_GROUP.sub(lambda match: filler or _clean_value(match["body"]), text)
        ).replace("\\.", ".")
        return text
    return ROUTE_PARAMETER.sub(
        lambda match: filler or _clean_value(pattern.converters[match["name"]].regex), text
    )


def _walk(patterns, prefix: tuple = ()):
    """(patterns from the root to the view, the view's pattern) for every URL in civic.urls."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, (*prefix, pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield (*prefix, pattern.pattern), pattern


def url(chain, filler: str | None) -> str:
    return "/" + "".join(_sample(part, filler) for part in chain)


PATTERNS = list(_walk(get_resolver().url_patterns))


def test_the_walk_finds_every_kind_of_page():
    names = {pattern.name for _chain, pattern in PATTERNS}
    assert len(PATTERNS) > 200
    for name in (
        "home",
        "data_download",
        "consultation-detail",
        "petition-list",
        "postmark_tracking_webhook",
        "mailgun_inbound_webhook",
        "account_login",
        "api_schema",
    ):
        assert name in names
    assert url(next(c for c, p in PATTERNS if p.name == "data_download"), "%00") == (
        "/my-data/download/%00/"
    )
    assert url(next(c for c, p in PATTERNS if p.name == "consultation-responses"), None) == (
        "/api/v1/consultations/1/responses/"
    )


@pytest.fixture
def officer_client(db):
    role = RoleFactory(kind=Role.Kind.OFFICER)
    client = Client()
    client.force_login(role.user)
    return client


def _assert_refused(response, where: str) -> None:
    assert response.status_code == 400, where
    if response["Content-Type"].startswith("application/json"):
        assert "null character" in response.json()["detail"], where
    else:
        assert REFUSED_PAGE in response.content.decode(), where


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_no_url_answers_a_nul_with_a_server_error(who, request):
    client = Client() if who == "anonymous" else request.getfixturevalue("officer_client")
    client.raise_request_exception = False
    for chain, pattern in PATTERNS:
        with_nul = url(chain, "%00")
        if "%00" in with_nul:
            _assert_refused(client.get(with_nul), f"GET {with_nul}")
        clean = url(chain, None)
        match = resolve(clean)
        if match.url_name != pattern.name:
            # An earlier pattern answers this address first (civic's redirect in front of a
            # route allauth always adds): that one is the URL served, and is walked in its turn.
            assert any(match.func is other.callback for _chain, other in PATTERNS), clean
            continue
        _assert_refused(client.get(f"{clean}?x=%00"), f"GET {clean}?x=%00")
        _assert_refused(client.get(f"{clean}?x%00=1"), f"GET {clean}?x%00=1")
        _assert_refused(
            client.post(
                clean,
                "name=Ada%00&email=ada%40example.org",
                content_type="application/x-www-form-urlencoded",
            ),
            f"POST {clean} (URL-encoded)",
        )
        multipart = client.post(clean, {"name": "Ada\x00", "email": "ada@example.org"})
        if getattr(pattern.callback, "csrf_exempt", False):
            # Webhooks and the API read their own bodies: refused by them, never a 500.
            assert 400 <= multipart.status_code < 500, f"POST {clean} (multipart)"
        else:
            _assert_refused(multipart, f"POST {clean} (multipart)")


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/consultations/?organisation=%00",
        "/api/v1/consultations/%00/",
        "/api/v1/consultations/%00/responses/",
        "/api/v1/organisations/%00/",
        "/api/v1/petitions/?area=%00",
        "/api/v1/petitions/?organisation=%00",
        "/api/v1/departments/?organisation=%00",
        "/api/v1/areas/?organisation=%00",
    ],
)
def test_the_api_says_in_json_which_parameter_held_the_nul(address, client):
    response = client.get(address)

    assert response.status_code == 400
    detail = response.json()["detail"]
    if "?" in address:
        parameter = address.split("?")[1].split("=")[0]
        assert f'the query parameter "{parameter}"' in detail
    else:
        assert "the web address" in detail


def test_a_page_refuses_a_nul_with_the_services_own_page(client):
    response = client.get("/my-data/download/%00/")

    assert response.status_code == 400
    page = assert_page(response, heading="Sorry, the service cannot read what you sent", status=400)
    assert REFUSED_PAGE in page
    assert "in the web address" in page
    assert "Traceback" not in page
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_a_session_cookie_holding_a_nul_is_refused_and_deleted(who, request):
    client = Client() if who == "anonymous" else request.getfixturevalue("officer_client")
    client.cookies = SimpleCookie()
    client.cookies["sessionid"] = "\x00abcdefghijklmnop"

    response = client.get("/")

    assert response.status_code == 400
    assert "the cookie &quot;sessionid&quot;" in response.content.decode()
    assert response.cookies["sessionid"]["max-age"] == 0
    assert client.get("/").status_code == 200
