"""Browser tests: headless Chromium driven by Playwright, and axe-core for WCAG 2.2 A and AA.

`page_at(width)` gives a fresh page of that width (390 px phone, 1280 px desktop);
`assert_accessible` runs axe on the page and fails with every violation listed.
`javascript_enabled=False` gives a page with scripts off, to show a flow works without them.
`signed_in_page(user, width)` gives a fresh page already signed in as that user, and
`sign_in(page, user)` signs an open page's browser in (both with a session made by Django's test
client, so no test types a password it is not testing).
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# Structure rules axe files under best practice, which the house holds to as well.
STRUCTURE_RULES = [
    "heading-order",
    "page-has-heading-one",
    "landmark-one-main",
    "region",
    "skip-link",
]
WIDTHS = [390, 1280]


@pytest.fixture(scope="session")
def _playwright():
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs Playwright for Python (pip install -e .[test])")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # itself are still synchronous, so allow them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page_at(chromium, live_server):
    contexts = []

    def make(width: int = 1280, *, javascript_enabled: bool = True):
        context = chromium.new_context(
            viewport={"width": width, "height": 900},
            java_script_enabled=javascript_enabled,
            base_url=live_server.url,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.console_errors = errors
        page.javascript_enabled = javascript_enabled
        page.context_base_url = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, user) -> None:
    """Give the page's browser a session signed in as `user`, as a sign-in would."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": page.context_base_url}]
    )


@pytest.fixture
def signed_in_page(page_at):
    """A fresh page signed in as the given user: `signed_in_page(council.officer, 390)`."""

    def make(user, width: int = 1280, *, javascript_enabled: bool = True):
        page = page_at(width, javascript_enabled=javascript_enabled)
        sign_in(page, user)
        return page

    return make


def assert_on_page(page, *, heading: str) -> str:
    """Assert the page's first <h1> (see tests/pages.py) and give back the text of its main."""
    found = " ".join(page.locator("h1").first.inner_text().split())
    assert found == heading, f"expected the page {heading!r} at {page.url}, got {found!r}"
    return page.locator("main").inner_text()


def open_filters(page) -> None:
    """A list page's filters (templates/listing.html) are folded behind "Filter" on a phone;
    from tablet width up (with JavaScript) they stand open."""
    if not page.get_by_label("Search").is_visible():
        page.locator("#filters summary").click()
    assert page.get_by_label("Search").is_visible()


def assert_accessible(page) -> None:
    """Fail with every WCAG 2.2 A/AA violation axe-core finds on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    # axe runs inside the page; in a context with JavaScript off it would wait for ever.
    assert page.javascript_enabled, "check accessibility on a page with JavaScript on"
    axe = Axe()
    violations = [
        *axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}}).response[
            "violations"
        ],
        *axe.run(page, options={"runOnly": {"type": "rule", "values": STRUCTURE_RULES}}).response[
            "violations"
        ],
    ]
    details = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in violations
    ]
    assert not violations, f"axe found violations on {page.url}:\n" + "\n".join(details)


def assert_no_csp_errors(page) -> None:
    refused = [text for text in page.console_errors if "Content Security Policy" in text]
    assert not refused, "the page broke its Content-Security-Policy:\n" + "\n".join(refused)


def submit(page, button) -> None:
    """Click a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click(no_wait_after=True)
    page.wait_for_load_state("load")
