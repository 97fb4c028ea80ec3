"""Every page a resident reads is served from the shared cache to visitors who are not signed in
(civic.pagecache): the rule holds for every such page found in the URL configuration, each
visitor gets a CSRF token of their own, and whatever changes a page, from this process or any
other, shows at once (within the second each process keeps what it read)."""

# The petitions' fixtures are imported, so pytest's fixture arguments redefine their names.
# ruff: noqa: F811

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from civic import pagecache
from civic.localcache import clear_all
from debates.models import DebateSpace
from petitions.models import Signature
from tests.budgets.factories import BudgetFactory, IdeaFactory, ProcessFactory
from tests.consultations.conftest import make_consultation
from tests.debates.factories import ConversationFactory, DebateFactory
from tests.events.factories import EventFactory
from tests.pages import form_token
from tests.petitions.conftest import (  # noqa: F401
    _quick_signing,
    council,
    drawn_token,
    make_petition,
)
from tests.worker import _database_url

ROOT = Path(__file__).resolve().parent.parent.parent
OUR_APPS = (
    "civic",
    "consultations",
    "petitions",
    "budgets",
    "debates",
    "events",
    "contacts",
    "mailing",
)

# Pages of our own apps that are not shared, and why. Every other page a visitor can GET without
# signing in must be a shared page: a new resident page is cached unless it is listed here.
NOT_SHARED = {
    "brand_css": "a stylesheet with its own Cache-Control",
    "healthz": "checks the database, the cache and the broker on every request",
    "contacts:my_data": "a person's own data",
    "contacts:my_data_sent": "answers a person's own request",
    "contacts:my_data_link": "a person's own link",
    "contacts:data_download": "a person's own data",
    "mailing:unsubscribe": "a person's own link",
    "consultations:document": "a file, with its own Cache-Control",
    "consultations:image": "a file, with its own Cache-Control",
    "consultations:respond": "a respondent's own answers, kept in their session",
    "consultations:respond_page": "a respondent's own answers",
    "consultations:respond_check": "a respondent's own answers",
    "consultations:respond_done": "a respondent's own reference",
    "consultations:respond_resume": "a respondent's own link",
    "petitions:list_json": "open data, cached as JSON for a few seconds",
    "petitions:detail_json": "open data, cached as JSON for a few seconds",
    "petitions:start": "for signed-in residents only",
    "petitions:sign": "the signing form with a visitor's own errors",
    "petitions:confirm": "a signer's own link",
    "petitions:share": "for the petition's creator only",
    "petitions:support": "a supporter's own link",
    "budgets:image": "a file, with its own Cache-Control",
    "budgets:propose": "for signed-in residents only",
    "budgets:support": "for signed-in residents only",
    "budgets:withdraw": "for the idea's proposer only",
    "budgets:results_json": "open data, cached as JSON for a few seconds",
    "budgets:milestone_photo": "a file, with its own Cache-Control",
    "budgets:vote": "a voter's own first step and budgets",
    "budgets:ballot": "a voter's own ballot and basket",
    "budgets:code": "a voter's own code, kept in their session",
    "budgets:pabulib": "a file to download, drawn from the ballots",
    "debates:point_add": "for signed-in residents only",
    "debates:point_endorse": "for signed-in residents only",
    "debates:conversation": "a participant's own next statement, progress and votes",
    "debates:statement_vote": "a participant's own vote",
    "debates:statement_add": "the form with a participant's own errors and cookie",
    "debates:conversation_json": "open data, cached as JSON for a few seconds",
    "debates:conversation_email": "the form with a visitor's own errors",
    "debates:proposal_add": "for signed-in residents, with their own proposals",
    "debates:conversation_email_confirm": "a participant's own link, which sets their cookie",
    "debates:comment": "for signed-in residents only",
    "debates:comment_reply": "for signed-in residents only",
    "debates:comment_edit": "for a comment's author only",
    "debates:comment_delete": "for a comment's author only",
    "debates:comment_vote": "for signed-in residents only",
    "debates:comment_report": "for signed-in residents only",
    "debates:point_report": "for signed-in residents only",
    "debates:follow": "for signed-in residents only",
    "debates:unfollow": "for signed-in residents only",
    "events:register": "the registration form with a visitor's own errors",
    "events:manage": "a person's own booking, from their link",
}
# Shared like a page, but a file drawn without a template, the same for everyone signed in or not
# (no "Sign out"): each with what it is.
SHARED_FILES = {
    "events:event_ics": "an event's calendar file",
    "events:calendar": "the calendar feed of every event",
    "events:organisation_calendar": "a council's calendar feed",
    "events:area_calendar": "an area's calendar feed",
}


def _patterns(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            name = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _patterns(pattern.url_patterns, name)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern.callback


def _our_pages() -> dict[str, object]:
    """Every named URL served by one of our apps' views (the admin and the API aside)."""
    return {
        name: callback
        for name, callback in _patterns(get_resolver().url_patterns)
        if callback.__module__.split(".")[0] in OUR_APPS
        and not callback.__module__.endswith(".api")
        and name
        and not name.startswith("admin:")
        # The ESP's webhooks (mailing.webhook_urls) answer the ESP's POSTs, not visitors.
        and not name.startswith("anymail:")
    }


def test_every_resident_page_is_shared_or_says_why_not():
    pages = _our_pages()
    shared = {name for name, view in pages.items() if getattr(view, "shared_page", False)}

    assert set(NOT_SHARED) <= set(pages)  # no stale entry
    assert shared.isdisjoint(NOT_SHARED)
    assert set(pages) - set(NOT_SHARED) == shared
    assert {
        "home",
        "consultations:hub",
        "consultations:detail",
        "petitions:list",
        "petitions:detail",
    } <= shared


def test_every_unshown_table_exists(db):
    assert set(connection.introspection.table_names()) >= pagecache.UNSHOWN_TABLES


@pytest.fixture
def resident_pages(council):
    """The path of every shared page, with a consultation and a petition to show."""
    make_consultation(council.team, slug="riverside", title="Riverside cycle lanes")
    petition = make_petition(council, title="Plant more trees on Oxford Road")
    idea = IdeaFactory(budget=BudgetFactory(process=ProcessFactory(department=council.team)))
    event = EventFactory(department=council.team)
    arguments = {
        "events:event": [event.pk],
        "events:registered": [event.pk],
        "events:event_ics": [event.pk],
        "events:organisation_calendar": [council.organisation.pk],
        "events:area_calendar": [council.ancoats.pk],
        "budgets:process": [idea.process.slug],
        "budgets:idea": [idea.process.slug, idea.pk],
        "budgets:results": [idea.process.slug],
        "budgets:projects": [idea.process.slug],
        "debates:debate": [DebateFactory(department=council.team).slug],
        "debates:conversation_results": [ConversationFactory(department=council.team).slug],
        "debates:space": [
            DebateSpace.objects.create(department=council.team, slug="ideas", title="Ideas").slug
        ],
        "consultations:detail": ["riverside"],
        "petitions:detail": [petition.pk],
        "petitions:signed": [petition.pk],
    }
    pages = _our_pages()
    return {
        name: reverse(name, args=arguments.get(name, []))
        for name, view in pages.items()
        if getattr(view, "shared_page", False)
    }


def test_a_second_visitor_of_any_resident_page_costs_no_query_and_gets_a_token_of_their_own(
    resident_pages, django_assert_num_queries
):
    assert len(resident_pages) >= 8
    for name, path in resident_pages.items():
        ann, bob = Client(), Client()
        first = ann.get(path)
        assert first.status_code == 200, name
        with django_assert_num_queries(0):
            again = bob.get(path)
        assert again.status_code == 200, name
        ann_html, bob_html = first.content.decode(), again.content.decode()
        assert re.sub(r'value="[^"]+"', "", bob_html) == re.sub(r'value="[^"]+"', "", ann_html)
        if form_token(ann_html):
            assert form_token(bob_html) != form_token(ann_html), name
            assert bob.cookies["csrftoken"].value != ann.cookies["csrftoken"].value, name


def test_signed_in_visitors_and_query_strings_get_pages_drawn_for_them(
    client,
    council,
    resident_pages,
):
    for path in resident_pages.values():
        client.get(path)
    client.force_login(council.resident)
    for name, path in resident_pages.items():
        response = client.get(path)
        if name in SHARED_FILES:
            assert response.status_code == 200, name
            continue
        assert response.context is not None, name  # drawn for the request
        assert "Sign out" in response.content.decode(), name

    anonymous = Client()
    for name, path in resident_pages.items():
        if name not in SHARED_FILES:
            assert anonymous.get(path + "?page=1").context is not None, name


def test_an_officers_change_shows_at_once_on_every_page_that_shows_it(council, resident_pages):
    from consultations.models import Consultation
    from petitions.models import Petition

    visitor = Client()
    clear_all()
    for path in resident_pages.values():
        visitor.get(path)

    Consultation.objects.filter(slug="riverside").update(title="Riverside walking routes")
    Petition.objects.update(title="Plant more oaks on Oxford Road")
    clear_all()  # still drawn afresh once the second this process keeps what it read has passed

    for name in ("home", "consultations:hub", "consultations:detail"):
        assert "Riverside walking routes" in visitor.get(resident_pages[name]).content.decode()
    for name in ("home", "petitions:list", "petitions:detail", "petitions:signed"):
        assert "Plant more oaks" in visitor.get(resident_pages[name]).content.decode(), name


def test_signing_a_petition_leaves_the_shared_pages_cached(
    council,
    resident_pages,
    django_assert_num_queries,
):
    from petitions.services.signing import signature_sign

    petition = make_petition(council, title="Open all night")
    visitor = Client()
    for path in resident_pages.values():
        visitor.get(path)

    signature_sign(petition=petition, name="Ann", email="ann@example.org", postcode="M4 6AA",
                   lives_here=True, started=drawn_token(), ip="192.0.2.10")  # fmt: skip
    assert Signature.objects.count() == 1

    for path in resident_pages.values():
        with django_assert_num_queries(0):
            assert visitor.get(path).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_process_shows_within_a_second(council):
    """As when the worker counts a petition or an officer saves in another web process: the
    change is committed there, and this process draws the pages afresh."""
    petition = make_petition(council, title="Plant more trees on Oxford Road")
    visitor = Client()
    paths = ["/", "/petitions/", f"/petitions/{petition.pk}/"]
    for path in paths:
        assert "Plant more trees" in visitor.get(path).content.decode()

    environment = {**os.environ, "DATABASE_URL": _database_url(), "CIVIC_TESTING": "1"}
    code = (
        "from petitions.models import Petition\n"
        f"Petition.objects.filter(pk={petition.pk}).update(title='Plant more oaks')\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=environment, check=True, capture_output=True,
    )  # fmt: skip

    clear_all()  # as once the second this process keeps what it read has passed
    for path in paths:
        assert "Plant more oaks" in visitor.get(path).content.decode(), path


def test_a_page_that_asked_for_the_visitors_own_token_is_not_kept(rf, django_user_model):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    drawn = []

    @pagecache.shared_page
    def own_token(request):
        drawn.append(1)
        return HttpResponse(f"token {get_token(request)}")

    def visit():
        request = rf.get("/own-token/")
        request.user, request.session = AnonymousUser(), SessionStore()
        request._messages = FallbackStorage(request)
        return own_token(request)

    first, second = visit(), visit()

    assert len(drawn) == 2
    assert first.content != second.content


# Pieces of pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_piece_is_drawn_once_and_takes_each_requests_token_and_values(rf, still_memos):
    """A piece shared by many pages (a statement with its vote buttons) is drawn once, and each
    request gets its own CSRF token and the values the piece names (a form's start time),
    until a write changes the pages' generation."""
    from types import SimpleNamespace

    from django.middleware.csrf import _does_token_match
    from django.test.signals import template_rendered

    from debates.models import StatementVote

    name = "debates/_conversation_statement.html"
    drawings = []
    template_rendered.connect(
        lambda sender, template, **kwargs: drawings.append(template.name), weak=False,
        dispatch_uid="piece-drawn",
    )  # fmt: skip
    starts = iter(f"start-{number}" for number in range(10))
    context = {
        "conversation": SimpleNamespace(slug="high-street"),
        "statement": SimpleNamespace(pk=7, text="Wider pavements."),
        "form": True,
        "total": 1,
        "current_choice": "",
        "choices": StatementVote.Choice,
    }

    def piece(request) -> str:
        return pagecache.drawn_part(request, (7,), name, context, fill={"token": starts.__next__})

    try:
        first_request, second_request = rf.get("/"), rf.get("/")
        first, second = piece(first_request), piece(second_request)
        assert drawings.count(name) == 1
        # Each token is made from its own request's secret (the CSRF cookie it is sent).
        assert _does_token_match(form_token(first), first_request.META["CSRF_COOKIE"])
        assert _does_token_match(form_token(second), second_request.META["CSRF_COOKIE"])
        assert not _does_token_match(form_token(second), first_request.META["CSRF_COOKIE"])
        assert 'name="started" value="start-0"' in first
        assert 'name="started" value="start-1"' in second
        assert "Wider pavements." in second

        context["statement"] = SimpleNamespace(pk=7, text="Wider pavements and benches.")
        DebateSpace.objects.update(title="Changed")  # any write to a shown table
        assert "Wider pavements and benches." in piece(rf.get("/"))
        assert drawings.count(name) == 2
    finally:
        template_rendered.disconnect(dispatch_uid="piece-drawn")


# Answering before the middleware ------------------------------------------------------------------

# Headers made again for each answer, or the visitor's own.
_PER_ANSWER = {"Content-Length", "Set-Cookie"}


@pytest.fixture
def still_memos(monkeypatch):
    """The second each process keeps what it read does not pass unless a test says so
    (clear_all): a slow machine never turns a kept answer into a drawn one."""
    for memo in (pagecache._pages, pagecache._generation, pagecache._answers):
        monkeypatch.setattr(memo, "clock", lambda: 0.0)


def _kept_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.items() if name not in _PER_ANSWER}


def test_a_visitor_with_a_csrf_cookie_takes_a_page_just_served_before_the_middleware(
    council, resident_pages, still_memos
):
    """The second visit of each shared page, cookie in hand, goes through the whole stack and
    is kept with its headers; the third is answered first thing, with the same headers (CSP,
    frame, referrer and content-type rules included) and a CSRF token of its own."""
    visitor = Client()
    for name, path in resident_pages.items():
        visitor.get(path)  # the first visit sets the CSRF cookie of a page with a form
        clear_all()  # as once this process's second has passed
        whole = visitor.get(path)
        fast = visitor.get(path)
        assert not getattr(whole, "answered_before_middleware", False), name
        assert getattr(fast, "answered_before_middleware", False), name
        assert fast.status_code == 200, name
        assert _kept_headers(fast) == _kept_headers(whole), name
        assert "Content-Security-Policy" in fast and fast["X-Frame-Options"] == "DENY", name
        assert re.sub(r'value="[^"]+"', "", fast.content.decode()) == re.sub(
            r'value="[^"]+"', "", whole.content.decode()
        ), name
        if form_token(whole.content.decode()):
            assert form_token(fast.content.decode()) != form_token(whole.content.decode()), name


def test_a_token_from_the_page_answered_before_the_middleware_signs(council, still_memos):
    petition = make_petition(council, title="Light the canal path")
    path = reverse("petitions:detail", args=[petition.pk])
    visitor = Client(enforce_csrf_checks=True)
    visitor.get(path)
    visitor.get(path)
    page = visitor.get(path)
    assert page.answered_before_middleware
    html = page.content.decode()
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    signed = visitor.post(
        reverse("petitions:sign", args=[petition.pk]),
        {
            "csrfmiddlewaretoken": form_token(html),
            "started": started,
            "website": "",
            "name": "Ann Example",
            "email": "ann@example.org",
            "postcode": "M4 6AA",
            "lives_here": "on",
        },
    )
    assert signed.status_code == 302
    assert Signature.objects.filter(petition=petition, email="ann@example.org").count() == 1


def test_who_takes_the_whole_stack_every_time(council, resident_pages, settings, still_memos):
    path = resident_pages["petitions:list"]
    fresh = Client()
    assert not getattr(fresh.get(path), "answered_before_middleware", False)  # no cookie yet
    visitor = Client()
    visitor.get(path)
    visitor.get(path)
    assert visitor.get(path).answered_before_middleware
    assert not getattr(visitor.get(path + "?page=1"), "answered_before_middleware", False)

    signed_in = Client()
    signed_in.get(path)
    signed_in.force_login(council.resident)
    for _visit in range(3):
        answer = signed_in.get(path)
        assert not getattr(answer, "answered_before_middleware", False)
    assert "Sign out" in answer.content.decode()

    settings.SECURE_SSL_REDIRECT = True
    redirected = Client().get(path)  # a new handler, whose middleware reads the setting
    assert redirected.status_code == 301
    assert not getattr(redirected, "answered_before_middleware", False)


def test_a_write_ends_the_page_answered_before_the_middleware(council, still_memos):
    from petitions.models import Petition

    petition = make_petition(council, title="Mend the swings")
    path = reverse("petitions:detail", args=[petition.pk])
    visitor = Client()
    for _visit in range(3):
        page = visitor.get(path)
    assert page.answered_before_middleware
    Petition.objects.filter(pk=petition.pk).update(title="Mend the swings and the slide")
    clear_all()  # as once this process's second has passed
    again = visitor.get(path)
    assert "Mend the swings and the slide" in again.content.decode()
    assert not getattr(again, "answered_before_middleware", False)


# When a page's time runs out ----------------------------------------------------------------------


@pytest.fixture
def counted_page(rf, still_memos):
    """A shared page that says how many times it was drawn, and a visit of it without the
    middleware (as `own_token` above)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore
    from django.http import HttpResponse

    drawn = []
    failing = []

    @pagecache.shared_page
    def counted(request):
        if failing:
            raise failing.pop()
        drawn.append(1)
        return HttpResponse(f"drawn {len(drawn)} times")

    def visit() -> str:
        request = rf.get("/counted/")
        request.user, request.session = AnonymousUser(), SessionStore()
        request._messages = FallbackStorage(request)
        return counted(request).content.decode()

    visit.key = lambda: pagecache._key(rf.get("/counted/"))
    visit.failing = failing
    return visit


def _time_runs_out(key: str) -> None:
    from django.core.cache import cache

    cache.delete(key)
    clear_all()


def test_while_one_request_draws_a_page_again_the_others_get_the_copy_it_replaces(db, counted_page):
    from django.core.cache import cache

    assert counted_page() == "drawn 1 times"
    key = counted_page.key()
    _time_runs_out(key)
    assert cache.add(f"{key}:drawing", 1, 10)  # another request is drawing it now

    assert counted_page() == "drawn 1 times"

    cache.delete(f"{key}:drawing")  # it has drawn it (and kept it, which this test undoes)
    clear_all()
    assert counted_page() == "drawn 2 times"
    assert cache.get(f"{key}:drawing") is None  # the drawer lets go once it has drawn


def test_after_a_write_the_copy_is_never_served_while_the_page_is_drawn_again(
    db, counted_page, council
):
    from django.core.cache import cache

    from civic.models import Area

    assert counted_page() == "drawn 1 times"
    Area.objects.create(organisation=council.organisation, code="E05999999", name="New ward")
    key = counted_page.key()  # a generation of its own: the write is not committed yet
    cache.add(f"{key}:drawing", 1, 10)  # another request is drawing the page of this one

    assert counted_page() == "drawn 2 times"


def test_a_drawer_that_fails_lets_the_next_request_draw(db, counted_page):
    from django.core.cache import cache

    assert counted_page() == "drawn 1 times"
    _time_runs_out(counted_page.key())
    counted_page.failing.append(RuntimeError("the database went away"))
    with pytest.raises(RuntimeError):
        counted_page()

    assert cache.get(f"{counted_page.key()}:drawing") is None
    assert counted_page() == "drawn 2 times"


def test_signing_in_leaves_the_pages_and_a_change_of_name_does_not(db, council):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    user = get_user_model().objects.get(pk=council.resident.pk)
    before = pagecache.generation()
    Client().force_login(user)  # writes last_login, which no page shows
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert pagecache.generation() == before

    user.name = "Another name"
    user.save(update_fields=["name", "last_login"])
    assert pagecache.generation() != before


def test_only_an_update_of_unshown_columns_alone_is_unshown():
    assert not pagecache._shows(
        'UPDATE "civic_user" SET "last_login" = %s WHERE "id" = %s', "civic_user"
    )
    for sql in (
        'UPDATE "civic_user" SET "last_login" = %s, "email" = %s WHERE "id" = %s',
        'UPDATE "civic_user" SET email = %s WHERE "id" = %s',
        'INSERT INTO "civic_user" ("last_login") VALUES (%s)',
        'DELETE FROM "civic_user" WHERE "last_login" = %s',
    ):
        assert pagecache._shows(sql, "civic_user"), sql
    assert pagecache._shows(
        'UPDATE "petitions_petition" SET "last_login" = %s WHERE', "petitions_petition"
    )


def test_a_request_that_finds_no_copy_draws_and_leaves_the_drawers_hold(db, counted_page):
    from django.core.cache import cache

    assert counted_page() == "drawn 1 times"
    key = counted_page.key()
    _time_runs_out(key)
    cache.delete(f"{key}:last")  # the copy has gone too
    assert cache.add(f"{key}:drawing", 1, 10)  # another request is drawing it now

    assert counted_page() == "drawn 2 times"
    assert cache.get(f"{key}:drawing") == 1  # the other request's hold, not this one's to end
