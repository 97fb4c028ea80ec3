"""A resident reports a comment in headless Chromium at phone and desktop widths, with
JavaScript on and off: from the comment's "Report" link to the form, a reason left out and the
error shown, then the report sent and the debate's page again; once enough residents have
reported it, the comment keeps its place with the words of a hidden one. Each page is checked by
axe-core, the CSP refuses nothing, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from debates.models import Comment, Report, Review
from debates.moderation import report_add
from tests.browser import WIDTHS, assert_on_page, submit
from tests.debates.conftest import make_debate
from tests.debates.test_pages_browser import checked
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_reports_a_comment(signed_in_page, cast, settings, width, javascript):
    settings.CIVIC_DEBATE_REPORT_THRESHOLD = 2
    debate = make_debate(cast, question="Should the high street be closed to cars on Saturdays?")
    comment = Comment.objects.create(
        debate=debate, stance="against", text="Everyone on Mill Lane is a liar.",
        author=UserFactory(),
    )  # fmt: skip
    Comment.objects.filter(pk=comment.pk).update(thread=comment)
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)

    submit(page, page.locator(f"#comment-{comment.pk}").get_by_role("link", name="Report"))
    text = assert_on_page(page, heading="Report this comment")
    assert "Everyone on Mill Lane is a liar." in text
    checked(page)

    submit(page, page.get_by_role("button", name="Send my report"))
    text = assert_on_page(page, heading="Report this comment")
    assert "Choose why you are reporting it" in text
    assert Report.objects.count() == 0
    checked(page)

    page.get_by_label("It is abusive, threatening or hateful").check()
    page.get_by_label("Tell us more").fill("It calls a whole street liars.")
    submit(page, page.get_by_role("button", name="Send my report"))
    text = assert_on_page(page, heading=debate.question)
    assert "Thank you for your report. A moderator will look at it." in text
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.detail) == (
        cast.resident,
        Report.Reason.ABUSE,
        "It calls a whole street liars.",
    )
    assert report.review.status == Review.Status.REPORTED

    report_add(user=UserFactory(), comment=comment, reason=Report.Reason.ABUSE)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)
    place = page.locator(f"#comment-{comment.pk}").inner_text()
    assert "This comment is hidden while a moderator reviews it" in place
    assert "liar" not in place
    checked(page)
