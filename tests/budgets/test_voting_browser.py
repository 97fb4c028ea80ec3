"""Residents vote in headless Chromium at phone and desktop widths, with JavaScript on and off:
a knapsack budget and an approval one (the rules' error summary, then a ballot that counts),
and by code without an account. With JavaScript the basket's totals change in place without a
page load; without it each Add or Remove is a form post. Every page is checked by axe with
JavaScript on, and nothing scrolls sideways at 320 px."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from budgets.codes import SCRYPT_N
from budgets.models import Ballot, Budget, CodeBatch, Idea, Process, VotingCode
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.budgets.conftest import budget_of, make_idea, make_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ON = Idea.Status.ON_BALLOT


def checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


def picture(width: int = 900, height: int = 400) -> ContentFile:
    """A real PNG, green all over, wider than a phone: the page must scale it down."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x28\x78\x3c" * width for _row in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return ContentFile(png, name="park.png")


@pytest.fixture
def voting(council, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CIVIC_BUDGET_CODE_MIN_SECONDS = 0
    process = make_process(council, Process.Stage.VOTING, title="Northbridge decides 2027")
    parks = process.categories.get(name="Parks")
    for title, cost, area in (
        ("Swings in Ancoats Park", 40_000, council.ancoats),
        ("A bench by the canal", 15_000, council.ancoats),
        ("Trees on Great Ancoats Street", 8_000, council.ancoats),
        ("A citywide cycle lane", 90_000, None),
        ("Free swimming lessons", 30_000, None),
        ("A mural in the library", 5_000, None),
    ):
        idea = make_idea(process, proposer=council.supporter, area=area, status=ON,
                         final_cost=cost, title=title, category=parks)  # fmt: skip
    idea = Idea.objects.get(title="Swings in Ancoats Park")
    idea.image = picture()
    idea.image_alt = "A grassy corner of Ancoats Park"
    idea.save()
    return process


def press(page, name: str) -> None:
    """A button that posts the form without JavaScript, and changes the page in place with it."""
    button = page.get_by_role("button", name=name, exact=True)
    if page.javascript_enabled:
        button.click()
    else:
        submit(page, button)


def first_step(page, process) -> None:
    page.goto(f"/budgets/{process.slug}/")
    submit(page, page.get_by_role("link", name="Vote", exact=True))
    assert_on_page(page, heading="Vote")
    checked(page)
    page.get_by_label("Your postcode").fill("M4 6AA")
    submit(page, page.get_by_role("button", name="Continue"))
    text = assert_on_page(page, heading="Vote")
    assert "You vote as a resident of Ancoats" in text
    checked(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_votes_in_a_knapsack_budget(signed_in_page, council, voting, width, javascript):
    page = signed_in_page(council.resident, width, javascript_enabled=javascript)
    first_step(page, voting)
    submit(page, page.get_by_role("link", name="Vote in Ancoats"))
    text = assert_on_page(page, heading="Vote in Ancoats")
    assert "Method of Equal Shares" in text
    image = page.get_by_alt_text("A grassy corner of Ancoats Park")
    image.scroll_into_view_if_needed()  # drawn lazily, when it comes into view
    expect(image).to_be_visible()
    if javascript:
        page.wait_for_function("(image) => image.complete", arg=image.element_handle())
        assert image.evaluate("(image) => image.naturalWidth") == 900
    checked(page)

    press(page, "Add Swings in Ancoats Park")
    press(page, "Add A bench by the canal")
    total = page.locator("#ballot-total")
    assert " ".join(total.inner_text().split()) == "£55,000 of £50,000"
    assert "£5,000 over the budget" in page.locator("#ballot-left").inner_text()
    checked(page)

    submit(page, page.get_by_role("button", name="Submit my vote"))
    assert_on_page(page, heading="Vote in Ancoats")
    summary = page.locator(".govuk-error-summary")
    assert "which is £5,000 more than its £50,000" in summary.inner_text()
    assert not Ballot.objects.exists()
    checked(page)

    press(page, "Remove A bench by the canal")
    press(page, "Add Trees on Great Ancoats Street")
    assert " ".join(total.inner_text().split()) == "£48,000 of £50,000"
    submit(page, page.get_by_role("button", name="Submit my vote"))
    text = assert_on_page(page, heading="Vote")
    assert "Your vote in Ancoats is counted" in text
    checked(page)
    ballot = Ballot.objects.get()
    assert sorted(ballot.projects.values_list("title", flat=True)) == [
        "Swings in Ancoats Park",
        "Trees on Great Ancoats Street",
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_votes_in_an_approval_budget_and_changes_it(
    signed_in_page, council, voting, width, javascript
):
    Budget.objects.filter(pk=budget_of(voting).pk).update(
        style=Budget.Style.APPROVAL, min_projects=2, max_projects=2
    )
    page = signed_in_page(council.resident, width, javascript_enabled=javascript)
    first_step(page, voting)
    submit(page, page.get_by_role("link", name="Vote in Citywide"))
    assert_on_page(page, heading="Vote in Citywide")
    press(page, "Add A citywide cycle lane")
    assert page.locator("#ballot-total").inner_text().strip() == "1 project chosen"
    submit(page, page.get_by_role("button", name="Submit my vote"))
    assert "Choose at least 2 projects" in page.locator(".govuk-error-summary").inner_text()
    assert not Ballot.objects.exists()
    checked(page)

    press(page, "Add Free swimming lessons")
    assert page.locator("#ballot-total").inner_text().strip() == "2 projects chosen"
    page.get_by_label("Tell me which projects win and how they are built").check()
    submit(page, page.get_by_role("button", name="Submit my vote"))
    assert "Your vote in Citywide is counted" in assert_on_page(page, heading="Vote")

    submit(page, page.get_by_role("link", name="Change your vote in Citywide"))
    text = assert_on_page(page, heading="Vote in Citywide")
    assert "You can change your vote until" in text
    checked(page)
    press(page, "Remove A citywide cycle lane")
    press(page, "Add A mural in the library")
    submit(page, page.get_by_role("button", name="Submit my vote"))
    assert_on_page(page, heading="Vote")
    ballot = Ballot.objects.get()
    assert sorted(ballot.projects.values_list("title", flat=True)) == [
        "A mural in the library",
        "Free swimming lessons",
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_votes_with_a_code(page_at, council, voting, width, javascript):
    batch = CodeBatch.objects.create(process=voting, name="Library", area=council.ancoats,
                                     salt=os.urandom(16))  # fmt: skip
    digest = hashlib.scrypt(b"ABCDEFGHJKLM", salt=batch.salt, n=SCRYPT_N, r=8, p=1, dklen=32)
    VotingCode.objects.create(batch=batch, digest=digest)
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/budgets/{voting.slug}/vote/")
    submit(page, page.get_by_role("link", name="vote with your code"))
    assert_on_page(page, heading="Vote with a code")
    checked(page)

    page.get_by_label("Your voting code").fill("ABCD-EFGH-JKLN")
    submit(page, page.get_by_role("button", name="Continue"))
    assert (
        "This code is not valid or has been used"
        in page.locator(".govuk-error-summary").inner_text()
    )
    checked(page)
    page.get_by_label("Your voting code").fill("abcd efgh jklm")
    submit(page, page.get_by_role("button", name="Continue"))
    text = assert_on_page(page, heading="Vote")
    assert "You are voting with a voting code" in text
    checked(page)

    submit(page, page.get_by_role("link", name="Vote in Ancoats"))
    press(page, "Add A bench by the canal")
    submit(page, page.get_by_role("button", name="Submit my vote"))
    assert "Your vote in Ancoats is counted" in assert_on_page(page, heading="Vote")
    assert Ballot.objects.get().channel == Ballot.Channel.CODE
    page.goto(f"/budgets/{voting.slug}/vote/{budget_of(voting, council.ancoats).pk}/")
    assert "This code has been used to vote in Ancoats" in page.locator("main").inner_text()
    checked(page)


def test_the_voting_pages_do_not_scroll_sideways_at_320_pixels(signed_in_page, council, voting):
    page = signed_in_page(council.resident, 320)
    first_step(page, voting)
    for budget in (budget_of(voting, council.ancoats), budget_of(voting)):
        page.goto(f"/budgets/{voting.slug}/vote/{budget.pk}/")
        press(page, "Add " + budget.ideas.order_by("title").first().title)
        submit(page, page.get_by_role("button", name="Submit my vote"))
        page.goto(f"/budgets/{voting.slug}/vote/{budget.pk}/")
        checked(page)
    page.goto(f"/budgets/{voting.slug}/code/")
    checked(page)
