"""The public pages of building the winning projects, as a browser without JavaScript sends them:
the list of a process's projects with status and latest percentage, filtered by status and area;
the "Progress" section of a winning idea's page with its milestones and photos; the photo file;
and the list's fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.delivery import delivery_start, delivery_status_set, milestone_add
from budgets.models import Idea, Process, Project
from tests.budgets.conftest import make_idea, make_process
from tests.budgets.test_delivery import PNG
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Process.Stage
Status = Project.Status


def built(council, stage=Stage.IMPLEMENTATION, count=2):
    """A process with `count` winning projects: the first in Ancoats, the others in Hulme."""
    process = make_process(council, stage)
    ideas = [
        make_idea(
            process,
            proposer=council.resident,
            title=f"Project {number}" if number else "Swings in Ancoats Park",
            area=council.ancoats if number == 0 else council.hulme,
            status=Idea.Status.ON_BALLOT,
            final_cost=12_000,
        )
        for number in range(count)
    ]
    delivery_start(process=process, ideas=ideas)
    return process, ideas


def test_the_projects_list_shows_each_status_and_its_latest_percentage(client, council):
    process, (swings, _crossing) = built(council)
    milestone_add(actor=council.officer, idea=swings, date=dt.date(2027, 5, 1),
                  title="Ground cleared", percent_complete=20)  # fmt: skip
    milestone_add(actor=council.officer, idea=swings, date=dt.date(2027, 6, 1),
                  title="Swings fitted", percent_complete=70)  # fmt: skip
    delivery_status_set(actor=council.officer, idea=swings, status=Status.IN_PROGRESS)
    heading = f"Winning projects: {process.title}"
    html = assert_page(client.get(f"/budgets/{process.slug}/projects/"), heading=heading)
    assert "2 projects" in html
    assert "Swings in Ancoats Park" in html and "In progress" in html
    assert "70% complete on 1 June 2027" in html
    assert "No milestones yet" in html and "Planned" in html
    assert f'href="/budgets/{process.slug}/ideas/{swings.pk}/"' in html

    by_status = assert_page(client.get(f"/budgets/{process.slug}/projects/?status=planned"),
                            heading=heading)  # fmt: skip
    assert "Project 1" in by_status and "Swings in Ancoats Park" not in by_status
    hulme = process.budgets.get(area=council.hulme)
    by_area = assert_page(client.get(f"/budgets/{process.slug}/projects/?budget={hulme.pk}"),
                          heading=heading)  # fmt: skip
    assert "Project 1" in by_area and "Swings in Ancoats Park" not in by_area
    nonsense = assert_page(client.get(f"/budgets/{process.slug}/projects/?status=built"),
                           heading=heading)  # fmt: skip
    assert "Choose a status from the list" in nonsense


def test_the_process_page_links_the_projects_once_voting_has_closed(client, council):
    process, _ideas = built(council, Stage.RESULTS)
    html = assert_page(client.get(f"/budgets/{process.slug}/"), heading=process.title)
    assert f'href="/budgets/{process.slug}/projects/"' in html
    voting = make_process(council, Stage.VOTING)
    html = assert_page(client.get(f"/budgets/{voting.slug}/"), heading=voting.title)
    assert "/projects/" not in html
    early = assert_page(client.get(f"/budgets/{voting.slug}/projects/"),
                        heading=f"Winning projects: {voting.title}")  # fmt: skip
    assert "The winning projects are shown here once voting has closed." in early


def test_a_winning_ideas_page_shows_its_progress_milestones_and_photos(
    client, council, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    process, (swings, _crossing) = built(council)
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    milestone = milestone_add(
        actor=council.officer, idea=swings, date=dt.date(2027, 5, 1), title="Ground cleared",
        description="The old fence is gone.", percent_complete=20, photo=photo,
        photo_alt="A cleared patch of grass by the canal.",
    )  # fmt: skip
    page = f"/budgets/{process.slug}/ideas/{swings.pk}/"
    html = assert_page(client.get(page), heading="Swings in Ancoats Park")
    assert 'id="idea-progress"' in html and "Progress" in html
    assert "20% complete" in html and "Ground cleared" in html and "1 May 2027" in html
    photo_url = f"/budgets/{process.slug}/ideas/{swings.pk}/milestones/{milestone.pk}/photo/"
    assert f'src="{photo_url}"' in html
    assert 'alt="A cleared patch of grass by the canal."' in html
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG
    # Another idea's address for the photo finds nothing.
    wrong = f"/budgets/{process.slug}/ideas/{_crossing.pk}/milestones/{milestone.pk}/photo/"
    assert client.get(wrong).status_code == 404

    delivery_status_set(actor=council.officer, idea=swings, status=Status.CANCELLED,
                        reason="The land was sold.")  # fmt: skip
    html = assert_page(client.get(page), heading="Swings in Ancoats Park")
    assert "Cancelled" in html and "The land was sold." in html


def test_an_idea_that_did_not_win_has_no_progress(client, council):
    process, _ideas = built(council)
    loser = make_idea(process, proposer=council.resident, title="Lost",
                      status=Idea.Status.ON_BALLOT)  # fmt: skip
    html = assert_page(client.get(f"/budgets/{process.slug}/ideas/{loser.pk}/"), heading="Lost")
    assert 'id="idea-progress"' not in html


@pytest.mark.parametrize("query", ["", "?status=planned", "?budget=1", "?page=2"])
def test_the_projects_list_keeps_a_fixed_number_of_queries(
    client, council, django_assert_num_queries, query
):
    few, _ideas = built(council, count=3)
    with django_assert_num_queries(4):
        client.get(f"/budgets/{few.slug}/projects/{query}")
    many, _ideas = built(council, count=30)
    with django_assert_num_queries(4):
        client.get(f"/budgets/{many.slug}/projects/{query}")
