"""Which page a test is looking at, checked before it says what the page does not show.

"The name is not on the page" passes just as well on a 403, a 404, a 500 or a login page as on
the right page. So every absence check first asserts the status and the heading:

    html = assert_page(client.get(url), heading="Plant more trees on Oxford Road")
    assert "ann@example.org" not in html

`assert_on_page(page, heading=...)` (tests/browser.py) does the same for a Playwright page.
tests/civic/test_absence_checks.py reads every test and fails on an absence check that no page
check comes before.
"""

from __future__ import annotations

import html as html_module
import re

# For a walk over many pages, where the test knows the status but not each heading.
ANY_HEADING = "any heading"

_HEADING = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def heading_of(html: str) -> str | None:
    """The text of the page's first <h1>, its white space collapsed; None without one."""
    found = _HEADING.search(html)
    if found is None:
        return None
    return " ".join(html_module.unescape(_TAG.sub(" ", found.group(1))).split())


def assert_page(response, *, heading: str | None, status: int = 200) -> str:
    """Assert the response's status and its page's first <h1>, and give back its text.

    `heading=None` says the page has no <h1> (a fragment, a file, a frame's document);
    `heading=ANY_HEADING` accepts any <h1>, for a test that walks over many pages."""
    text = response.content.decode()
    found = heading_of(text)
    if heading == ANY_HEADING and found is not None:
        heading = found
    assert (response.status_code, found) == (status, heading), (
        f"expected the page {heading!r} ({status}), got {found!r} ({response.status_code})"
    )
    return text


_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(html: str) -> str | None:
    """The CSRF token a page's form carries; None on a page without one."""
    found = _FORM_TOKEN.search(html)
    return found.group(1) if found else None


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL | re.IGNORECASE)
# GOV.UK's error summary on residents' pages; on staff pages, ours (admin/civic/_error_summary.html
# and the like, headed "There is a problem") or the Django admin's note above a form in error.
# (The admin's red `errornote` also carries warnings that are not errors: those do not count.)
_ERROR_SUMMARY = re.compile(
    r'class="govuk-error-summary[" ]|aria-labelledby="error-summary-title"'
    r'|<p class="errornote">\s*Please correct'
)
ERROR_PREFIX = "Error:"
# Residents' pages only, for now: the admin's pages also use the red note for warnings and for a
# publish check's problems, and have not been through this check yet.
STAFF_TITLE = "| civic admin"


def title_of(html: str) -> str | None:
    found = _TITLE.search(html)
    if found is None:
        return None
    return " ".join(html_module.unescape(found.group(1)).split())


def check_error_title(response) -> None:
    """A page that shows an error summary starts its title with "Error:", once (GOV.UK's
    pattern: a screen reader's user hears it first); a page without one does not. Run on every
    page the tests' client gets (tests/conftest.py), so no page anywhere can miss it."""
    if getattr(response, "streaming", False):
        return
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    html = response.content.decode(errors="replace")
    title = title_of(html)
    if title is None or title.endswith(STAFF_TITLE):
        return
    shows_errors = bool(_ERROR_SUMMARY.search(html))
    says_error = title.startswith(ERROR_PREFIX)
    assert title.count(ERROR_PREFIX) <= 1 and shows_errors == says_error, (
        f"the page titled {title!r} "
        + ("shows an error summary" if shows_errors else "shows no error summary")
        + f" ({response.status_code})"
    )
