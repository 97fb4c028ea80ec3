"""The opinion groups for everyone: the results page in words and tables, and the groups in the
conversation's JSON and in the API, never who voted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates.conversation_results import conversation_results_recompute
from debates.models import Conversation, Participant
from tests.debates.conftest import make_conversation
from tests.debates.conversations_planted import votes_load
from tests.debates.planted import planted
from tests.pages import assert_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(cast):
    """A conversation with three planted groups, two consensus statements, a few who voted too
    little, and its groups worked out."""
    conversation = make_conversation(cast, seeds=0, title="The new town square")
    data = planted(
        participants=240,
        statements=16,
        consensus_agree=1,
        consensus_disagree=1,
        sparse_share=0.05,
        votes_each=(10, 16),
        seed=31,
    )
    statements = votes_load(conversation, data)
    conversation_results_recompute(conversation_id=conversation.pk)
    return conversation, data, statements


def test_the_results_page_tells_each_group_and_what_every_group_agrees_on(counted, client):
    conversation, data, statements = counted
    result = conversation.result
    figures = result.figures

    html = assert_page(
        client.get(reverse("debates:conversation_results", args=[conversation.slug])),
        heading="Opinion groups",
    )

    assert f"by {figures['participants']} people" in html
    assert (
        f"{len(data.sparse)} people voted on fewer than 7 statements, too few to place in a group"
        in html
    )
    assert "People who voted alike form 3 groups." in html
    for group in figures["groups"]:
        share = round(group["size"] * 100 / figures["grouped"])
        assert f"Group {group['name']}: {group['size']} people ({share}%)" in html
    texts = {statement.pk: statement.text for statement in statements}
    for column, direction in data.consensus.items():
        verb = "agrees" if direction == "agree" else "disagrees"
        assert f"Every group {verb} that “{texts[statements[column].pk]}”" in html
    top = figures["groups"][0]["representative"][0]
    assert (
        f"that “{texts[top['statement']]}”: {round(top['group_share'] * 100)}% of group A" in html
    )
    assert html.count('role="region"') == 1
    assert '<svg class="opinion-map"' in html
    assert "Group A, " in html  # the map's text alternative


def test_before_any_vote_the_page_says_the_groups_come_later(cast, client):
    conversation = make_conversation(cast)

    html = assert_page(
        client.get(reverse("debates:conversation_results", args=[conversation.slug])),
        heading="Opinion groups",
    )

    assert "Nobody has voted yet" in html
    assert "<svg" not in html


def test_with_too_few_voters_the_page_says_no_groups_yet(cast, client):
    conversation = make_conversation(cast, seeds=0)
    votes_load(conversation, planted(participants=6, statements=8, seed=2))
    conversation_results_recompute(conversation_id=conversation.pk)

    html = assert_page(
        client.get(reverse("debates:conversation_results", args=[conversation.slug])),
        heading="Opinion groups",
    )

    assert "There are not enough votes yet to tell groups apart." in html
    assert "Votes on each statement" in html


def test_a_drafts_results_are_not_shown_to_the_public(cast, client):
    conversation = make_conversation(cast, Conversation.Stage.DRAFT)

    response = client.get(reverse("debates:conversation_results", args=[conversation.slug]))

    assert response.status_code == 404


def _no_one_named(text: str) -> None:
    for key in Participant.objects.values_list("anonymous_key", flat=True):
        assert key not in text
    assert "anonymous_key" not in text
    assert '"user"' not in text


def test_the_conversations_json_has_its_groups_and_never_who_voted(counted, client):
    conversation, data, statements = counted
    figures = conversation.result.figures

    response = client.get(reverse("debates:conversation_json", args=[conversation.pk]))

    assert response.status_code == 200
    groups = response.json()["groups"]
    assert [group["size"] for group in groups["groups"]] == [
        group["size"] for group in figures["groups"]
    ]
    assert groups["left_out"] == len(data.sparse)
    assert {(item["statement"], item["direction"]) for item in groups["consensus"]} == {
        (statements[column].pk, direction) for column, direction in data.consensus.items()
    }
    first = groups["groups"][0]["statements"][0]
    assert set(first) == {
        "statement", "agree", "disagree", "pass", "agree_share", "disagree_share", "pass_share"
    }  # fmt: skip
    _no_one_named(response.content.decode())


def test_the_api_serves_the_same_groups(counted, client):
    conversation, _data, _statements = counted

    response = client.get(f"/api/v1/conversations/{conversation.slug}/")
    json_view = client.get(reverse("debates:conversation_json", args=[conversation.pk]))

    assert response.status_code == 200
    groups = response.json()["groups"]
    assert groups["grouped"] == conversation.result.figures["grouped"]
    assert len(groups["groups"]) == 3
    served = json_view.json()["groups"]
    # The same figures; the two encoders write the time each in their own way.
    assert {**served, "computed_at": None} == {**groups, "computed_at": None}
    _no_one_named(response.content.decode())


def test_before_the_groups_are_worked_out_the_json_says_null(cast, client):
    conversation = make_conversation(cast)

    response = client.get(reverse("debates:conversation_json", args=[conversation.pk]))

    assert response.json()["groups"] is None
