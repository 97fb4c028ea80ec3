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
