"""Comments: threaded to three levels, each with a stance; up and down votes, one per person per
comment and changeable, which the database keeps even when votes arrive at once; an edit window;
deletion that keeps the comment's place; Markdown-light text with anything unsafe removed and
links marked nofollow ugc; participation recorded in contacts."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from civic.form_guard import Refused
from civic.formatting import markdown_light_to_html
from contacts.models import Activity
from debates.models import ACTIVITY_COMMENT, Comment, CommentVote, Debate
from debates.services import (
    comment_delete,
    comment_edit,
    comment_post,
    comment_token,
    comment_vote,
)
from tests.concurrency import at_once
from tests.debates.conftest import make_debate
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_comments")]
Stance = Comment.Stance


def post(debate, user, **fields) -> Comment:
    values = {
        "user": user,
        "debate": debate,
        "stance": Stance.FOR,
        "text": "Buses would be faster without cars in the way.",
        "token": comment_token(now=time.time() - 60),
        "ip": "198.51.100.7",
    }
    values.update(fields)
    return comment_post(**values)


def test_comments_thread_to_three_levels_and_no_deeper(cast):
    debate = make_debate(cast)
    top = post(debate, cast.resident)
    reply = post(debate, cast.officer, parent=top, stance=Stance.AGAINST)
    deepest = post(debate, cast.resident, parent=reply, stance=Stance.NEUTRAL)
    assert [(c.depth, c.thread_id, c.stance) for c in (top, reply, deepest)] == [
        (1, top.pk, "for"),
        (2, top.pk, "against"),
        (3, top.pk, "neutral"),
    ]
    with pytest.raises(Refused) as caught:
        post(debate, cast.officer, parent=deepest)
    assert caught.value.code == "too_deep"
    assert Comment.objects.count() == 3
    activity = Activity.objects.filter(kind=ACTIVITY_COMMENT).order_by("pk").first()
    assert activity.reference == f"comment-{top.pk}"


def test_the_database_refuses_a_fourth_level(cast):
    debate = make_debate(cast)
    top = post(debate, cast.resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(debate=debate, parent=top, depth=4, stance="for", text="x")


def test_a_reply_to_another_debates_comment_is_refused(cast):
    elsewhere = post(make_debate(cast), cast.resident)
    with pytest.raises(Refused) as caught:
        post(make_debate(cast), cast.resident, parent=elsewhere)
    assert caught.value.code == "invalid"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "  "}, "text", "Enter your comment"),
        ({"text": "x" * 2001}, "text", "Your comment must be 2000 characters or fewer"),
        ({"stance": "maybe"}, "stance", "Choose whether you are for, against or neutral"),
    ],
)
def test_each_field_is_checked_and_nothing_is_saved(cast, fields, field, message):
    with pytest.raises(ValidationError) as caught:
        post(make_debate(cast), cast.resident, **fields)
    assert caught.value.message_dict[field] == [message]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("stage", [Debate.Stage.UPCOMING, Debate.Stage.CLOSED])
def test_comments_are_taken_only_while_the_debate_is_open(cast, stage):
    with pytest.raises(Refused) as caught:
        post(make_debate(cast, stage), cast.resident)
    assert caught.value.code == "closed"
    assert not Comment.objects.exists()


def test_its_author_edits_a_comment_within_the_window_only(cast, clock):
    comment = post(make_debate(cast), cast.resident, now=clock.now)
    clock.advance(minutes=14)
    edited = comment_edit(
        user=cast.resident, comment=comment, stance=Stance.NEUTRAL, text="On reflection, unsure.",
        now=clock.now,
    )  # fmt: skip
    assert (edited.text, edited.stance, edited.edited_at) == (
        "On reflection, unsure.", "neutral", clock.now)  # fmt: skip
    with pytest.raises(Refused) as caught:
        comment_edit(
            user=cast.officer, comment=comment, stance="for", text="Mine now", now=clock.now
        )
    assert caught.value.code == "not_yours"
    clock.advance(minutes=2)
    with pytest.raises(Refused) as caught:
        comment_edit(user=cast.resident, comment=comment, stance="for", text="Late", now=clock.now)
    assert caught.value.code == "too_late"
    comment.refresh_from_db()
    assert comment.text == "On reflection, unsure."


def test_deleting_a_comment_keeps_its_place_and_its_replies(cast):
    debate = make_debate(cast)
    top = post(debate, cast.resident)
    reply = post(debate, cast.officer, parent=top)
    with pytest.raises(Refused) as caught:
        comment_delete(user=cast.officer, comment=top)
    assert caught.value.code == "not_yours"
    comment_delete(user=cast.resident, comment=top)
    top.refresh_from_db()
    assert (top.text, top.deleted_at is not None) == ("", True)
    assert list(Comment.objects.filter(thread=top).order_by("depth")) == [top, reply]
    with pytest.raises(Refused) as caught:
        comment_edit(user=cast.resident, comment=top, stance="for", text="Back")
    assert caught.value.code == "deleted"


def test_votes_are_one_per_person_and_changeable(cast):
    comment = post(make_debate(cast), cast.resident)
    voter = UserFactory()
    comment_vote(user=voter, comment=comment, value=1)
    comment_vote(user=voter, comment=comment, value=-1)
    comment_vote(user=UserFactory(), comment=comment, value=1)
    assert sorted(CommentVote.objects.values_list("value", flat=True)) == [-1, 1]
    with pytest.raises(ValidationError):
        comment_vote(user=voter, comment=comment, value=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentVote.objects.create(comment=comment, user=voter, value=1)


@pytest.mark.django_db(transaction=True)
def test_votes_sent_at_the_same_moment_make_one_row_per_person(cast, postgresql_only):
    comment = post(make_debate(cast), cast.resident)
    voter = UserFactory()

    def send(value):
        return lambda: comment_vote(
            user=voter,
            comment=Comment.objects.select_related("debate__department").get(pk=comment.pk),
            value=value,
        )

    at_once(*[send(1 if n % 2 else -1) for n in range(6)])
    assert CommentVote.objects.filter(comment=comment, user=voter).count() == 1


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("<script>alert(1)</script>", ["&lt;script&gt;"], ["<script"]),
        ("[click](javascript:alert(1))", [], ['<a href="javascript']),
        ('<a href="javascript:alert(1)">x</a>', ["&lt;a href="], ['<a href="javascript']),
        ("[site](https://example.org)", ['rel="nofollow ugc"', 'href="https://example.org"'], []),
        ("*so* **very**\n\n- one\n- two", ["<em>so</em>", "<strong>very</strong>", "<li>one</li>"],
         []),
        ("# Shouting", ["Shouting"], ["<h1", "<h2"]),
        ("<img src=x onerror=alert(1)>", [], ["<img"]),
    ],
)  # fmt: skip
def test_comment_text_is_markdown_light_and_sanitised(text, present, absent):
    html = str(markdown_light_to_html(text))
    for found in present:
        assert found in html, html
    for missing in absent:
        assert missing not in html, html
