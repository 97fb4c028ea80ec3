"""Residents read debates and take part in headless Chromium at phone and desktop widths, with
JavaScript on and off: the list, filtering it by stage, a debate's page, adding a point and
endorsing another's, each page checked by axe-core, the CSP refusing nothing, and nothing
scrolling sideways (at 320 px too)."""

from __future__ import annotations

import re

import pytest

from debates.models import Comment, CommentVote, Debate, Endorsement, Point
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    submit,
)
from tests.consultations.factories import ConsultationFactory
from tests.debates.conftest import make_debate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Stage = Debate.Stage


def checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_finds_a_debate_and_reads_it(page_at, cast, width, javascript):
    consultation = ConsultationFactory(department=cast.department, title="Riverside cycle lanes")
    make_debate(cast, Stage.CLOSED, question="Should every street be 20mph?")
    debate = make_debate(
        cast,
        question="Should the high street be closed to cars on Saturdays?",
        background="Buses **would** move.\n\n- Blue badge parking moves\n- Deliveries before 10am",
        consultation=consultation,
    )
    top = Comment.objects.create(debate=debate, stance="for", text="Buses would be *faster*.")
    reply = Comment.objects.create(
        debate=debate, parent=top, thread=top, depth=2, stance="against", text="Not for me."
    )
    Comment.objects.create(
        debate=debate, parent=reply, thread=top, depth=3, stance="neutral", text="",
        deleted_at=top.created_at,
    )  # fmt: skip
    Comment.objects.filter(pk=top.pk).update(thread=top)
    page = page_at(width, javascript_enabled=javascript)
    page.goto("/debates/")
    assert_on_page(page, heading="Debates")
    checked(page)

    if not page.get_by_label("Stage").is_visible():
        page.locator("#filters summary").click()
    page.get_by_label("Stage").select_option(label="Open")
    submit(page, page.get_by_role("button", name="Show debates"))
    text = assert_on_page(page, heading="Debates")
    assert "Should every street be 20mph?" not in text
    checked(page)

    submit(page, page.get_by_role("link", name=debate.question))
    text = assert_on_page(page, heading=debate.question)
    assert "This debate is open until" in text
    assert "Blue badge parking moves" in text
    assert page.get_by_role("link", name="Riverside cycle lanes").is_visible()
    assert "Comment deleted" in page.locator("#debate-comments").inner_text()
    checked(page)

    page.get_by_label("Sort comments by").select_option(label="Newest")
    submit(page, page.get_by_role("button", name="Sort comments"))
    assert_on_page(page, heading=debate.question)
    assert "Not for me." in page.locator("#debate-comments").inner_text()
    checked(page)


def test_a_debate_page_reflows_at_320_pixels(page_at, cast):
    debate = make_debate(
        cast,
        question="Should the high street be closed to cars on Saturdays between ten and six?",
    )
    page = page_at(320)
    for path in ("/debates/", f"/debates/{debate.slug}/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_adds_a_point_and_another_endorses_it(
    signed_in_page, cast, settings, width, javascript
):
    settings.CIVIC_DEBATE_POINT_MIN_SECONDS = 0
    debate = make_debate(cast, question="Should the high street be closed to cars on Saturdays?")
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto(f"/debates/{debate.slug}/")
    submit(page, page.get_by_role("link", name="Add a point against"))
    assert_on_page(page, heading="Add a point")
    assert page.get_by_label("Against").is_checked()
    checked(page)

    page.get_by_label("Your point").fill("")
    submit(page, page.get_by_role("button", name="Publish my point"))
    assert_on_page(page, heading="Add a point")
    assert page.locator(".govuk-error-summary").is_visible()
    checked(page)
    assert not Point.objects.exists()

    page.get_by_label("Your point").fill("Shops would lose Saturday trade.")
    page.get_by_label("Tell me how this debate goes").check()
    submit(page, page.get_by_role("button", name="Publish my point"))
    text = assert_on_page(page, heading=debate.question)
    assert "Shops would lose Saturday trade." in page.locator("#points-against").inner_text()
    assert "Shops would lose Saturday trade." not in page.locator("#points-for").inner_text()
    assert "0 endorsements" in text
    checked(page)

    other = signed_in_page(cast.officer, width, javascript_enabled=javascript)
    other.goto(f"/debates/{debate.slug}/")
    submit(other, other.get_by_role("link", name=re.compile(r"^Endorse\W+Shops would lose")))
    assert_on_page(other, heading="Endorse this point")
    checked(other)
    submit(other, other.get_by_role("button", name="Endorse this point"))
    assert_on_page(other, heading=debate.question)
    assert "1 endorsement" in other.locator("#points-against").inner_text()
    checked(other)
    assert Endorsement.objects.filter(point__debate=debate).count() == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_comments_replies_votes_edits_and_deletes(
    signed_in_page, cast, settings, width, javascript
):
    settings.CIVIC_DEBATE_COMMENT_MIN_SECONDS = 0
    debate = make_debate(cast, question="Should the high street be closed to cars on Saturdays?")
    theirs = Comment.objects.create(
        debate=debate, stance="for", text="Buses would be *faster*.", author=cast.officer
    )
    Comment.objects.filter(pk=theirs.pk).update(thread=theirs)
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)
    checked(page)

    # Nothing typed: the comment's own page names both fields, and nothing is kept.
    submit(page, page.get_by_role("button", name="Publish my comment"))
    assert_on_page(page, heading="Add a comment")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter your comment" in summary and "for, against or neutral" in summary
    checked(page)
    assert not Comment.objects.filter(author=cast.resident).exists()

    page.get_by_label("Against").check()
    page.get_by_label("Your comment").fill("Shops would **lose** Saturday trade.")
    submit(page, page.get_by_role("button", name="Publish my comment"))
    text = assert_on_page(page, heading=debate.question)
    assert "Your comment is published. Thank you." in text
    mine = Comment.objects.get(author=cast.resident)
    assert page.locator(f"#comment-{mine.pk} strong", has_text="lose").is_visible()
    checked(page)

    # A reply to the officer's comment, on a page of its own.
    submit(page, page.get_by_role("link", name=re.compile(r"^Reply\W+Buses would be")))
    assert_on_page(page, heading="Reply to a comment")
    checked(page)
    page.get_by_label("Neutral").check()
    page.get_by_label("Your reply").fill("Only if the 42 keeps its stop.")
    submit(page, page.get_by_role("button", name="Publish my reply"))
    assert_on_page(page, heading=debate.question)
    assert "Only if the 42 keeps its stop." in page.locator(f"#comment-{theirs.pk}").inner_text()
    checked(page)

    # A vote up, then down instead: in place with JavaScript, by a page load without.
    score = page.locator(f"#comment-{theirs.pk} > .civic-comment__votes .civic-comment__score")
    for button, words in (("Vote up", "Score: 1 (you voted up)"),
                          ("Vote down", "Score: -1 (you voted down)")):  # fmt: skip
        pressed = page.get_by_role("button", name=re.compile(rf"^{button}\W+Buses would be"))
        if javascript:
            address = page.url
            pressed.click()
            score.filter(has_text=words).wait_for()
            assert page.url == address
            assert page.locator("#comment-vote-status").inner_text() == words
        else:
            submit(page, pressed)
            assert "Your vote is counted." in assert_on_page(page, heading=debate.question)
        assert " ".join(score.inner_text().split()) == words
    checked(page)
    assert list(CommentVote.objects.values_list("user", "value")) == [(cast.resident.pk, -1)]

    # Editing their own comment, within the window.
    submit(page, page.get_by_role("link", name=re.compile(r"^Edit\W+Shops would")))
    assert_on_page(page, heading="Edit your comment")
    checked(page)
    page.get_by_label("Your comment").fill("Shops might lose some Saturday trade.")
    submit(page, page.get_by_role("button", name="Save my changes"))
    text = assert_on_page(page, heading=debate.question)
    assert "Your comment is changed." in text
    assert "(edited)" in page.locator(f"#comment-{mine.pk}").inner_text()
    checked(page)

    # Deleting it, after the page that asks.
    submit(page, page.get_by_role("link", name=re.compile(r"^Delete\W+Shops might")))
    assert_on_page(page, heading="Delete your comment")
    checked(page)
    submit(page, page.get_by_role("button", name="Delete my comment"))
    assert_on_page(page, heading=debate.question)
    assert page.locator(f"#comment-{mine.pk}").inner_text().strip().endswith("Comment deleted")
    checked(page)
    mine.refresh_from_db()
    assert (mine.text, mine.deleted_at is not None) == ("", True)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_visitor_not_signed_in_is_asked_to_sign_in_to_comment(page_at, cast, width):
    debate = make_debate(cast)
    page = page_at(width)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)
    checked(page)
    submit(page, page.get_by_role("link", name="Sign in to comment"))
    assert "/accounts/login/" in page.url
