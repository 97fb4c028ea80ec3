"""Building the winning projects in the admin: a project's status moves by buttons that lead to
pages of their own (a cancellation needs a public reason and a check), its milestones are an
inline saved through the services (audited, a photo needs its description), and officers of
another department or council see nothing of it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from budgets.delivery import delivery_start
from budgets.models import Idea, Milestone, Process, Project
from civic.models import AuditEntry
from tests.budgets.conftest import make_idea, make_process
from tests.budgets.test_delivery import PNG
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Status = Project.Status


@pytest.fixture
def project(council) -> Project:
    process = make_process(council, Process.Stage.IMPLEMENTATION)
    swings = make_idea(process, proposer=council.resident, title="Swings",
                       status=Idea.Status.ON_BALLOT, final_cost=9_000)  # fmt: skip
    (made,) = delivery_start(process=process, ideas=[swings])
    return made


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "milestones-TOTAL_FORMS": str(len(rows)),
        "milestones-INITIAL_FORMS": str(initial),
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"milestones-{index}-{key}": value for key, value in row.items()})
    return data


def test_a_project_page_offers_the_moves_open_to_it(council, project):
    officer = signed_in(council.officer)
    html = assert_page(officer.get(f"/admin/budgets/project/{project.pk}/change/"),
                       heading=ANY_HEADING)  # fmt: skip
    assert 'id="move-start"' in html and 'id="move-cancel"' in html
    assert 'id="move-done"' not in html  # only a project in progress is done
    listing = assert_page(officer.get("/admin/budgets/project/"), heading=ANY_HEADING)
    assert "Swings" in listing


def test_an_officer_starts_then_cancels_a_project_with_a_reason(council, project):
    officer = signed_in(council.officer)
    start = f"/admin/budgets/project/{project.pk}/start/"
    assert_page(officer.get(start), heading="Start building: Swings")
    assert officer.post(start).status_code == 302
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS

    cancel = f"/admin/budgets/project/{project.pk}/cancel/"
    refused = assert_page(officer.post(cancel, {"reason": ""}), heading="Cancel: Swings")
    assert "Enter why the project is cancelled, which is shown on its page" in refused
    assert "Confirm that you understand the project cannot be started again" in refused
    project.refresh_from_db()
    assert project.status == Status.IN_PROGRESS
    assert officer.post(cancel, {"reason": "Sold.", "checked": "on"}).status_code == 302
    project.refresh_from_db()
    assert (project.status, project.reason) == (Status.CANCELLED, "Sold.")
    # A cancelled project offers no move, and its move pages say so without a button.
    html = assert_page(officer.get(f"/admin/budgets/project/{project.pk}/done/"),
                       heading="Mark done: Swings")  # fmt: skip
    assert "This project cannot make this move now." in html and "Mark it done" not in html


def test_milestones_are_added_with_a_described_photo_through_the_inline(
    council, project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    officer = signed_in(council.officer)
    page = f"/admin/budgets/project/{project.pk}/change/"
    row = {"date": "2027-05-01", "title": "Ground cleared", "description": "",
           "percent_complete": "20", "photo_alt": ""}  # fmt: skip
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    refused = officer.post(page, {**inline([row]), "milestones-0-photo": photo})
    html = assert_page(refused, heading=ANY_HEADING)
    assert "Describe what the photo shows, for people who cannot see it" in html
    assert not Milestone.objects.exists()

    too_much = officer.post(page, inline([{**row, "percent_complete": "120"}]))
    assert "Enter a whole number from 0 to 100" in assert_page(too_much, heading=ANY_HEADING)
    assert not Milestone.objects.exists()

    photo.seek(0)
    saved = officer.post(page, {**inline([{**row, "photo_alt": "Cleared grass."}]),
                                "milestones-0-photo": photo})  # fmt: skip
    assert saved.status_code == 302
    milestone = Milestone.objects.get()
    assert (milestone.title, milestone.percent_complete, milestone.photo_alt) == (
        "Ground cleared", 20, "Cleared grass.")  # fmt: skip
    assert milestone.photo.read() == PNG
    assert (
        AuditEntry.objects.filter(
            actor=council.officer, object_repr=f"Milestone #{milestone.pk}"
        ).count()
        == 1
    )

    kept = {**row, "id": str(milestone.pk), "project": str(project.pk),
            "percent_complete": "40", "photo_alt": "Cleared grass."}  # fmt: skip
    changed = officer.post(page, inline([kept], initial=1))
    assert changed.status_code == 302
    milestone.refresh_from_db()
    assert milestone.percent_complete == 40 and milestone.photo

    removed = officer.post(page, inline([{**kept, "DELETE": "on"}], initial=1))
    assert removed.status_code == 302
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("role", ["other_officer", "other_council_officer", "other_council_admin"])
def test_officers_who_do_not_run_the_process_see_nothing(council, project, role):
    outsider = signed_in(getattr(council, role))
    listing = outsider.get("/admin/budgets/project/")
    if listing.status_code == 200:
        assert_page(listing, heading=ANY_HEADING)
        assert "Swings" not in listing.content.decode()
    for page in ("change", "start", "cancel"):
        assert outsider.get(f"/admin/budgets/project/{project.pk}/{page}/").status_code == 404
    assert outsider.post(f"/admin/budgets/project/{project.pk}/start/").status_code == 404
    project.refresh_from_db()
    assert project.status == Status.PLANNED


def test_nobody_adds_or_deletes_a_project_in_the_admin(council, project):
    superuser = signed_in(UserFactory(is_staff=True, is_superuser=True))
    assert superuser.get("/admin/budgets/project/add/").status_code == 403
    assert superuser.get(f"/admin/budgets/project/{project.pk}/delete/").status_code == 403
