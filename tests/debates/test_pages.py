"""The public pages, as a resident's browser sends them without JavaScript: the list of debates
and a debate's page (the question, its state in words, the background, the consultation it
informs); drafts only for those who run them; hostile input never a server error; and a fixed
number of queries whatever they list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civic import open_now
from debates.models import Debate
from tests.consultations.factories import ConsultationFactory
from tests.debates.conftest import make_debate
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Debate.Stage


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_published_debates_with_their_state_and_never_a_draft(client, cast):
    make_debate(cast, Stage.OPEN, question="Should the high street be car-free?")
    make_debate(cast, Stage.CLOSED, question="Should every street be 20mph?")
    make_debate(cast, Stage.DRAFT, question="Should we sell the town hall?")
    html = assert_page(client.get("/debates/"), heading="Debates")
    assert "Should the high street be car-free?" in html and "Open" in html
    assert "Should every street be 20mph?" in html and "This debate closed on" in html
    assert "2 debates" in html
    assert "Should we sell the town hall?" not in html

    closed = assert_page(client.get("/debates/?stage=closed"), heading="Debates")
    assert "Should every street be 20mph?" in closed
    assert "Should the high street be car-free?" not in closed


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        (Stage.UPCOMING, "This debate opens on"),
        (Stage.OPEN, "This debate is open until"),
        (Stage.CLOSED, "This debate closed on"),
    ],
)
def test_a_debate_page_says_its_state_in_words(client, cast, stage, words):
    debate = make_debate(cast, stage, question="Should the high street be car-free?")
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert words in html
    assert f">{Stage(stage).label}</strong>" in html


def test_the_state_follows_the_dates_without_anyone_acting(cast, clock):
    debate = make_debate(cast, Stage.UPCOMING, now=clock.now)
    assert debate.stage_at(clock.now) == Stage.UPCOMING
    clock.advance(days=4)
    assert debate.stage_at(clock.now) == Stage.OPEN
    assert list(Debate.objects.open_at(clock.now)) == [debate]
    clock.advance(days=14)
    assert debate.stage_at(clock.now) == Stage.CLOSED
    assert not Debate.objects.open_at(clock.now).exists()


def test_the_background_is_markdown_with_anything_unsafe_removed(client, cast):
    debate = make_debate(
        cast,
        background="Buses **would** move.\n\n<script>alert(1)</script>\n\n"
        "[a link](javascript:alert(2)) and <img src=x onerror=alert(3)>",
    )
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert "<strong>would</strong>" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html  # shown as the words typed, never run
    assert 'href="javascript' not in html
    assert "<img" not in html


def test_a_debate_links_to_its_consultation_only_once_that_is_published(client, cast):
    consultation = ConsultationFactory(department=cast.department, title="Riverside cycle lanes")
    debate = make_debate(cast, consultation=consultation)
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert f'href="/consultations/{consultation.slug}/"' in html
    assert "Riverside cycle lanes" in html

    consultation.published_at = None
    consultation.save(update_fields=["published_at"])
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert "Riverside cycle lanes" not in html


def test_a_draft_is_seen_only_by_those_who_run_it(client, cast):
    debate = make_debate(cast, Stage.DRAFT)
    assert_page(client.get(f"/debates/{debate.slug}/"), heading="Page not found", status=404)
    for person in ("resident", "officer of another department", "other council's admin"):
        response = signed_in(cast.people[person]).get(f"/debates/{debate.slug}/")
        assert_page(response, heading="Page not found", status=404)
    for person in ("officer", "organisation admin", "site admin"):
        html = assert_page(
            signed_in(cast.people[person]).get(f"/debates/{debate.slug}/"),
            heading=debate.question,
        )
        assert "This debate is a draft" in html


@pytest.mark.parametrize(
    "address",
    [
        "/debates/?stage=%3Cscript%3E",
        "/debates/?stage=draft",
        "/debates/?page=abc",
        "/debates/?page=999",
        "/debates/?page=-1",
        "/debates/?stage=open&stage=closed",
        "/debates/?stage=%00",
    ],
)
def test_hostile_addresses_of_the_list_are_answered_with_a_page(client, cast, address):
    make_debate(cast)
    response = client.get(address)
    assert response.status_code in (200, 400)
    assert_page(response, heading=ANY_HEADING, status=response.status_code)


def test_a_stage_not_on_the_list_is_named_next_to_the_field(client, cast):
    html = assert_page(client.get("/debates/?stage=draft"), heading="Debates")
    assert "Choose a stage from the list" in html


@pytest.mark.parametrize(
    "address", ["/debates/no-such-debate/", "/debates/%3Cscript%3E/", "/debates/" + "a" * 300 + "/"]
)
def test_an_unknown_debate_is_not_found(client, cast, address):
    make_debate(cast)
    assert client.get(address).status_code == 404


def test_a_debate_page_answers_only_reading(client, cast):
    debate = make_debate(cast)
    assert client.post(f"/debates/{debate.slug}/").status_code == 405
    assert client.post("/debates/").status_code == 405


@pytest.mark.parametrize("address", ["/debates/", "/debates/?stage=open", "/debates/?page=2"])
def test_the_list_of_debates_keeps_a_fixed_number_of_queries(
    client, cast, django_assert_num_queries, address
):
    for _number in range(3):
        make_debate(cast)
    with django_assert_num_queries(2):
        client.get(address)
    for _number in range(30):
        make_debate(cast)
    with django_assert_num_queries(2):
        assert client.get(address).status_code == 200


def test_a_debate_page_without_comments_takes_three_queries(
    client, cast, django_assert_num_queries
):
    debate = make_debate(cast, consultation=ConsultationFactory(department=cast.department))
    # The debate, its points, and the count of its comments (with comments, tests/debates/
    # test_threads.py: the page of threads and their replies too).
    with django_assert_num_queries(3):
        assert client.get(f"/debates/{debate.slug}/").status_code == 200


def test_open_now_lists_open_debates_in_one_query(cast, django_assert_num_queries):
    open_debate = make_debate(cast, Stage.OPEN, question="Should the high street be car-free?")
    make_debate(cast, Stage.CLOSED)
    make_debate(cast, Stage.UPCOMING)
    make_debate(cast, Stage.DRAFT)
    section = dict((section.key, section) for section, _items in open_now.sections())["debates"]
    with django_assert_num_queries(1):
        items = section.items(organisation=None, limit=5)
    assert [item.title for item in items] == [open_debate.question]
    assert items[0].url == f"/debates/{open_debate.slug}/"
    assert items[0].status.startswith("This debate is open until")
    assert section.items(organisation=cast.other_council, limit=5) == []


def test_the_home_page_shows_an_open_debate(client, cast):
    make_debate(cast, question="Should the high street be car-free?")
    html = assert_page(client.get("/"), heading=ANY_HEADING)
    assert "Debates" in html and "Should the high street be car-free?" in html


def test_a_debate_with_no_closing_date_is_open_with_no_end(cast):
    debate = make_debate(cast, closes_at=None)
    assert debate.stage_at(timezone.now() + timedelta(days=400)) == Stage.OPEN
