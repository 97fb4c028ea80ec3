"""Residents propose debates in a space an officer moderates: the proposal waits, unseen by the
public, for an officer of the space's department, who publishes it through the debate's usual
check or rejects it with a reason; the resident is e-mailed either way, and the decision is
audited. Bad input is answered next to the field with nothing saved; the form is guarded;
officers of other departments and councils can do nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from civic.form_guard import Refused
from civic.models import AuditEntry
from debates.models import Debate, DebateSpace
from debates.proposals import debate_propose, proposal_reject, proposal_token
from debates.services import debate_problems
from mailing.models import Delivery
from tests.debates.conftest import make_debate
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
QUESTION = "Should the market square have a weekly car-free day?"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_DEBATE_PROPOSAL_MIN_SECONDS = 0


@pytest.fixture
def space(cast):
    return DebateSpace.objects.create(
        department=cast.department,
        title="Ideas for the town centre",
        slug="town-centre",
        description="Propose a question about the **town centre**.",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def propose(client, space, question=QUESTION, background="Stalls would spread out.", **extra):
    return client.post(
        f"/debates/spaces/{space.slug}/propose/",
        {
            "question": question,
            "background": background,
            "started": proposal_token(),
            "website": "",
            **extra,
        },
    )


def test_a_proposal_waits_unseen_until_an_officer_publishes_it_and_its_proposer_is_told(
    cast, space
):
    resident = signed_in(cast.resident)
    assert "Propose a debate" in assert_page(
        Client().get(f"/debates/spaces/{space.slug}/"), heading=space.title
    )
    html = assert_page(propose(resident, space), heading="Proposal sent")
    debate = Debate.objects.get()
    assert (debate.status, debate.space, debate.proposed_by, debate.department) == (
        Debate.Status.DRAFT,
        space,
        cast.resident,
        cast.department,
    )
    assert (debate.question, debate.background) == (QUESTION, "Stalls would spread out.")
    assert "Someone from the council will read it." in html

    # Nobody outside the council sees it: not on the lists, not at its address.
    visitor = Client()
    assert visitor.get(f"/debates/{debate.slug}/").status_code == 404
    assert QUESTION not in assert_page(visitor.get("/debates/"), heading="Debates")
    assert QUESTION not in assert_page(
        visitor.get(f"/debates/spaces/{space.slug}/"), heading=space.title
    )
    mine = assert_page(
        resident.get(f"/debates/spaces/{space.slug}/propose/"), heading="Propose a debate"
    )
    assert "Waiting for the council to decide." in mine

    # The officer finds it in the admin, with Publish and Reject; the check asks for dates.
    officer = signed_in(cast.officer)
    change = officer.get(f"/admin/debates/debate/{debate.pk}/change/").content.decode()
    assert f'href="/admin/debates/debate/{debate.pk}/reject/"' in change
    assert f'href="/admin/debates/debate/{debate.pk}/publish/"' in change
    assert set(debate_problems(debate)) == {"opens_at", "closes_at"}
    now = timezone.now()
    Debate.objects.filter(pk=debate.pk).update(
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=14)
    )
    assert officer.post(f"/admin/debates/debate/{debate.pk}/publish/").status_code == 302

    debate.refresh_from_db()
    assert debate.status == Debate.Status.PUBLISHED
    assert_page(visitor.get(f"/debates/{debate.slug}/"), heading=QUESTION)
    assert QUESTION in assert_page(
        visitor.get(f"/debates/spaces/{space.slug}/"), heading=space.title
    )
    (mail,) = Delivery.objects.all()
    assert mail.to_email == cast.resident.email
    assert mail.message["subject"] == "Your debate is published"
    assert f"/debates/{debate.slug}/" in mail.message["text"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert (entry.actor, entry.object_repr) == (cast.officer, f"Debate #{debate.pk}")


def test_an_officer_rejects_a_proposal_with_a_reason_the_resident_is_sent(cast, space):
    propose(signed_in(cast.resident), space)
    debate = Debate.objects.get()
    officer = signed_in(cast.officer)
    page = f"/admin/debates/debate/{debate.pk}/reject/"
    shown = officer.get(page)
    assert shown.status_code == 200
    assert QUESTION in shown.content.decode() and "Reject and send the reason" in (
        shown.content.decode()
    )
    response = officer.post(page, {"reason": ""})
    assert "Enter the reason, which the resident who proposed it is sent" in (
        response.content.decode()
    )
    assert Debate.objects.get().status == Debate.Status.DRAFT

    response = officer.post(page, {"reason": "A debate on this closed last month."})
    assert response.status_code == 302
    debate.refresh_from_db()
    assert (debate.status, debate.rejection_reason) == (
        Debate.Status.REJECTED,
        "A debate on this closed last month.",
    )
    (mail,) = Delivery.objects.all()
    assert mail.to_email == cast.resident.email
    assert mail.message["subject"] == "Your proposed debate was not published"
    assert "A debate on this closed last month." in mail.message["text"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MODERATE)
    assert (entry.actor, entry.object_repr, entry.summary) == (
        cast.officer,
        f"Debate #{debate.pk}",
        "Rejected the proposed debate",
    )
    assert "A debate on this closed last month." not in entry.summary
    assert Client().get(f"/debates/{debate.slug}/").status_code == 404
    mine = assert_page(
        signed_in(cast.resident).get(f"/debates/spaces/{space.slug}/propose/"),
        heading="Propose a debate",
    )
    assert "Not published. A debate on this closed last month." in mine
    # Rejected once: it cannot be rejected again, or published.
    assert "Only a proposed debate waiting for a decision can be rejected." in (
        officer.get(page).content.decode()
    )
    assert officer.post(f"/admin/debates/debate/{debate.pk}/publish/").status_code == 200
    assert Debate.objects.get().status == Debate.Status.REJECTED


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"question": ""}, "question", "Enter the question you want debated"),
        ({"question": "Cars out"}, "question", "Enter your question, ending with a question mark"),
        ({"question": "Why " * 60 + "?"}, "question", "Your question must be 200 characters or"),
        ({"background": " "}, "background", "Enter why this question matters"),
        ({"background": "x" * 3001}, "background", "Why it matters must be 3000 characters or"),
    ],
)
def test_bad_input_is_answered_next_to_the_field_and_nothing_is_saved(
    cast, space, fields, field, message
):
    response = propose(signed_in(cast.resident), space, **fields)
    html = assert_page(response, heading="Propose a debate", status=400)
    assert message in html
    assert f'href="#id_{field}"' in html
    assert not Debate.objects.exists()


def test_only_signed_in_residents_propose_and_only_where_the_space_takes_proposals(cast, space):
    visitor = Client()
    html = assert_page(
        visitor.get(f"/debates/spaces/{space.slug}/propose/"), heading="Propose a debate"
    )
    assert "Sign in to propose a debate" in html
    assert "Sign in to propose a debate." in assert_page(
        propose(visitor, space), heading="Propose a debate"
    )
    DebateSpace.objects.filter(pk=space.pk).update(accepting=False)
    space.refresh_from_db()
    html = assert_page(propose(signed_in(cast.resident), space), heading="Propose a debate")
    assert "This space is not taking proposals at the moment." in html
    assert not Debate.objects.exists()


def test_too_many_proposals_from_one_connection_are_told_to_try_later(cast, space, settings):
    settings.CIVIC_DEBATE_PROPOSAL_BURST = "1/m"
    resident = signed_in(cast.resident)
    propose(resident, space)
    response = propose(resident, space, question="Should buses be free on Sundays?")
    html = assert_page(response, heading="Propose a debate", status=429)
    assert "too many proposals from your internet connection" in html
    assert Debate.objects.count() == 1


def test_officers_of_other_departments_and_councils_cannot_decide(cast, space):
    debate = debate_propose(
        user=cast.resident,
        space=space,
        question=QUESTION,
        background="Why.",
        token=proposal_token(),
        ip="203.0.113.8",
    )
    for outsider in (cast.other_officer, cast.other_council_officer):
        client = signed_in(outsider)
        assert client.get(f"/admin/debates/debate/{debate.pk}/reject/").status_code == 404
        assert (
            client.post(f"/admin/debates/debate/{debate.pk}/reject/", {"reason": "No."})
        ).status_code == 404
        with pytest.raises(PermissionDenied):
            proposal_reject(actor=outsider, debate=debate, reason="No.")
        assert client.get(f"/admin/debates/debatespace/{space.pk}/change/").status_code == 404
    assert Debate.objects.get().status == Debate.Status.DRAFT
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MODERATE).exists()


def test_an_officers_own_debate_is_not_a_proposal_to_reject(cast):
    debate = make_debate(cast, stage=Debate.Stage.DRAFT)
    with pytest.raises(Refused):
        proposal_reject(actor=cast.officer, debate=debate, reason="No.")
    assert Debate.objects.get().status == Debate.Status.DRAFT


def test_an_officer_sets_up_a_space_in_the_admin_and_it_is_audited(cast):
    officer = signed_in(cast.officer)
    response = officer.post(
        "/admin/debates/debatespace/add/",
        {
            "department": cast.department.pk,
            "title": "Parks",
            "slug": "parks",
            "description": "Questions about parks.",
            "accepting": "on",
        },
    )
    assert response.status_code == 302
    space = DebateSpace.objects.get()
    assert (space.department, space.accepting) == (cast.department, True)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, actor=cast.officer).exists()
    assert_page(Client().get("/debates/spaces/"), heading="Propose a debate")
    assert "Parks" in Client().get("/debates/spaces/").content.decode()
