"""An officer reads the results, codes a written answer and exports, in Chromium at phone and
desktop widths, with axe finding nothing and the site's CSP refusing nothing."""

from __future__ import annotations

import pytest

from consultations.models import Answer, Theme
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, submit
from tests.consultations.test_results import make_responses, results_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def responses(council, survey):
    return make_responses(council, survey)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_results_page_is_accessible_and_filters_without_javascript_help(
    council, survey, responses, signed_in_page, width
):
    page = signed_in_page(council.officer, width)

    page.goto(results_url(survey.consultation))

    chart = page.locator(f"#question-{survey.questions['cycles'].pk} svg[role=img]")
    title = " ".join(chart.locator("title").text_content().split())
    assert title == "Bar chart of the answers to question 1; the table gives the figures."
    assert page.locator("#results-count").inner_text().startswith("4 submitted responses")
    assert_accessible(page)
    assert_no_csp_errors(page)

    page.get_by_label("Area").select_option(label="Ancoats")
    submit(page, page.get_by_role("button", name="Apply the filters"))

    assert "2 submitted responses" in page.locator("#results-count").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_codes_a_written_answer_and_sees_the_theme_counted(
    council, survey, responses, signed_in_page, width
):
    page = signed_in_page(council.officer, width)
    page.goto(results_url(survey.consultation))

    page.get_by_role("link", name="Read, search and code the written answers to question 3").click()
    page.get_by_label("Name of the new theme").fill("Lighting")
    submit(page, page.get_by_role("button", name="Create the theme"))
    page.get_by_label("Search the answers").fill("lighting")
    submit(page, page.get_by_role("button", name="Search"))
    answer = Answer.objects.get(response=responses["ann"], question=survey.questions["helps"])
    item = page.locator(f"#answer-{answer.pk}")
    item.get_by_label("Add a theme").select_option(label="Lighting")
    submit(page, item.get_by_role("button", name="Add the theme to this answer"))

    assert_accessible(page)
    assert_no_csp_errors(page)
    assert list(answer.themes.values_list("name", flat=True)) == ["Lighting"]
    assert Theme.objects.count() == 1
    page.goto(results_url(survey.consultation))
    themes = page.locator("#results-themes table")
    assert themes.locator("tbody tr").first.inner_text().split() == ["Lighting", "1"]


def test_an_officer_downloads_the_csv_export(council, survey, responses, signed_in_page):
    page = signed_in_page(council.officer, 1280)
    page.goto(results_url(survey.consultation))

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value

    assert download.suggested_filename == "riverside-cycle-lanes-responses.csv"
    content = download.path().read_text(encoding="utf-8-sig")
    assert "'=1+1" in content
    assert responses["ann"].reference in content


@pytest.mark.parametrize("width", WIDTHS)
def test_the_publish_page_is_accessible(council, survey, responses, signed_in_page, width):
    page = signed_in_page(council.officer, width)

    page.goto(results_url(survey.consultation, "publish"))
    page.get_by_label(f"Choose response {responses['ann'].reference}").check()
    submit(page, page.get_by_role("button", name="Publish the chosen responses"))

    assert_accessible(page)
    assert_no_csp_errors(page)
    assert page.locator("#publish-responses tbody tr").count() == 2
