"""Conversations on the site and in the admin: voting through the plain form (signed in, or
anonymously by a signed cookie where allowed), changing a vote, adding a statement; the open data
(JSON and the API) with vote counts and never a person; the officers' permission matrix, the
check of residents' statements and the vote matrix as CSV with anonymous participant numbers;
a person's votes and statements in their copy of their data and gone on erasure; the demo."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client

from civic.models import AuditEntry
from contacts.gdpr_registry import sections
from contacts.models import Contact
from debates.conversations import (
    participant_for,
    statement_moderate,
    statement_token,
    statement_vote,
    vote_token,
)
from debates.gdpr import ERASED_TEXT
from debates.models import Conversation, Participant, Statement, StatementVote
from debates.views_conversations import PARTICIPANT_COOKIE
from tests.debates.conftest import make_conversation
from tests.debates.factories import StatementFactory
from tests.pages import ANY_HEADING, assert_page, form_token

pytestmark = pytest.mark.django_db
Stage = Conversation.Stage


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_CONVERSATION_JOIN_MIN_SECONDS = 0
    settings.CIVIC_CONVERSATION_STATEMENT_MIN_SECONDS = 0


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vote(client, conversation, statement, choice):
    return client.post(
        f"/debates/conversations/{conversation.slug}/vote/",
        {"statement": statement.pk, "choice": choice, "started": vote_token(), "website": ""},
    )


def page_of(client, conversation, query="") -> str:
    return assert_page(
        client.get(f"/debates/conversations/{conversation.slug}/{query}"),
        heading=conversation.title,
    )


# Pages --------------------------------------------------------------------------------------------


def test_the_list_shows_published_conversations_and_the_debates_list_links_to_it(client, cast):
    make_conversation(cast, title="Sharing the high street")
    make_conversation(cast, Stage.DRAFT, title="Selling the town hall")
    html = assert_page(client.get("/debates/conversations/"), heading="Conversations")
    assert "Sharing the high street" in html
    assert "Selling the town hall" not in html
    assert 'href="/debates/conversations/"' in assert_page(
        client.get("/debates/"), heading="Debates"
    )


def test_the_list_keeps_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    for _number in range(3):
        make_conversation(cast, seeds=0)
    with django_assert_num_queries(2):
        client.get("/debates/conversations/")
    for _number in range(30):
        make_conversation(cast, seeds=0)
    with django_assert_num_queries(2):
        assert client.get("/debates/conversations/").status_code == 200


def test_a_signed_in_resident_votes_through_every_statement_and_changes_a_vote(cast):
    conversation = make_conversation(cast)
    first, second, third = conversation.statements.order_by("pk")
    resident = signed_in(cast.resident)
    html = page_of(resident, conversation)
    assert "You have voted on 0 of 3 statements." in html
    assert first.text in html

    response = vote(resident, conversation, first, 1)
    assert (response.status_code, response["Location"]) == (
        303,
        f"/debates/conversations/{conversation.slug}/#conversation-statement",
    )
    html = page_of(resident, conversation)
    assert "You have voted on 1 of 3 statements." in html
    assert second.text in html
    vote(resident, conversation, second, -1)
    vote(resident, conversation, third, 0)
    html = page_of(resident, conversation)
    assert "You have voted on all 3 statements." in html
    assert "Come back later" in html

    # Changing a vote: the statement asked for, with the vote so far, then the same row.
    html = page_of(resident, conversation, f"?statement={first.pk}")
    assert "Your vote: agree. You can change it." in html
    vote(resident, conversation, first, -1)
    assert sorted(StatementVote.objects.values_list("statement", "choice")) == [
        (first.pk, -1),
        (second.pk, -1),
        (third.pk, 0),
    ]
    assert Participant.objects.get().user == cast.resident


def test_without_anonymous_participation_a_visitor_is_asked_to_sign_in(client, cast):
    conversation = make_conversation(cast)
    html = page_of(client, conversation)
    assert "Sign in to take part" in html
    assert 'name="choice"' not in html
    response = vote(client, conversation, conversation.statements.first(), 1)
    assert "Sign in to take part." in assert_page(response, heading=conversation.title)
    assert not StatementVote.objects.exists()


def test_an_anonymous_visitor_votes_by_a_signed_cookie_where_allowed(cast):
    conversation = make_conversation(cast, allow_anonymous=True)
    first, second, _third = conversation.statements.order_by("pk")
    visitor = Client()
    response = vote(visitor, conversation, first, 1)
    assert response.status_code == 303
    cookie = response.cookies[PARTICIPANT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    vote(visitor, conversation, second, 0)
    participant = Participant.objects.get()
    assert participant.user is None and participant.anonymous_key
    assert participant.votes.count() == 2
    assert "You have voted on 2 of 3 statements." in page_of(visitor, conversation)

    # A forged cookie is no one's: the next vote makes a new participant.
    forger = Client()
    forger.cookies[PARTICIPANT_COOKIE] = f"{participant.anonymous_key}:forged"
    vote(forger, conversation, first, -1)
    assert Participant.objects.count() == 2
    assert participant.votes.get(statement=first).choice == 1


def test_anonymous_visitors_over_the_limit_are_told_to_try_later(cast, settings):
    settings.CIVIC_CONVERSATION_JOIN_BURST = "1/m"
    conversation = make_conversation(cast, allow_anonymous=True)
    statement = conversation.statements.first()
    assert vote(Client(), conversation, statement, 1).status_code == 303
    response = vote(Client(), conversation, statement, 1)
    html = assert_page(response, heading=conversation.title, status=429)
    assert "too many new people taking part from your internet connection" in html
    assert StatementVote.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [{"statement": "x", "choice": 1}, {"choice": 1}, {"statement": 1, "choice": 7}, {}],
)
def test_a_bad_vote_is_answered_with_the_page_and_changes_nothing(cast, fields):
    conversation = make_conversation(cast)
    response = signed_in(cast.resident).post(
        f"/debates/conversations/{conversation.slug}/vote/", fields
    )
    assert "Choose agree, disagree or pass." in assert_page(
        response, heading=conversation.title, status=400
    )
    assert not StatementVote.objects.exists()


def test_a_vote_on_another_conversations_statement_is_refused(cast):
    conversation, other = make_conversation(cast), make_conversation(cast)
    response = vote(signed_in(cast.resident), conversation, other.statements.first(), 1)
    assert "This statement is not in this conversation." in assert_page(
        response, heading=conversation.title, status=400
    )
    assert not StatementVote.objects.exists()


def test_following_the_vote_address_leads_back_to_the_conversation(client, cast):
    conversation = make_conversation(cast)
    response = client.get(f"/debates/conversations/{conversation.slug}/vote/")
    assert response["Location"] == f"/debates/conversations/{conversation.slug}/"


def test_a_resident_adds_a_statement_which_waits_to_be_checked(cast):
    conversation = make_conversation(cast, statement_moderation="before")
    resident = signed_in(cast.resident)
    address = f"/debates/conversations/{conversation.slug}/statements/add/"
    assert_page(resident.get(address), heading="Add a statement")
    response = resident.post(address, {"text": "", "started": statement_token(), "website": ""})
    html = assert_page(response, heading="Add a statement")
    assert "Enter your statement" in html
    response = resident.post(
        address, {"text": "More benches, please.", "started": statement_token(), "website": ""}
    )
    html = assert_page(response, heading="Statement added")
    assert "The council will check your statement." in html
    statement = Statement.objects.get(is_seed=False)
    assert (statement.text, statement.status, statement.author) == (
        "More benches, please.",
        "pending",
        cast.resident,
    )
    assert "More benches" not in page_of(resident, conversation)


def test_a_draft_is_seen_only_by_those_who_run_it(client, cast):
    draft = make_conversation(cast, Stage.DRAFT)
    assert client.get(f"/debates/conversations/{draft.slug}/").status_code == 404
    assert signed_in(cast.other_officer).get(
        f"/debates/conversations/{draft.slug}/"
    ).status_code == (404)
    assert_page(signed_in(cast.officer).get(f"/debates/conversations/{draft.slug}/"),
                heading=draft.title)  # fmt: skip


def test_no_debate_can_take_the_address_of_the_conversations(cast):
    officer = signed_in(cast.officer)
    response = officer.post(
        "/admin/debates/debate/add/",
        {"department": cast.department.pk, "question": "Q?", "slug": "conversations",
         "summary": "S", "background": "B"},
    )  # fmt: skip
    assert "is taken by the site" in assert_page(response, heading=ANY_HEADING)
    assert not Conversation.objects.exists()
    assert assert_page(officer.get("/debates/conversations/"), heading="Conversations")


# Open data ----------------------------------------------------------------------------------------


def _with_votes(cast):
    conversation = make_conversation(cast, allow_anonymous=True)
    first, second, _third = conversation.statements.order_by("pk")
    StatementFactory(conversation=conversation, is_seed=False, status="pending", text="Waiting.")
    people = [
        participant_for(conversation=conversation, user=cast.resident, anonymous_key=None,
                        create=True),
        Participant.objects.create(conversation=conversation, anonymous_key="secret-key-1"),
        Participant.objects.create(conversation=conversation, anonymous_key="secret-key-2"),
    ]  # fmt: skip
    for participant, choices in zip(people, [(1, 1), (1, -1), (-1, 0)], strict=True):
        for statement, choice in zip((first, second), choices, strict=True):
            statement_vote(participant=participant, statement=statement, choice=choice)
    return conversation


def test_the_json_gives_counts_per_statement_and_never_a_person(client, cast):
    conversation = _with_votes(cast)
    response = client.get(f"/debates/conversations/{conversation.pk}.json")
    data = response.json()
    assert response["Cache-Control"] == "public, max-age=10"
    assert (data["title"], data["participants"], data["stage"]) == (conversation.title, 3, "open")
    assert [(s["text"], s["agree"], s["disagree"], s["passed"]) for s in data["statements"]] == [
        ("Seed statement 1.", 2, 1, 0),
        ("Seed statement 2.", 1, 1, 1),
        ("Seed statement 3.", 0, 0, 0),
    ]
    text = json.dumps(data)
    for personal in (cast.resident.email, cast.resident.name, "secret-key", "Waiting."):
        assert personal not in text
    assert client.get(f"/api/v1/conversations/{conversation.slug}/").json() == data


def test_drafts_are_not_open_data(client, cast):
    draft = make_conversation(cast, Stage.DRAFT)
    assert client.get(f"/debates/conversations/{draft.pk}.json").status_code == 404
    assert client.get(f"/api/v1/conversations/{draft.slug}/").status_code == 404
    assert client.get("/api/v1/conversations/").json()["results"] == []


def test_the_schema_lists_the_conversation_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/conversations/{slug}/" in schema


# The admin ----------------------------------------------------------------------------------------

PERMISSIONS = [
    "debates.view_conversation",
    "debates.change_conversation",
    "debates.publish_conversation",
    "debates.moderate_conversation",
    "debates.export_conversation",
]
RUNS = {"officer", "organisation admin", "site admin"}


@pytest.mark.parametrize(
    "role",
    ["anonymous", "resident", "officer", "officer of another department", "facilitator",
     "organisation admin", "site admin", "other council's officer", "other council's admin"],
)  # fmt: skip
def test_the_permission_matrix(cast, role):
    conversation = make_conversation(cast, Stage.DRAFT)
    user = AnonymousUser() if role == "anonymous" else cast.people[role]
    for permission in PERMISSIONS:
        assert user.has_perm(permission, conversation) is (role in RUNS), (role, permission)
    deletes = role in {"organisation admin", "site admin"}
    assert user.has_perm("debates.delete_conversation", conversation) is deletes


def test_an_officer_makes_a_conversation_with_its_statements_and_publishes_it_after_the_check(
    cast,
):
    officer = signed_in(cast.officer)
    assert_page(officer.get("/admin/debates/conversation/add/"), heading=ANY_HEADING)
    fields = {
        "department": cast.department.pk,
        "title": "Sharing the high street",
        "question": "How should the high street be shared?",
        "slug": "high-street",
        "background": "Why we ask.",
        "opens_at_0": "2026-01-01", "opens_at_1": "09:00",
        "closes_at_0": "2036-01-01", "closes_at_1": "09:00",
        "statement_moderation": "before",
        "statements-TOTAL_FORMS": "3", "statements-INITIAL_FORMS": "0",
        "statements-MIN_NUM_FORMS": "0", "statements-MAX_NUM_FORMS": "1000",
        "statements-0-text": "Buses first.", "statements-1-text": "Cars out.",
        "statements-2-text": "More benches.",
    }  # fmt: skip
    response = officer.post("/admin/debates/conversation/add/", fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    conversation = Conversation.objects.get()
    assert sorted(conversation.statements.values_list("text", "is_seed", "status")) == [
        ("Buses first.", True, "shown"),
        ("Cars out.", True, "shown"),
        ("More benches.", True, "shown"),
    ]
    publish = f"/admin/debates/conversation/{conversation.pk}/publish/"
    assert "Publish the conversation" in assert_page(officer.get(publish), heading=ANY_HEADING)
    assert officer.post(publish).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "published"


def test_an_officer_of_another_department_cannot_reach_the_statements_or_the_votes(cast):
    conversation = _with_votes(cast)
    other = signed_in(cast.other_officer)
    for page in ("statements/", "votes.csv", "publish/"):
        assert other.post(f"/admin/debates/conversation/{conversation.pk}/{page}").status_code == (
            404
        )
    assert not AuditEntry.objects.exists()


def test_an_officer_shows_or_rejects_residents_statements_on_their_page(cast):
    conversation = _with_votes(cast)
    waiting = Statement.objects.get(text="Waiting.")
    officer = signed_in(cast.officer)
    address = f"/admin/debates/conversation/{conversation.pk}/statements/"
    html = assert_page(officer.get(address), heading=ANY_HEADING)
    assert "1 statement is waiting to be checked." in html
    assert officer.post(address, {"statement": waiting.pk, "status": "shown"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "shown"
    # A bad choice is a message, never a 500, and changes nothing.
    officer.post(address, {"statement": waiting.pk, "status": "deleted"})
    html = assert_page(officer.get(address), heading=ANY_HEADING)
    assert "Choose whether to show or reject the statement." in html
    waiting.refresh_from_db()
    assert waiting.status == "shown"


def test_the_vote_matrix_numbers_participants_and_is_safe_for_spreadsheets(cast):
    conversation = _with_votes(cast)
    StatementFactory(conversation=conversation, text='=HYPERLINK("http://x")')
    StatementFactory(conversation=conversation, text="-1+1")
    response = signed_in(cast.officer).post(
        f"/admin/debates/conversation/{conversation.pk}/votes.csv"
    )
    assert (
        response["Content-Disposition"] == f'attachment; filename="{conversation.slug}-votes.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "participant",
        "Seed statement 1.",
        "Seed statement 2.",
        "Seed statement 3.",
        '\'=HYPERLINK("http://x")',
        "'-1+1",
    ]
    assert rows[1:] == [
        ["1", "1", "1", "", "", ""],
        ["2", "1", "-1", "", "", ""],
        ["3", "-1", "0", "", "", ""],
    ]
    # A disagreement is the number -1 (a spreadsheet reads it as minus one), not text.
    assert not any(cell[:1] in "=+@\t\r" and cell for row in rows for cell in row)
    for personal in (cast.resident.email, "secret-key", "Waiting."):
        assert personal not in text
    assert AuditEntry.objects.filter(action="export", actor=cast.officer).count() == 1


# A person's data ----------------------------------------------------------------------------------


def test_a_persons_votes_and_statements_are_in_their_data_and_go_on_erasure(cast):
    conversation = make_conversation(cast, statement_moderation="after")
    participant = participant_for(
        conversation=conversation, user=cast.resident, anonymous_key=None, create=True
    )
    first = conversation.statements.order_by("pk").first()
    statement_vote(participant=participant, statement=first, choice=-1)
    mine = Statement.objects.create(
        conversation=conversation, text=f"I am {cast.resident.name} and I want benches.",
        status="shown", author=cast.resident, participant=participant,
    )  # fmt: skip
    other = Participant.objects.create(conversation=conversation, anonymous_key="neighbour")
    statement_vote(participant=other, statement=mine, choice=1)
    contact = Contact.objects.get(email=cast.resident.email)
    section = next(s for s in sections() if s.name == "conversation votes and statements")
    exporter, eraser = section.exporter, section.eraser
    assert [(row["what"], row["statement"]) for row in exporter(contact)] == [
        ("voted disagree", "Seed statement 1."),
        ("added a statement", mine.text),
    ]
    assert eraser(contact) == 3  # the statement, the vote and the participant
    assert exporter(contact) == []
    mine.refresh_from_db()
    assert (mine.author, mine.participant) == (None, None)
    assert mine.text == str(ERASED_TEXT)  # it named them: replaced whole
    assert mine.votes.count() == 1  # the neighbour's vote on it stays
    assert not Participant.objects.filter(user=cast.resident).exists()


# The demo -----------------------------------------------------------------------------------------


def test_seed_demo_has_a_conversation_with_three_opinion_groups_and_runs_twice_the_same():
    call_command("seed_demo")
    conversation = Conversation.objects.get(slug="sharing-the-high-street")
    before = sorted(
        StatementVote.objects.values_list("participant__anonymous_key", "statement__text", "choice")
    )
    call_command("seed_demo")
    after = sorted(
        StatementVote.objects.values_list("participant__anonymous_key", "statement__text", "choice")
    )
    assert after == before
    assert conversation.participants.count() == 300
    assert conversation.stage == "open"
    # The groups are planted by participant number: on the first two statements, the first
    # group mostly agrees then disagrees, the second the other way round.
    seeds = list(conversation.statements.filter(is_seed=True).order_by("pk")[:2])
    agree = {}
    for group in range(3):
        keys = [f"demo-{n:04d}" for n in range(group, 300, 3)]
        agree[group] = [
            StatementVote.objects.filter(
                statement=statement, participant__anonymous_key__in=keys, choice=1
            ).count()
            for statement in seeds
        ]
    assert agree[0][0] > 70 and agree[0][1] < 25
    assert agree[1][0] < 25 and agree[1][1] > 70
    assert Statement.objects.filter(conversation=conversation, status="pending").count() == 1


def test_a_person_who_takes_part_anonymously_needs_the_token_the_page_drew(cast):
    conversation = make_conversation(cast, allow_anonymous=True)
    response = Client().post(
        f"/debates/conversations/{conversation.slug}/vote/",
        {"statement": conversation.statements.first().pk, "choice": 1,
         "started": "forged", "website": ""},
    )  # fmt: skip
    assert "We could not accept that just now." in assert_page(response, heading=conversation.title)
    assert not Participant.objects.exists()


def test_an_anonymous_visitors_first_act_may_be_a_statement_and_their_votes_follow_it(cast):
    conversation = make_conversation(cast, allow_anonymous=True, statement_moderation="after")
    visitor = Client()
    address = f"/debates/conversations/{conversation.slug}/statements/add/"
    assert_page(visitor.get(address), heading="Add a statement")
    response = visitor.post(
        address,
        {"text": "Trees along the street.", "started": statement_token(),
         "joining": vote_token(), "website": ""},
    )  # fmt: skip
    assert "Your statement shows now" in assert_page(response, heading="Statement added")
    assert PARTICIPANT_COOKIE in response.cookies
    vote(visitor, conversation, conversation.statements.first(), 1)
    participant = Participant.objects.get()
    assert participant.statements.get().text == "Trees along the street."
    assert participant.votes.count() == 1


# Voting costs few queries, and what officers change shows at once ---------------------------------


def test_a_participant_reads_the_page_in_one_query_and_votes_in_one(
    cast, django_assert_num_queries
):
    """The conversation and its statements are read once a generation of the pages in each
    process; the page then reads only the visitor's votes, and a returning participant's vote
    is one INSERT ... SELECT ... ON CONFLICT that finds them and writes it."""
    conversation = make_conversation(cast, allow_anonymous=True, seeds=6)
    statements = list(conversation.statements.order_by("pk"))
    visitor = Client()
    page_of(visitor, conversation)
    vote(visitor, conversation, statements[0], 1)
    for statement in statements[1:4]:
        with django_assert_num_queries(1):
            html = page_of(visitor, conversation)
        assert statement.text in html
        with django_assert_num_queries(1):
            assert vote(visitor, conversation, statement, -1).status_code == 303
    assert "You have voted on 4 of 6 statements." in page_of(visitor, conversation)
    assert list(
        StatementVote.objects.order_by("statement_id").values_list("statement_id", "choice")
    ) == [(statements[0].pk, 1)] + [(statement.pk, -1) for statement in statements[1:4]]


def _drawn(response) -> bool:
    return "debates/conversation.html" in [template.name for template in response.templates]


def _vote_through_the_page(visitor, conversation, choice) -> str:
    """Read the page, then press a button of its form, with the tokens the page carries."""
    html = page_of(visitor, conversation)
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    statement = re.search(r'name="statement" value="([0-9]+)"', html).group(1)
    answer = visitor.post(
        f"/debates/conversations/{conversation.slug}/vote/",
        {"csrfmiddlewaretoken": form_token(html), "started": started, "statement": statement,
         "choice": choice, "website": ""},
    )  # fmt: skip
    assert answer.status_code == 303
    return html


def test_participants_share_one_drawing_of_the_page_around_their_own_statement_and_votes(cast):
    """The page around a participant's own progress, statement and votes is drawn once for all
    alike; each gets their own pieces and tokens that their vote is taken with."""
    conversation = make_conversation(cast, allow_anonymous=True, seeds=3)
    first, second, third = conversation.statements.order_by("pk")
    ana, ben = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    url = f"/debates/conversations/{conversation.slug}/"
    assert _drawn(ana.get(url))
    assert not _drawn(ben.get(url))  # the same page: nobody has voted yet

    _vote_through_the_page(ana, conversation, 1)
    _vote_through_the_page(ben, conversation, -1)
    _vote_through_the_page(ben, conversation, 0)

    ana_page, ben_page = ana.get(url), ben.get(url)
    assert not _drawn(ben_page)  # the page around their votes was drawn for Ana
    ana_html = assert_page(ana_page, heading=conversation.title)
    ben_html = assert_page(ben_page, heading=conversation.title)
    assert "You have voted on 1 of 3 statements." in ana_html
    assert f'id="statement-{second.pk}"' in ana_html
    assert "You have voted on 2 of 3 statements." in ben_html
    assert f'id="statement-{third.pk}"' in ben_html
    ana_votes = ana_html[ana_html.index('id="your-votes"') :]
    ben_votes = ben_html[ben_html.index('id="your-votes"') :]
    assert "Agree" in ana_votes and "Disagree" not in ana_votes and "Pass" not in ana_votes
    assert "Disagree" in ben_votes and "Pass" in ben_votes and "Agree" not in ben_votes
    assert form_token(ana_html) != form_token(ben_html)
    assert list(
        StatementVote.objects.order_by("participant_id", "statement_id").values_list(
            "statement_id", "choice"
        )
    ) == [(first.pk, 1), (first.pk, -1), (second.pk, 0)]

    # Ben changes his first vote: the statement he asked for, with his vote on it.
    changing = assert_page(ben.get(f"{url}?statement={first.pk}"), heading=conversation.title)
    assert f'id="statement-{first.pk}"' in changing
    assert "Your vote: disagree. You can change it." in changing


def test_a_statement_shown_or_rejected_changes_the_next_page_at_once(cast):
    conversation = make_conversation(cast, allow_anonymous=True, seeds=2)
    residents = [
        StatementFactory(conversation=conversation, text=text, is_seed=False, status=status)
        for text, status in (("Wider pavements.", "shown"), ("More benches.", "pending"))
    ]
    visitor = Client()
    for statement in conversation.statements.filter(status="shown"):
        vote(visitor, conversation, statement, 1)
    assert "You have voted on all 3 statements." in page_of(visitor, conversation)

    statement_moderate(actor=cast.officer, statement=residents[1], status="shown")
    html = page_of(visitor, conversation)
    assert "You have voted on 3 of 4 statements." in html
    assert "More benches." in html

    statement_moderate(actor=cast.officer, statement=residents[0], status="rejected")
    html = page_of(visitor, conversation)
    assert "You have voted on 2 of 3 statements." in html
    assert "Wider pavements." not in html  # nor among the visitor's votes

    Conversation.objects.filter(pk=conversation.pk).update(title="Sharing the market square")
    assert (
        "Sharing the market square"
        in Client().get(f"/debates/conversations/{conversation.slug}/").content.decode()
    )
