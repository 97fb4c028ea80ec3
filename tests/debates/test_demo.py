"""seed_demo gives Northbridge an open debate linked to a consultation, with endorsed points for
and against and a few hundred threaded comments with votes, and a closed one, and runs twice
the same."""

import pytest
from django.core.management import call_command

from debates.models import Comment, CommentVote, Debate, Endorsement, Point


@pytest.mark.django_db
def test_seed_demo_has_an_open_and_a_closed_debate_and_runs_twice_the_same():
    call_command("seed_demo")
    before = list(Debate.objects.order_by("slug").values_list("slug", "opens_at", "closes_at"))
    counts = (Point.objects.count(), Endorsement.objects.count())
    call_command("seed_demo")
    assert (Point.objects.count(), Endorsement.objects.count()) == counts == (4, 12)

    assert list(Debate.objects.order_by("slug").values_list("slug", "opens_at", "closes_at")) == (
        before
    )
    stages = {debate.slug: debate.stage for debate in Debate.objects.all()}
    assert stages == {
        "car-free-saturdays": "open",
        "twenty-mph-limit": "closed",
        # Residents' proposals in the demo's space: one published, one waiting.
        "bus-shelters-with-seats": "open",
        "late-night-buses": "draft",
    }
    linked = Debate.objects.get(slug="car-free-saturdays").consultation
    assert linked is not None and linked.slug == "riverside-cycle-lanes"


def _comments() -> list:
    return [
        list(
            Comment.objects.order_by("pk").values_list(
                "debate__slug", "parent_id", "thread_id", "depth", "stance", "text",
                "author__email", "created_at", "edited_at", "deleted_at",
            )
        ),
        list(CommentVote.objects.order_by("pk").values_list("comment_id", "user__email", "value")),
    ]  # fmt: skip


@pytest.mark.django_db
def test_seed_demo_gives_the_open_debate_a_few_hundred_threaded_comments_the_same_each_run():
    call_command("seed_demo")
    first = _comments()
    call_command("seed_demo")
    assert _comments() == first

    comments = Comment.objects.filter(debate__slug="car-free-saturdays")
    assert 250 <= comments.count() <= 500
    assert not Comment.objects.exclude(debate__slug="car-free-saturdays").exists()
    assert set(comments.values_list("stance", flat=True)) == {"for", "against", "neutral"}
    assert set(comments.values_list("depth", flat=True)) == {1, 2, 3}
    assert comments.filter(depth=1).count() == 120
    # Every reply is in its parent's thread, one level below it, and written after it.
    for reply in comments.filter(depth__gt=1).select_related("parent"):
        assert (reply.thread_id, reply.depth) == (reply.parent.thread_id, reply.parent.depth + 1)
        assert reply.created_at > reply.parent.created_at
    assert comments.filter(deleted_at__isnull=False, text="").exists()
    assert not comments.filter(deleted_at__isnull=True, text="").exists()
    assert CommentVote.objects.count() > comments.count()
