"""An officer imports a Pabulib file into a draft process's budget in Chromium, at 390 and 1280
px: the page with its list of budgets and its file field, a file with a mistake drawn again with
the line next to the field, then the import, with axe finding nothing and the CSP refusing
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from budgets.models import Ballot, Process
from tests.browser import assert_accessible, assert_no_csp_errors, submit
from tests.budgets.conftest import budget_of, make_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WARSAW = Path(__file__).parent / "data" / "poland_warszawa_2017_wesola-plac-wojska-polskiego.pb"


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)


@pytest.mark.parametrize("width", [390, 1280])
def test_an_officer_imports_a_pabulib_file_through_an_accessible_page(
    council, signed_in_page, tmp_path, width
):
    process = make_process(council, status=Process.Status.DRAFT, title="Replay Warsaw")
    broken = tmp_path / "broken.pb"
    broken.write_text(WARSAW.read_text(encoding="utf-8").replace("7230;65;F;internet;2567",
                      "7230;65;F;internet;4242"), encoding="utf-8")  # fmt: skip
    page = signed_in_page(council.officer, width)

    page.goto(reverse("admin:budgets_process_change", args=[process.pk]))
    submit(page, page.get_by_role("link", name="Import a Pabulib file"))
    checked(page)
    page.get_by_label("Budget").select_option(label="Hulme")
    page.get_by_label("Pabulib file").set_input_files(str(broken))
    submit(page, page.get_by_role("button", name="Import the file"))
    assert page.locator(".errornote").inner_text().startswith("There is a problem")
    assert "the vote names project 4242" in page.locator(".field-file").inner_text()
    checked(page)
    assert not Ballot.objects.exists()

    page.get_by_label("Budget").select_option(label="Hulme")
    page.get_by_label("Pabulib file").set_input_files(str(WARSAW))
    submit(page, page.get_by_role("button", name="Import the file"))
    assert "The file is imported into the Hulme budget" in page.locator(".messagelist").inner_text()
    checked(page)
    assert Ballot.objects.filter(budget=budget_of(process, council.hulme)).count() == 27
