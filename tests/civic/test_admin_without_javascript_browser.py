"""The admin's markup passes axe as the server sends it, before any script runs: the pages that
hold tables of fields (tabular inlines, an editable list) and the pages of our own, loaded with
every script refused, then checked with axe (which Playwright puts in the page itself).

Until now static/civic/admin.js named a table's fields in the browser; they are named on the
server (civic.admin_base.rows_labelled), so a member of staff without JavaScript gets the same."""

from __future__ import annotations

import pytest

from civic.models import Organisation
from consultations.models import Consultation, Decision, Question, SavedQuestion
from mailing.models import RateLimit
from petitions.models import PetitionPolicy
from tests.admin_pages import seed_admin_world
from tests.browser import assert_accessible, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _first(model):
    return model._default_manager.order_by("pk").first()


@pytest.fixture
def pages_with_tables(db):
    seed_admin_world()
    consultation = Consultation.objects.filter(decisions__isnull=False).order_by("pk").first()
    question = Question.objects.filter(options__isnull=False).order_by("pk").first()
    survey_page = question.page
    council = Organisation.objects.order_by("pk").first()
    if not RateLimit.objects.exists():
        RateLimit.objects.create(organisation=council, per_second=10)
    return {
        "a consultation with its documents": (
            f"/admin/consultations/consultation/{consultation.pk}/change/"
        ),
        "a question with its options": f"/admin/consultations/question/{question.pk}/change/",
        "a decision with its follow-up actions": (
            f"/admin/consultations/decision/{_first(Decision).pk}/change/"
        ),
        "a petition policy with its thresholds": (
            f"/admin/petitions/petitionpolicy/{_first(PetitionPolicy).pk}/change/"
        ),
        "the editable list of sending rates": "/admin/mailing/ratelimit/",
        "the survey builder's page": (
            f"/admin/consultations/consultation/{survey_page.consultation_id}/survey/pages/"
            f"{survey_page.pk}/"
        ),
        "a consultation's outcome": f"/admin/consultations/consultation/{consultation.pk}/outcome/",
        "the library of saved questions": "/admin/consultations/savedquestion/",
        "a saved question's use page": (
            f"/admin/consultations/savedquestion/{_first(SavedQuestion).pk}/use/"
        ),
    }


def test_pages_with_tables_of_fields_pass_axe_with_every_script_refused(page_at, pages_with_tables):
    page = page_at(1280)
    sign_in(page, UserFactory(is_staff=True, is_superuser=True))
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    page.route("**/*.js", refuse)
    for name, url in pages_with_tables.items():
        response = page.goto(url)
        assert response.status == 200, name
        assert_accessible(page)
    assert any(url.endswith("/civic/admin.js") for url in refused)


def test_each_field_of_a_table_row_is_named_by_its_column_and_row(client, pages_with_tables):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(pages_with_tables["a question with its options"]).content.decode()
    assert 'aria-label="Label, option 1"' in html
    assert 'aria-label="Label, new option"' in html  # the row "Add another" copies
    assert 'aria-label="Delete, option 1"' in html
    listing = client.get(pages_with_tables["the editable list of sending rates"]).content.decode()
    assert ', sending rate 1"' in listing
