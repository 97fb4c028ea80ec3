"""Residents' comment forms as a browser sends them without JavaScript: posting a comment and
replying (to the third level and no deeper), editing one's own within the edit window, deleting
one's own after a confirmation page, and voting up or down (changeable; the same vote again
keeps it). Anyone not signed in, or not the author, changes nothing; bad input is named next to
its field with nothing saved; every form's address answers a GET with a page; and the debate's
page keeps a fixed number of queries however many threads it has, signed in or not."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from debates.models import Comment, CommentVote, Debate
from debates.services import comment_token
from tests.debates.conftest import make_debate
from tests.debates.test_threads import comment, votes
from tests.pages import ANY_HEADING, assert_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_comments")]
Stage = Debate.Stage


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**fields) -> dict:
    return {
        "stance": "for",
        "text": "Buses would be faster without cars in the way.",
        "started": comment_token(now=time.time() - 60),
        "website": "",
        **fields,
    }


def rows() -> list:
    """Every comment and vote as stored, to show that a refusal changed nothing."""
    return [
        list(Comment.objects.order_by("pk").values_list("pk", "stance", "text", "deleted_at")),
        list(CommentVote.objects.order_by("pk").values_list("comment_id", "user_id", "value")),
    ]


# The debate's page --------------------------------------------------------------------------------


def test_a_visitor_not_signed_in_is_offered_a_link_to_sign_in_and_no_form(client, cast):
    debate = make_debate(cast)
    comment(debate, "Buses would be faster.")
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert "Sign in to comment" in html
    assert f'href="/accounts/login/?next=/debates/{debate.slug}/%23comments-heading"' in html
    assert 'id="comment-form"' not in html
    assert "Vote up" not in html and ">Reply<" not in html


@pytest.mark.parametrize("stage", [Stage.UPCOMING, Stage.CLOSED])
def test_a_debate_that_is_not_open_offers_no_comment_form_nor_buttons(client, cast, stage):
    debate = make_debate(cast, stage)
    comment(debate, "Buses would be faster.", author=cast.resident)
    for visitor in (client, signed_in(cast.resident)):
        html = assert_page(visitor.get(f"/debates/{debate.slug}/"), heading=debate.question)
        assert "Buses would be faster." in html
        assert 'id="comment-form"' not in html and "Sign in to comment" not in html
        assert "Vote up" not in html and "Reply" not in html


def test_a_signed_in_resident_sees_the_form_and_the_buttons_for_each_comment(cast):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.", author=cast.officer)
    reply = comment(debate, "Not on Canal Street.", parent=theirs, author=cast.officer)
    deepest = comment(debate, "Mine, just now.", parent=reply, author=cast.resident)
    html = assert_page(
        signed_in(cast.resident).get(f"/debates/{debate.slug}/"), heading=debate.question
    )
    assert 'id="comment-form"' in html and "Publish my comment" in html
    assert html.count("Vote up<") == 3
    for made in (theirs, reply):
        assert f"/comments/{made.pk}/reply/" in html
        assert f"/comments/{made.pk}/edit/" not in html
    # Replies go three levels deep: the deepest comment has no Reply.
    assert f"/comments/{deepest.pk}/reply/" not in html
    assert f"/comments/{deepest.pk}/edit/" in html
    assert f"/comments/{deepest.pk}/delete/" in html
    assert html.count('class="govuk-body-s civic-comment__actions"') == 3


# Posting and replying ----------------------------------------------------------------------------


def test_a_resident_comments_from_the_debate_page_and_finds_it_among_the_newest(cast):
    debate = make_debate(cast)
    visitor = signed_in(cast.resident)
    response = visitor.post(
        f"/debates/{debate.slug}/comments/",
        form(text="Buses would be *faster*.", stance="against", follows="on",
             next=f"/debates/{debate.slug}/?sort=best&page=1"),
    )  # fmt: skip
    made = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (f"/debates/{debate.slug}/?sort=newest&page=1#comment-{made.pk}")
    assert (made.author, made.stance, made.depth, made.thread_id, made.text) == (
        cast.resident, "against", 1, made.pk, "Buses would be *faster*.")  # fmt: skip
    html = assert_page(visitor.get(response["Location"]), heading=debate.question)
    assert "Your comment is published. Thank you." in html
    assert "<em>faster</em>" in html


def test_a_new_comments_place_is_the_page_of_its_thread_among_the_newest(cast):
    debate = make_debate(cast)
    base = timezone.now() - timedelta(days=1)
    for number in range(25):
        comment(debate, f"Comment {number}", created_at=base + timedelta(minutes=number))
    oldest = Comment.objects.order_by("created_at").first()
    response = signed_in(cast.resident).post(
        f"/debates/{debate.slug}/comments/{oldest.pk}/reply/", form()
    )
    reply = Comment.objects.get(parent=oldest)
    assert response["Location"] == f"/debates/{debate.slug}/?sort=newest&page=2#comment-{reply.pk}"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "   ", "stance": ""}, "id_text", "Enter your comment"),
        ({"text": "   ", "stance": ""}, "id_stance_0",
         "Choose whether you are for, against or neutral"),
        ({"text": "x" * 2001}, "id_text", "Your comment must be 2000 characters or fewer"),
        ({"stance": "maybe"}, "id_stance_0", "Choose whether you are for, against or neutral"),
    ],
)  # fmt: skip
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(cast, fields, field, message):
    debate = make_debate(cast)
    response = signed_in(cast.resident).post(f"/debates/{debate.slug}/comments/", form(**fields))
    html = assert_page(response, heading="Add a comment")
    assert "There is a problem" in html
    assert f'<a href="#{field}">{message}</a>' in html
    assert f"</span> {message}" in html  # next to the field
    assert "<title>Error:" in html
    assert not Comment.objects.exists()


def test_a_form_sent_too_fast_or_with_the_honeypot_filled_saves_nothing(cast, settings):
    settings.CIVIC_DEBATE_COMMENT_MIN_SECONDS = 3
    debate = make_debate(cast)
    visitor = signed_in(cast.resident)
    for fields in ({"started": comment_token()}, {"website": "http://spam.example"}):
        response = visitor.post(f"/debates/{debate.slug}/comments/", form(**fields))
        html = assert_page(response, heading="Add a comment")
        assert "There is a problem" in html
    assert not Comment.objects.exists()


def test_replies_go_three_levels_deep_and_no_deeper(cast):
    debate = make_debate(cast)
    visitor = signed_in(cast.resident)
    top = comment(debate, "Trains would be better.")
    response = visitor.post(f"/debates/{debate.slug}/comments/{top.pk}/reply/", form())
    assert response.status_code == 302
    second = Comment.objects.get(depth=2)
    html = assert_page(
        visitor.get(f"/debates/{debate.slug}/comments/{second.pk}/reply/"),
        heading="Reply to a comment",
    )
    assert "Buses would be faster without cars in the way." in html  # the reply, not the thread
    assert "Trains would be better." not in html and "Your reply" in html
    visitor.post(f"/debates/{debate.slug}/comments/{second.pk}/reply/", form(stance="neutral"))
    third = Comment.objects.get(depth=3)
    assert (third.parent, third.thread_id) == (second, top.pk)

    html = assert_page(
        visitor.get(f"/debates/{debate.slug}/comments/{third.pk}/reply/"),
        heading="Reply to a comment",
    )
    assert "Replies go three levels deep" in html and "Publish my reply" not in html
    before = rows()
    html = assert_page(
        visitor.post(f"/debates/{debate.slug}/comments/{third.pk}/reply/", form()),
        heading="Reply to a comment",
    )
    assert "Replies go 3 levels deep: reply to the comment above instead." in html
    assert rows() == before


def test_a_comment_of_another_debate_cannot_be_replied_to_here(cast):
    debate, other = make_debate(cast), make_debate(cast)
    elsewhere = comment(other, "Elsewhere")
    visitor = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/comments/{elsewhere.pk}/reply/"
    assert visitor.get(address).status_code == 404
    assert visitor.post(address, form()).status_code == 404
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("stage", [Stage.UPCOMING, Stage.CLOSED])
def test_a_debate_that_is_not_open_takes_no_comment(cast, stage):
    debate = make_debate(cast, stage)
    visitor = signed_in(cast.resident)
    html = assert_page(visitor.get(f"/debates/{debate.slug}/comments/"), heading="Add a comment")
    assert "Publish my comment" not in html
    html = assert_page(
        visitor.post(f"/debates/{debate.slug}/comments/", form()), heading="Add a comment"
    )
    assert "There is a problem" in html
    assert not Comment.objects.exists()


# Editing and deleting one's own ------------------------------------------------------------------


def test_its_author_edits_a_comment_within_the_window(cast):
    debate = make_debate(cast)
    mine = comment(debate, "Buses would be faster.", author=cast.resident)
    visitor = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/comments/{mine.pk}/edit/"
    html = assert_page(visitor.get(address), heading="Edit your comment")
    assert "Buses would be faster.</textarea>" in html
    back = f"/debates/{debate.slug}/?sort=oldest&page=1"
    response = visitor.post(address, {"stance": "neutral", "text": "Unsure now.", "next": back})
    assert response["Location"] == f"{back}#comment-{mine.pk}"
    mine.refresh_from_db()
    assert (mine.stance, mine.text, mine.edited_at is not None) == ("neutral", "Unsure now.", True)
    html = assert_page(visitor.get(back), heading=debate.question)
    assert "Your comment is changed." in html and "(edited)" in html


def test_an_edit_with_bad_input_is_named_next_to_the_field_and_changes_nothing(cast):
    debate = make_debate(cast)
    mine = comment(debate, "Buses would be faster.", author=cast.resident)
    before = rows()
    response = signed_in(cast.resident).post(
        f"/debates/{debate.slug}/comments/{mine.pk}/edit/", {"stance": "for", "text": ""}
    )
    html = assert_page(response, heading="Edit your comment")
    assert '<a href="#id_text">Enter your comment</a>' in html
    assert rows() == before


def test_after_the_edit_window_a_comment_can_no_longer_be_edited(cast):
    debate = make_debate(cast)
    mine = comment(
        debate, "Buses would be faster.", author=cast.resident,
        created_at=timezone.now() - timedelta(minutes=16),
    )  # fmt: skip
    visitor = signed_in(cast.resident)
    page = assert_page(visitor.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert f"/comments/{mine.pk}/delete/" in page
    assert f"/comments/{mine.pk}/edit/" not in page
    address = f"/debates/{debate.slug}/comments/{mine.pk}/edit/"
    html = assert_page(visitor.get(address), heading="Edit your comment")
    assert "comments can be changed for 15 minutes after posting" in html
    assert "Save my changes" not in html
    before = rows()
    html = assert_page(
        visitor.post(address, {"stance": "for", "text": "Too late"}), heading="Edit your comment"
    )
    assert "Comments can be changed for 15 minutes after posting." in html
    assert rows() == before


def test_its_author_deletes_a_comment_after_a_confirmation_page(cast):
    debate = make_debate(cast)
    mine = comment(debate, "Buses would be faster.", author=cast.resident)
    reply = comment(debate, "I agree.", parent=mine, author=cast.officer)
    visitor = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/comments/{mine.pk}/delete/"
    html = assert_page(visitor.get(address), heading="Delete your comment")
    assert "Buses would be faster." in html and "Delete my comment" in html
    assert Comment.objects.get(pk=mine.pk).deleted_at is None

    response = visitor.post(address, {"next": f"/debates/{debate.slug}/"})
    assert response["Location"] == f"/debates/{debate.slug}/?sort=newest&page=1#comment-{mine.pk}"
    html = assert_page(visitor.get(response["Location"]), heading=debate.question)
    assert "Your comment is deleted." in html and "Comment deleted" in html
    assert "Buses would be faster." not in html and "I agree." in html
    mine.refresh_from_db()
    assert (mine.text, mine.deleted_at is not None) == ("", True)
    assert Comment.objects.get(pk=reply.pk).text == "I agree."
    html = assert_page(visitor.get(address), heading="Delete your comment")
    assert "You have deleted this comment." in html and "Delete my comment" not in html


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_someone_elses_comment_can_be_neither_edited_nor_deleted(cast, action):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.", author=cast.officer)
    before = rows()
    address = f"/debates/{debate.slug}/comments/{theirs.pk}/{action}/"
    for person in ("resident", "organisation admin", "site admin"):
        visitor = signed_in(cast.people[person])
        assert_page(visitor.get(address), heading="Page not found", status=404)
        response = visitor.post(address, {"stance": "against", "text": "Mine now"})
        assert_page(response, heading="Page not found", status=404)
    assert rows() == before


# Voting -------------------------------------------------------------------------------------------


def test_a_vote_is_counted_changed_and_kept_when_pressed_again(cast):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.", author=cast.officer)
    votes(theirs, 1)
    visitor = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/comments/{theirs.pk}/vote/"
    back = f"/debates/{debate.slug}/?sort=best"
    response = visitor.post(address, {"value": "1", "next": back})
    assert response["Location"] == f"{back}#comment-{theirs.pk}"
    html = assert_page(visitor.get(back), heading=debate.question)
    assert "Score: 2" in html and "(you voted up)" in html
    visitor.post(address, {"value": "-1", "next": back})
    visitor.post(address, {"value": "-1", "next": back})
    html = assert_page(visitor.get(back), heading=debate.question)
    assert "Score: 0" in html and "(you voted down)" in html
    assert list(CommentVote.objects.filter(user=cast.resident).values_list("value", flat=True)) == [
        -1
    ]


def test_with_javascript_a_vote_is_answered_with_the_comment_alone(cast):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.", author=cast.officer)
    response = signed_in(cast.resident).post(
        f"/debates/{debate.slug}/comments/{theirs.pk}/vote/",
        {"value": "1", "next": f"/debates/{debate.slug}/"},
        headers={"X-Civic-Vote": "1"},
    )
    html = assert_page(response, heading=None)
    assert html.lstrip().startswith('<li class="civic-comment civic-comment--depth-1"')
    assert "Score: 1" in html and "(you voted up)" in html
    assert f'data-comment-votes="{theirs.pk}"' in html


@pytest.mark.parametrize("value", ["", "0", "2", "up", "-1.0"])
def test_a_vote_that_is_neither_up_nor_down_is_refused(cast, value):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.")
    response = signed_in(cast.resident).post(
        f"/debates/{debate.slug}/comments/{theirs.pk}/vote/", {"value": value}
    )
    html = assert_page(response, heading="Vote on a comment")
    assert "Choose up or down" in html
    assert not CommentVote.objects.exists()


def test_a_deleted_comment_or_a_closed_debate_takes_no_vote(cast):
    debate = make_debate(cast)
    gone = comment(debate, "", deleted_at=timezone.now())
    visitor = signed_in(cast.resident)
    html = assert_page(
        visitor.post(f"/debates/{debate.slug}/comments/{gone.pk}/vote/", {"value": "1"}),
        heading="Vote on a comment",
    )
    assert "This comment has been deleted." in html
    closed = make_debate(cast, Stage.CLOSED)
    old = comment(closed, "Buses would be faster.")
    html = assert_page(
        visitor.post(f"/debates/{closed.slug}/comments/{old.pk}/vote/", {"value": "1"}),
        heading="Vote on a comment",
    )
    assert "This debate has closed." in html and "Vote up" not in html
    assert not CommentVote.objects.exists()


# Who may, and what every address answers --------------------------------------------------------


def test_a_visitor_not_signed_in_is_sent_to_sign_in_and_changes_nothing(client, cast):
    debate = make_debate(cast)
    theirs = comment(debate, "Buses would be faster.", author=cast.resident)
    before = rows()
    for action, data in [
        ("", form()),
        (f"{theirs.pk}/reply/", form()),
        (f"{theirs.pk}/edit/", {"stance": "against", "text": "Changed"}),
        (f"{theirs.pk}/delete/", {}),
        (f"{theirs.pk}/vote/", {"value": "1"}),
    ]:
        address = f"/debates/{debate.slug}/comments/{action}"
        for response in (client.get(address), client.post(address, data)):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=")
    assert rows() == before


def test_every_form_address_answers_a_get_with_a_page(cast):
    debate = make_debate(cast)
    mine = comment(debate, "Buses would be faster.", author=cast.resident)
    visitor = signed_in(cast.resident)
    for action, heading in [
        ("", "Add a comment"),
        (f"{mine.pk}/reply/", "Reply to a comment"),
        (f"{mine.pk}/edit/", "Edit your comment"),
        (f"{mine.pk}/delete/", "Delete your comment"),
        (f"{mine.pk}/vote/", "Vote on a comment"),
    ]:
        html = assert_page(
            visitor.get(f"/debates/{debate.slug}/comments/{action}"), heading=heading
        )
        assert f'href="/debates/{debate.slug}/"' in html  # back to the debate


@pytest.mark.parametrize(
    "next_page",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/debates/other/",
     "/debates/{slug}/#x", "/debates/{slug}/\\evil"],
)  # fmt: skip
def test_where_a_form_leads_back_is_only_ever_the_debates_own_page(cast, next_page):
    debate = make_debate(cast)
    mine = comment(debate, "Buses would be faster.", author=cast.resident)
    visitor = signed_in(cast.resident)
    next_page = next_page.format(slug=debate.slug)
    address = f"/debates/{debate.slug}/comments/{mine.pk}/vote/"
    html = assert_page(visitor.get(address, {"next": next_page}), heading="Vote on a comment")
    assert "evil" not in html and "javascript:" not in html
    response = visitor.post(address, {"value": "1", "next": next_page})
    assert response["Location"].startswith(f"/debates/{debate.slug}/?sort=newest&page=1#")


@pytest.mark.parametrize("address", ["99999/reply/", "99999/edit/", "99999/delete/", "99999/vote/"])
def test_an_unknown_comment_is_not_found(cast, address):
    debate = make_debate(cast)
    response = signed_in(cast.resident).get(f"/debates/{debate.slug}/comments/{address}")
    assert_page(response, heading="Page not found", status=404)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_the_debate_page_keeps_a_fixed_number_of_queries_signed_in_or_not(
    cast, django_assert_num_queries, count, who
):
    debate = make_debate(cast)
    for number in range(count):
        top = comment(debate, f"Comment {number}", author=cast.resident)
        reply = comment(debate, f"Reply {number}", parent=top, author=cast.officer)
        comment(debate, f"Reply to reply {number}", parent=reply, author=cast.resident)
        votes(top, 1)
        CommentVote.objects.create(comment=reply, user=cast.resident, value=-1)
    visitor = Client() if who == "anonymous" else signed_in(cast.resident)
    # The debate, its points, the threads (their count, the page, the page's replies); signed
    # in, the session and the user, the resident's own votes on the page's comments, and
    # whether they follow the debate.
    with django_assert_num_queries(5 if who == "anonymous" else 9):
        response = visitor.get(f"/debates/{debate.slug}/?sort=best")
    html = assert_page(response, heading=debate.question)
    assert html.count('class="civic-comment ') == 3 * min(count, 20)
    if who == "resident":
        assert html.count("(you voted down)") == min(count, 20)


def test_hostile_comment_addresses_are_answered_with_a_page(cast):
    debate = make_debate(cast)
    visitor = signed_in(cast.resident)
    for address in (
        f"/debates/{debate.slug}/comments/?next=%00",
        f"/debates/{debate.slug}/comments/0/vote/",
    ):
        response = visitor.get(address)
        assert_page(response, heading=ANY_HEADING, status=response.status_code)
    response = visitor.post(f"/debates/{debate.slug}/comments/", {"stance": ["for", "against"]})
    assert_page(response, heading="Add a comment")
    assert not Comment.objects.exists()
