"""The check every page the tests get passes (tests.pages.check_error_title, run by an autouse
fixture on Django's test client): a page with an error summary says "Error:" first in its title,
once, and a page without one does not."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from tests.pages import check_error_title

SUMMARY = (
    '<div class="govuk-error-summary" data-module="govuk-error-summary">There is a problem</div>'
)
ADMIN_SUMMARY = '<div class="errornote" role="alert" aria-labelledby="error-summary-title"></div>'


def page(title: str, body: str = "") -> HttpResponse:
    return HttpResponse(f"<html><head><title>{title}</title></head><body>{body}</body></html>")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Error: Add a point - civic", SUMMARY),
        ("Add a point - civic", ""),
    ],
)
def test_a_title_that_matches_its_page_passes(title, body):
    check_error_title(page(title, body))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Add a point - civic", SUMMARY),  # a screen reader hears no error
        ("Error: Error: Follow this debate - civic", SUMMARY),
        ("Error: Your booking - civic", ""),  # says error, shows none
    ],
)
def test_a_title_that_does_not_match_its_page_fails(title, body):
    with pytest.raises(AssertionError):
        check_error_title(page(title, body))


def test_staff_pages_are_left_out_for_now():
    check_error_title(page("Import contacts | civic admin", ADMIN_SUMMARY))


def test_files_and_json_are_not_pages():
    check_error_title(HttpResponse(SUMMARY, content_type="application/json"))
