"""The officers' side in the admin: a debate is made with its consultation chosen from a list of
the council's own; publishing is a button that leads to a check listing what stops it, each
problem linked to its field; only those who run a debate see or publish it; all of it audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from civic.models import AuditEntry
from debates.models import Debate
from debates.services import debate_publish
from tests.consultations.factories import ConsultationFactory
from tests.debates.conftest import make_debate
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Debate.Stage

PERMISSIONS = ["debates.view_debate", "debates.change_debate", "debates.publish_debate"]
RUNS = {"officer", "organisation admin", "site admin"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role",
    ["anonymous", "resident", "officer", "officer of another department", "facilitator",
     "organisation admin", "site admin", "other council's officer", "other council's admin"],
)  # fmt: skip
def test_the_permission_matrix(cast, role):
    debate = make_debate(cast, Stage.DRAFT)
    user = AnonymousUser() if role == "anonymous" else cast.people[role]
    for permission in PERMISSIONS:
        assert user.has_perm(permission, debate) is (role in RUNS), (role, permission)
    # Residents' points and comments hang on a debate: only an organisation admin deletes one.
    deletes = role in {"organisation admin", "site admin"}
    assert user.has_perm("debates.delete_debate", debate) is deletes
    assert user.has_perm("debates") is (role not in {"anonymous", "resident"})


def test_an_officer_makes_a_draft_debate_choosing_the_consultation_from_a_list(cast):
    own = ConsultationFactory(department=cast.department, title="Riverside cycle lanes")
    ConsultationFactory(department=cast.other_council_department, title="Eastmoor market stalls")
    officer = signed_in(cast.officer)
    form = assert_page(officer.get("/admin/debates/debate/add/"), heading=ANY_HEADING)
    assert "Riverside cycle lanes" in form
    assert "Eastmoor market stalls" not in form  # another council's is not offered
    response = officer.post(
        "/admin/debates/debate/add/",
        {
            "department": cast.department.pk,
            "question": "Should the high street be car-free?",
            "slug": "car-free",
            "summary": "A trial on Saturdays.",
            "background": "Buses would move.",
            "consultation": own.pk,
            "opens_at_0": "2030-03-01",
            "opens_at_1": "09:00",
            "closes_at_0": "2030-03-20",
            "closes_at_1": "17:00",
        },
    )
    assert response.status_code == 302
    debate = Debate.objects.get()
    assert (debate.status, debate.consultation, debate.department) == (
        Debate.Status.DRAFT,
        own,
        cast.department,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE)
    assert entry.actor == cast.officer


def test_dates_out_of_order_are_named_next_to_the_field(cast):
    officer = signed_in(cast.officer)
    response = officer.post(
        "/admin/debates/debate/add/",
        {
            "department": cast.department.pk,
            "question": "Should the high street be car-free?",
            "slug": "car-free",
            "summary": "A trial on Saturdays.",
            "opens_at_0": "2030-03-20",
            "opens_at_1": "09:00",
            "closes_at_0": "2030-03-01",
            "closes_at_1": "17:00",
        },
    )
    html = assert_page(response, heading=ANY_HEADING)
    assert "errornote" in html
    assert not Debate.objects.exists()


def test_publishing_lists_what_stops_it_then_publishes(cast):
    debate = make_debate(cast, Stage.DRAFT, opens_at=None, background="")
    officer = signed_in(cast.officer)
    change = f"/admin/debates/debate/{debate.pk}/change/"
    assert (
        f'href="/admin/debates/debate/{debate.pk}/publish/"' in officer.get(change).content.decode()
    )
    page = f"/admin/debates/debate/{debate.pk}/publish/"
    html = officer.get(page).content.decode()
    assert f'<a href="{change}#id_opens_at_0">Enter the date the debate opens</a>' in html
    assert f'<a href="{change}#id_background">Enter the background' in html
    html = officer.post(page).content.decode()
    assert "Enter the date the debate opens" in html
    debate.refresh_from_db()
    assert debate.status == Debate.Status.DRAFT
    assert 'id="id_opens_at_0"' in officer.get(change).content.decode()

    Debate.objects.filter(pk=debate.pk).update(
        opens_at=debate.closes_at.replace(year=debate.closes_at.year - 1), background="Buses."
    )
    html = officer.get(page).content.decode()
    assert "Publish the debate" in html
    assert officer.post(page).status_code == 302
    debate.refresh_from_db()
    assert debate.status == Debate.Status.PUBLISHED
    html = assert_page(officer.get(page), heading=ANY_HEADING)
    assert "This debate is already published." in html


def test_an_unpublished_consultation_stops_publishing(cast):
    consultation = ConsultationFactory(department=cast.department, published_at=None)
    debate = make_debate(cast, Stage.DRAFT, consultation=consultation)
    with pytest.raises(ValidationError) as caught:
        debate_publish(actor=cast.officer, debate=debate)
    assert caught.value.message_dict["consultation"] == [
        f"Publish the consultation “{consultation.title}” first, or choose another"
    ]


def test_an_officer_publishes_a_draft_once_and_it_is_audited(cast, clock):
    debate = make_debate(cast, Stage.DRAFT)
    debate_publish(actor=cast.officer, debate=debate, now=clock.now)
    debate.refresh_from_db()
    assert (debate.status, debate.published_at) == (Debate.Status.PUBLISHED, clock.now)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert (entry.actor, entry.object_repr) == (cast.officer, f"Debate #{debate.pk}")
    with pytest.raises(ValidationError) as caught:
        debate_publish(actor=cast.officer, debate=debate)
    assert caught.value.messages == ["This debate is already published."]


@pytest.mark.parametrize(
    "role", ["resident", "officer of another department", "facilitator", "other council's admin"]
)
def test_only_those_who_run_the_debate_publish_it(cast, role):
    debate = make_debate(cast, Stage.DRAFT)
    with pytest.raises(PermissionDenied):
        debate_publish(actor=cast.people[role], debate=debate)
    debate.refresh_from_db()
    assert debate.status == Debate.Status.DRAFT
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PUBLISH).exists()


@pytest.mark.parametrize(
    "role", ["officer of another department", "other council's officer", "other council's admin"]
)
def test_the_admin_shows_others_nothing_and_answers_404_for_a_debate(cast, role):
    debate = make_debate(cast, Stage.DRAFT, question="Should we sell the town hall?")
    client = signed_in(cast.people[role])
    listing = client.get("/admin/debates/debate/")
    if listing.status_code == 200:
        assert_page(listing, heading=ANY_HEADING)
        assert "Should we sell the town hall?" not in listing.content.decode()
    else:
        assert listing.status_code in (403, 404)
    for address in (
        f"/admin/debates/debate/{debate.pk}/change/",
        f"/admin/debates/debate/{debate.pk}/publish/",
    ):
        assert client.get(address).status_code == 404, address
    assert client.post(f"/admin/debates/debate/{debate.pk}/publish/").status_code == 404
    debate.refresh_from_db()
    assert debate.status == Debate.Status.DRAFT
    assert not AuditEntry.objects.exists()
