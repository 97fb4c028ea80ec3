"""A finished import's page, as a facilitator sees it in Chromium with JavaScript and without:
the summary of what the import did, and nothing of the file deleted after importing (issue 14),
with axe finding nothing (in the run with JavaScript, which axe needs)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import ContactImport
from contacts.services import imports
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page
from tests.contacts.test_imports import MAPPING, MIXED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without"])
def test_a_finished_imports_page_shows_its_summary(cast, signed_in_page, javascript):
    contact_import = imports.contact_import_upload(
        actor=cast.facilitator,
        organisation=cast.council,
        uploaded_file=SimpleUploadedFile("contacts.csv", MIXED.encode()),
    )
    imports.contact_import_start(
        actor=cast.facilitator, contact_import=contact_import, mapping=MAPPING
    )
    imports.contact_import_run(contact_import_id=contact_import.pk)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.DONE
    page = signed_in_page(cast.facilitator, 1280, javascript_enabled=javascript)

    page.goto(f"/admin/contacts/contactimport/{contact_import.pk}/change/")

    text = assert_on_page(page, heading=f"Import contacts from file {contact_import.pk}")
    report = page.locator("#import-report").inner_text()
    assert "3 new contacts created" in report
    assert "4 rows skipped" in report
    assert "The file was deleted once imported" in text
    for leak in ("Errno", "contact-imports", "No such file", "Traceback"):
        assert leak not in page.content()
    if javascript:  # axe runs in the page
        assert_accessible(page)
    assert_no_csp_errors(page)
