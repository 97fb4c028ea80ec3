"""Comments read in threads on the debate's page, without JavaScript: replies under their
comment, "Comment deleted" in a deleted comment's place, sorted by best, newest or oldest (a GET
form), paginated, and a fixed number of queries for 5 comments as for 50."""

from __future__ import annotations

import pytest

from debates.models import Comment, CommentVote
from tests.debates.conftest import make_debate
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db


def comment(debate, text, *, parent=None, **fields) -> Comment:
    made = Comment.objects.create(
        debate=debate,
        parent=parent,
        depth=1 if parent is None else parent.depth + 1,
        stance=fields.pop("stance", Comment.Stance.FOR),
        text=text,
        **fields,
    )
    made.thread_id = made.pk if parent is None else parent.thread_id
    Comment.objects.filter(pk=made.pk).update(thread_id=made.thread_id)
    return made


def votes(target, *values) -> None:
    CommentVote.objects.bulk_create(
        [CommentVote(comment=target, user=UserFactory(), value=value) for value in values]
    )


def test_threads_show_replies_under_their_comment_and_a_deleted_ones_place(client, cast):
    debate = make_debate(cast)
    top = comment(debate, "Buses would be *faster*.")
    reply = comment(debate, "Not on Canal Street.", parent=top, stance=Comment.Stance.AGAINST)
    comment(debate, "Gone", parent=reply, deleted_at=top.created_at)
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    thread = html.split(f'id="comment-{top.pk}"')[1]
    assert "<em>faster</em>" in thread
    assert thread.index("Not on Canal Street.") < thread.index("Comment deleted")
    assert "Gone" not in html


@pytest.mark.parametrize(
    ("sort", "order"),
    [("", ["liked", "newest", "oldest"]), ("best", ["liked", "newest", "oldest"]),
     ("newest", ["newest", "liked", "oldest"]), ("oldest", ["oldest", "liked", "newest"])],
)  # fmt: skip
def test_threads_sort_by_best_newest_or_oldest(client, cast, sort, order):
    debate = make_debate(cast)
    from datetime import timedelta

    base = debate.opens_at
    oldest = comment(debate, "oldest", created_at=base + timedelta(hours=1))
    liked = comment(debate, "liked", created_at=base + timedelta(hours=2))
    newest = comment(debate, "newest", created_at=base + timedelta(hours=3))
    votes(liked, 1, 1)
    votes(newest, 1, -1)
    votes(oldest, -1)
    html = assert_page(client.get(f"/debates/{debate.slug}/?sort={sort}"), heading=debate.question)
    section = html.split('id="debate-comments"')[1]
    assert sorted(order, key=lambda text: section.index(f">{text}<")) == order


@pytest.mark.parametrize("address", ["?sort=%3Cscript%3E", "?sort=best&page=abc", "?page=99"])
def test_hostile_sorts_and_pages_are_answered_with_the_page(client, cast, address):
    debate = make_debate(cast)
    comment(debate, "A comment")
    assert_page(client.get(f"/debates/{debate.slug}/{address}"), heading=ANY_HEADING)


@pytest.mark.parametrize("count", [5, 50])
def test_the_debate_page_keeps_a_fixed_number_of_queries_with_threads(
    client, cast, django_assert_num_queries, count
):
    debate = make_debate(cast)
    for number in range(count):
        top = comment(debate, f"Comment {number}")
        reply = comment(debate, f"Reply {number}", parent=top)
        comment(debate, f"Reply to reply {number}", parent=reply)
        votes(top, 1)
    # The debate, its points, and the threads: their count, the page, and the page's replies.
    with django_assert_num_queries(5):
        html = client.get(f"/debates/{debate.slug}/?sort=best").content.decode()
    assert html.count('class="civic-comment ') == 3 * min(count, 20)
