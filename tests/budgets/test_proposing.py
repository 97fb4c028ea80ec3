"""Proposing an idea and supporting one, through the services: in the ideas phase only, every
field checked, the image checked by its content, participation and consent recorded, and one
support per person, which the database enforces even when two arrive at once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client

from budgets.models import ACTIVITY_IDEA, ACTIVITY_SUPPORT, Idea, Process, Support
from budgets.services import idea_propose, idea_purpose, idea_support
from civic.form_guard import Refused
from contacts.models import Activity, Contact
from contacts.services import consent_is_live
from mailing.models import Delivery
from tests.budgets.conftest import budget_of, drawn_token, make_idea, make_process
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def propose(process, user, **fields):
    values = {
        "user": user,
        "process": process,
        "title": "A play area in Ancoats Park",
        "description": "Swings and a climbing frame for under-tens.",
        "estimated_cost": 20_000,
        "budget": budget_of(process, process.budgets.get(area__name="Ancoats").area),
        "token": drawn_token(),
        "ip": "198.51.100.7",
    }
    values.update(fields)
    return idea_propose(**values)


def test_a_resident_proposes_an_idea_which_is_public_at_once(council):
    process = make_process(council)
    idea = propose(process, council.resident, hears_progress=True)

    assert (idea.status, idea.proposer, idea.budget.name) == (
        Idea.Status.PROPOSED,
        council.resident,
        "Ancoats",
    )
    assert list(Idea.objects.public()) == [idea]
    activity = Activity.objects.get(kind=ACTIVITY_IDEA)
    assert (activity.contact.email, activity.reference) == ("cara@example.org", f"idea-{idea.pk}")
    assert consent_is_live(contact=activity.contact, purpose=idea_purpose(idea))
    mail = Delivery.objects.get(to_email="cara@example.org")
    assert mail.message["subject"] == "Your idea is published: A play area in Ancoats Park"


def test_an_idea_without_consent_records_the_participation_only(council):
    idea = propose(make_process(council), council.resident)
    contact = Contact.objects.get(email="cara@example.org")
    assert Activity.objects.filter(contact=contact, kind=ACTIVITY_IDEA).count() == 1
    assert not consent_is_live(contact=contact, purpose=idea_purpose(idea))


@pytest.mark.parametrize(
    "stage", [Process.Stage.UPCOMING, Process.Stage.REVIEW, Process.Stage.VOTING]
)
def test_ideas_are_taken_in_the_ideas_phase_only(council, stage):
    process = make_process(council, stage)
    with pytest.raises(Refused) as caught:
        propose(process, council.resident)
    assert caught.value.code == "closed"
    assert not Idea.objects.exists()
    assert not Delivery.objects.exists()


def test_every_field_is_checked_and_a_refused_idea_changes_nothing(council):
    process = make_process(council)
    other = make_process(council)
    with pytest.raises(ValidationError) as caught:
        propose(process, council.resident, title=" ", description="", estimated_cost=None,
                budget=budget_of(other))  # fmt: skip
    assert set(caught.value.message_dict) == {"title", "description", "estimated_cost", "budget"}
    with pytest.raises(ValidationError) as caught:
        propose(process, council.resident, estimated_cost=50_001)
    assert caught.value.message_dict == {
        "estimated_cost": ["An idea for Ancoats must cost no more than its budget of £50,000"]
    }
    # Each message names its field and says how to put it right.
    with pytest.raises(ValidationError) as caught:
        propose(process, council.resident, title="T" * 101, description="D" * 2001,
                estimated_cost=0)  # fmt: skip
    assert caught.value.message_dict == {
        "title": ["The title must be 100 characters or fewer"],
        "description": ["The description must be 2000 characters or fewer"],
        "estimated_cost": ["Enter a cost of at least £1"],
    }
    assert not Idea.objects.exists()
    assert not Activity.objects.exists()


def test_an_image_must_be_a_real_picture_with_a_description(council, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    process = make_process(council)
    fake = SimpleUploadedFile("park.png", b"MZ not a picture")
    with pytest.raises(ValidationError) as caught:
        propose(process, council.resident, image=fake, image_alt="")
    assert caught.value.message_dict == {
        "image": ["The file is not a real PNG file"],
        "image_alt": ["Describe what the image shows, for people who cannot see it"],
    }
    idea = propose(process, council.resident, image=SimpleUploadedFile("Cara's park.png", PNG),
                   image_alt="The empty corner of the park")  # fmt: skip
    assert idea.image.name.startswith(f"budgets/ideas/{process.pk}/")
    assert "Cara" not in idea.image.name
    assert (tmp_path / idea.image.name).read_bytes() == PNG

    # Served as it was sent, to GET and HEAD only, and kept by shared caches for minutes.
    picture = f"/budgets/{process.slug}/ideas/{idea.pk}/image/"
    served = Client().get(picture)
    assert served["Content-Type"] == "image/png"
    assert served["Cache-Control"] == "public, max-age=300"
    assert b"".join(served.streaming_content) == PNG
    assert Client().post(picture).status_code == 405


def test_a_script_filling_the_hidden_field_is_refused(council):
    with pytest.raises(Refused) as caught:
        propose(make_process(council), council.resident, honeypot="http://spam.example")
    assert caught.value.code == "spam"
    assert not Idea.objects.exists()


# Supporting -------------------------------------------------------------------------------------


def test_a_resident_supports_an_idea_once(council):
    idea = make_idea(make_process(council), proposer=council.resident)
    idea_support(user=council.supporter, idea=idea, hears_progress=True)

    with pytest.raises(Refused) as caught:
        idea_support(user=council.supporter, idea=idea)
    assert (caught.value.code, caught.value.messages) == (
        "already",
        ["You already support this idea."],
    )
    assert Support.objects.filter(idea=idea).count() == 1
    activity = Activity.objects.get(kind=ACTIVITY_SUPPORT)
    assert activity.contact.email == "sam@example.org"
    assert consent_is_live(contact=activity.contact, purpose=idea_purpose(idea))


def test_the_database_refuses_a_second_support_by_the_same_person(council):
    idea = make_idea(make_process(council), proposer=council.resident)
    Support.objects.create(idea=idea, user=council.supporter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(idea=idea, user=council.supporter)


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        (Process.Stage.REVIEW, Idea.Status.PROPOSED),
        (Process.Stage.IDEAS, Idea.Status.NOT_FEASIBLE),
        (Process.Stage.IDEAS, Idea.Status.WITHDRAWN),
    ],
)
def test_an_idea_is_supported_while_ideas_are_collected_and_it_is_still_in_play(
    council, stage, status
):
    idea = make_idea(make_process(council, stage), proposer=council.resident, status=status)
    with pytest.raises(Refused) as caught:
        idea_support(user=council.supporter, idea=idea)
    assert caught.value.code == "closed"
    assert not Support.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_supports_sent_at_the_same_moment_make_one(council, postgresql_only):
    idea = make_idea(make_process(council), proposer=council.resident)

    def send():
        idea_support(user=council.supporter, idea=Idea.objects.get(pk=idea.pk))
        return "supported"

    outcomes = at_once(send, send, expected=Refused)
    codes = sorted(getattr(outcome, "code", outcome) for outcome in outcomes)
    assert codes == ["already", "supported"]
    assert Support.objects.filter(idea=idea).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_support_sent_while_the_idea_is_being_merged_away_is_refused(council, postgresql_only):
    """The merge holds the idea's row while it moves the supports it sees; a support sent then
    waits for it, and must not land on the idea merged away (where nobody would count it)."""
    process = make_process(council, Process.Stage.IDEAS)
    idea = make_idea(process, proposer=council.resident, title="Swings")
    carries_on = make_idea(process, proposer=council.resident, title="Swings and slides")
    seen = Idea.objects.get(pk=idea.pk)  # as the support's request read it: still proposed
    merging, merged = threading.Event(), threading.Event()
    outcome = []

    def merge() -> None:
        # What the merge does to the row, holding it as idea_merge does, until told to commit.
        try:
            with transaction.atomic():
                Idea.objects.select_for_update(of=("self",)).get(pk=idea.pk)
                Idea.objects.filter(pk=idea.pk).update(
                    status=Idea.Status.MERGED, merged_into=carries_on
                )
                merging.set()
                merged.wait(timeout=30)
        finally:
            connection.close()

    def send() -> None:
        try:
            idea_support(user=council.supporter, idea=seen)
            outcome.append("supported")
        except Refused as refusal:
            outcome.append(refusal.code)
        finally:
            connection.close()

    merger = threading.Thread(target=merge)
    merger.start()
    assert merging.wait(timeout=30)
    supporter = threading.Thread(target=send)
    supporter.start()
    # Let the merge commit only once the support is waiting for the idea's row.
    with connection.cursor() as cursor:
        for _attempt in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the support never waited for the merge")
    merged.set()
    merger.join()
    supporter.join()

    assert outcome == ["closed"]
    assert not Support.objects.exists()
