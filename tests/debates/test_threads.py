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


# The shared page cache: each page of threads and each order is kept, nothing else ---------------


def _kept_pages() -> int:
    from django.core.cache import cache

    client = cache._cache.get_client(write=False)
    return sum(1 for _key in client.scan_iter(match=cache.make_key("page:*"), count=1000))


def _without_values(html: str) -> str:
    import re

    return re.sub(r'value="[^"]+"', "", html)


@pytest.fixture
def two_pages_of_threads(cast):
    """A debate with 25 threads: two pages of them, the second with the five oldest."""
    from datetime import timedelta

    debate = make_debate(cast)
    for number in range(25):
        comment(debate, f"Thread {number}", created_at=debate.opens_at + timedelta(hours=number))
    return debate


@pytest.mark.parametrize("address", ["?page=2", "?sort=newest", "?sort=oldest&page=2", "?page=1"])
def test_each_page_of_threads_and_each_order_is_kept_once_drawn(
    two_pages_of_threads, address, django_assert_num_queries
):
    from django.test import Client

    path = f"/debates/{two_pages_of_threads.slug}/{address}"
    first = Client().get(path)
    assert first.context is not None  # drawn
    with django_assert_num_queries(0):
        again = Client().get(path)
    assert again.status_code == 200
    assert _without_values(again.content.decode()) == _without_values(first.content.decode())


def test_a_kept_page_of_threads_shows_what_it_names(two_pages_of_threads):
    from django.test import Client

    path = f"/debates/{two_pages_of_threads.slug}/"
    for address in ("", "?page=2", "?sort=oldest"):
        Client().get(path + address)
    second, oldest_first = Client().get(path + "?page=2"), Client().get(path + "?sort=oldest")
    assert second.context is None and oldest_first.context is None  # from the cache
    heading = two_pages_of_threads.question
    section = assert_page(second, heading=heading).split('id="debate-comments"')[1]
    assert ">Thread 4<" in section and ">Thread 5<" not in section
    section = assert_page(oldest_first, heading=heading).split('id="debate-comments"')[1]
    assert section.index(">Thread 0<") < section.index(">Thread 1<")
    assert ">Thread 24<" not in section


@pytest.mark.parametrize(
    "address",
    [
        "?page=3",  # past the last page: the last page is shown, under its own address only
        "?page=99",
        "?page=02",
        "?page=0",
        "?page=abc",
        "?sort=%3Cscript%3E",
        "?sort=",
        "?sort=newest&sort=oldest",
        "?sort=newest&page=2&page=2",
        "?utm_source=leaflet",
        "?page=2&utm_source=leaflet",
    ],
)
def test_addresses_the_page_does_not_name_are_drawn_each_time_and_never_kept(
    two_pages_of_threads, address
):
    from django.test import Client

    path = f"/debates/{two_pages_of_threads.slug}/"
    Client().get(path)
    kept = _kept_pages()
    for _visit in range(2):
        response = Client().get(path + address)
        assert_page(response, heading=two_pages_of_threads.question)
        assert response.context is not None  # drawn for the request
    assert _kept_pages() == kept
    if address == "?page=3":  # the page shown is the last, as before
        assert 'aria-current="page">2<' in response.content.decode()


def test_a_change_to_a_comment_shows_on_every_kept_page_and_order(two_pages_of_threads):
    from django.test import Client

    from civic.localcache import clear_all

    path = f"/debates/{two_pages_of_threads.slug}/"
    for address in ("?page=2", "?sort=oldest"):
        Client().get(path + address)
    Comment.objects.filter(text="Thread 0").update(text="Thread nought")
    clear_all()  # as once the second this process keeps what it read has passed
    for address in ("?page=2", "?sort=oldest"):
        assert ">Thread nought<" in Client().get(path + address).content.decode(), address


def test_a_named_page_of_threads_is_answered_before_the_middleware_once_served(
    two_pages_of_threads, monkeypatch
):
    from django.test import Client

    from civic import pagecache

    for memo in (pagecache._pages, pagecache._generation, pagecache._answers):
        monkeypatch.setattr(memo, "clock", lambda: 0.0)
    path = f"/debates/{two_pages_of_threads.slug}/"
    visitor = Client()
    for address in ("?page=2", "?page=3"):
        answers = [visitor.get(path + address) for _visit in range(3)]
        fast = getattr(answers[-1], "answered_before_middleware", False)
        assert fast == (address == "?page=2"), address
