"""An officer of one department cannot see another department's drafts: not in the admin, not in
the API, not on a page. Shown on a test-only department-owned feature (tests/scoped_feature)."""

import pytest

from civic.models import AuditEntry
from tests.scoped_feature.models import Notice

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.scoped_feature.urls")]


@pytest.fixture
def world(cast):
    transport, parks = cast.department, cast.other_department
    planning = cast.other_council_department
    notices = {
        "transport draft": Notice.objects.create(department=transport, title="transport draft"),
        "parks draft": Notice.objects.create(department=parks, title="parks draft"),
        "parks published": Notice.objects.create(
            department=parks, title="parks published", status=Notice.Status.PUBLISHED
        ),
        "planning draft": Notice.objects.create(department=planning, title="planning draft"),
    }
    people = {
        "anonymous": None,
        **cast.only("resident", "officer", "facilitator", "organisation admin", "site admin"),
    }
    return people, notices


# Who sees which notice on a page and in the API (published ones are public).
VISIBLE = {
    "anonymous": {"parks published"},
    "resident": {"parks published"},
    "officer": {"transport draft", "parks published"},
    "facilitator": {"parks published"},
    "organisation admin": {"transport draft", "parks draft", "parks published"},
    "site admin": {"transport draft", "parks draft", "parks published", "planning draft"},
}
# Who sees which notice in the admin (only what they run).
IN_ADMIN = {
    "officer": {"transport draft"},
    "facilitator": set(),
    "organisation admin": {"transport draft", "parks draft", "parks published"},
    "site admin": {"transport draft", "parks draft", "parks published", "planning draft"},
}


def _sign_in(client, user):
    if user is not None:
        client.force_login(user)


@pytest.mark.parametrize("person", list(VISIBLE))
def test_pages_show_drafts_only_to_those_who_run_the_department(world, client, person):
    people, notices = world
    _sign_in(client, people[person])
    shown = {
        name
        for name, notice in notices.items()
        if client.get(f"/notices/{notice.pk}/").status_code == 200
    }
    assert shown == VISIBLE[person]
    hidden = set(notices) - shown
    for name in hidden:
        assert client.get(f"/notices/{notices[name].pk}/").status_code == 404


@pytest.mark.parametrize("person", list(VISIBLE))
def test_the_api_lists_drafts_only_to_those_who_run_the_department(world, client, person):
    people, _notices = world
    _sign_in(client, people[person])
    listed = {row["title"] for row in client.get("/api/v1/test/notices/").json()["results"]}
    assert listed == VISIBLE[person]


@pytest.mark.parametrize("person", list(IN_ADMIN))
def test_the_admin_lists_only_the_items_of_the_persons_departments(world, client, person):
    people, _notices = world
    _sign_in(client, people[person])
    response = client.get("/admin/scoped_feature/notice/")
    if not IN_ADMIN[person]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {notice.title for notice in response.context["cl"].result_list} == IN_ADMIN[person]


def test_an_officer_cannot_open_or_change_another_departments_draft_in_the_admin(world, client):
    people, notices = world
    client.force_login(people["officer"])
    draft = notices["parks draft"]
    assert client.get(f"/admin/scoped_feature/notice/{draft.pk}/change/").status_code == 404
    response = client.post(
        f"/admin/scoped_feature/notice/{draft.pk}/change/",
        {"department": draft.department_id, "title": "hijacked", "status": "published"},
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("parks draft", "draft")
    assert not AuditEntry.objects.exists()


def test_an_officer_can_only_choose_their_own_departments_for_a_new_item(world, client):
    people, _notices = world
    client.force_login(people["officer"])
    response = client.get("/admin/scoped_feature/notice/add/")
    choices = {
        label
        for _value, label in response.context["adminform"].form.fields["department"].choices
        if _value
    }
    assert choices == {"Transport (Northbridge)"}


def test_an_officer_edits_their_own_draft_and_the_edit_is_audited(world, client):
    people, notices = world
    officer = people["officer"]
    client.force_login(officer)
    draft = notices["transport draft"]
    response = client.post(
        f"/admin/scoped_feature/notice/{draft.pk}/change/",
        {"department": draft.department_id, "title": "Bus lanes", "status": "draft"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Bus lanes"
    entry = AuditEntry.objects.get()
    # A feature app's object is named by kind and number unless it opts in to a staff-written name.
    assert (entry.actor_id, entry.action, entry.object_repr) == (
        officer.pk,
        "edit",
        f"Notice #{draft.pk}",
    )
    assert entry.organisation_id == draft.department.organisation_id
