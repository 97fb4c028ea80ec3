"""An officer runs a winning project in Chromium at desktop width: the project's page with its
moves and milestones (one with a photo), adding a milestone with a photo, a refused cancellation
and the cancellation, with axe finding nothing and the site's CSP refusing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets.delivery import delivery_start, milestone_add
from budgets.models import Idea, Milestone, Process, Project
from tests.browser import assert_accessible, assert_no_csp_errors, submit
from tests.budgets.conftest import make_idea, make_process
from tests.budgets.test_delivery import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)


def test_an_officer_adds_a_milestone_and_cancels_a_project_on_accessible_pages(
    council, signed_in_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    process = make_process(council, Process.Stage.IMPLEMENTATION)
    swings = make_idea(process, proposer=council.resident, title="Swings",
                       status=Idea.Status.ON_BALLOT, final_cost=9_000)  # fmt: skip
    (project,) = delivery_start(process=process, ideas=[swings])
    milestone_add(actor=council.officer, idea=swings, date=dt.date(2027, 5, 1), title="Designed",
                  percent_complete=10, photo=SimpleUploadedFile("a.png", PNG),
                  photo_alt="The design on a board.")  # fmt: skip
    photo = tmp_path / "site.png"
    photo.write_bytes(PNG)
    page = signed_in_page(council.officer, 1280)

    page.goto(reverse("admin:budgets_project_changelist"))
    checked(page)
    page.goto(reverse("admin:budgets_project_change", args=[project.pk]))
    checked(page)
    page.locator("#id_milestones-1-date").fill("2027-06-01")
    page.locator("#id_milestones-1-title").fill("Ground cleared")
    page.locator("#id_milestones-1-percent_complete").fill("30")
    page.locator("#id_milestones-1-photo").set_input_files(str(photo))
    submit(page, page.get_by_role("button", name="Save and continue editing"))
    assert page.locator(".errornote").is_visible()  # the photo has no description
    checked(page)
    page.locator("#id_milestones-1-photo").set_input_files(str(photo))
    page.locator("#id_milestones-1-photo_alt").fill("Cleared grass by the canal.")
    submit(page, page.get_by_role("button", name="Save and continue editing"))
    errors = page.locator(".errorlist").all_inner_texts()
    assert Milestone.objects.filter(project=project).count() == 2, errors
    checked(page)

    submit(page, page.get_by_role("link", name="Cancel", exact=True))
    checked(page)
    submit(page, page.get_by_role("button", name="Cancel the project"))
    assert page.locator(".errornote").is_visible()
    checked(page)
    page.get_by_label("Reason").fill("The land was sold.")
    page.get_by_label("I understand a cancelled project cannot be started again").check()
    submit(page, page.get_by_role("button", name="Cancel the project"))
    project.refresh_from_db()
    assert project.status == Project.Status.CANCELLED
    checked(page)
