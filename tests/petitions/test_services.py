"""Starting a petition, moderation through the services (each reason and its e-mail, the lock,
the transitions), closing on time, the council's response and debate e-mailed to opted-in
signers only, and signatures anonymised after closing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civic.models import AuditEntry, Role
from contacts.models import Activity, Contact
from contacts.services import consent_is_live
from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services import (
    debate_publish,
    debate_schedule,
    moderation_lock,
    petition_create,
    petition_from_support_token,
    petition_publish,
    petition_purpose,
    petition_reject,
    petition_remove,
    response_publish,
    signatures_anonymise,
    signatures_record,
    signers_notify,
)
from tests.factories import RoleFactory
from tests.petitions.conftest import add_signatures, make_petition

pytestmark = pytest.mark.django_db


def create(council, **fields):
    values = {
        "user": council.resident,
        "organisation": council.organisation,
        "title": "Plant more trees on Oxford Road",
        "background": "The road is hot and grey.",
        "name": "Cara Creator",
        "postcode": "m15 5aa",
    }
    values.update(fields)
    return petition_create(**values)


def mails_to(email: str) -> list[Delivery]:
    return list(Delivery.objects.filter(to_email=email).order_by("pk"))


# Starting ---------------------------------------------------------------------------------------


def test_a_resident_starts_a_petition_that_gathers_supporters(council):
    started = create(council, area=council.hulme, hears_progress=True)

    petition = started.petition
    assert (petition.status, petition.department, petition.area) == (
        Petition.Status.SPONSORING,
        council.team,
        council.hulme,
    )
    creator_signature = petition.signatures.get()
    assert creator_signature.status == Signature.Status.CONFIRMED
    assert (creator_signature.email, creator_signature.area) == (
        "creator@example.org",
        council.hulme,
    )
    token = started.support_url.rstrip("/").rsplit("/", 1)[1]
    assert petition_from_support_token(token) == petition
    (mail,) = mails_to("creator@example.org")
    assert started.support_url in mail.message["text"]
    assert "5 supporters need to sign it" in mail.message["text"]


def test_starting_explains_each_missing_field_and_stores_nothing(council):
    with pytest.raises(ValidationError) as caught:
        create(council, title="", background="", name="", postcode="")

    assert caught.value.message_dict == {
        "title": ["Enter what you want the council to do"],
        "background": ["Enter why the council should do it"],
        "name": ["Enter your name"],
        "postcode": ["Enter your postcode"],
    }
    assert not Petition.objects.exists()


def test_starting_refuses_too_long_text_and_another_councils_area(council):
    from tests.factories import AreaFactory

    elsewhere = AreaFactory()
    with pytest.raises(ValidationError) as caught:
        create(council, title="x" * 101, details="y" * 2001, area=elsewhere)
    assert set(caught.value.message_dict) == {"title", "details", "area"}


def test_a_council_without_a_petition_scheme_takes_no_petitions(council):
    council.policy.delete()
    with pytest.raises(ValidationError):
        create(council)


# Moderation -------------------------------------------------------------------------------------


def test_publishing_opens_the_petition_for_the_schemes_period_and_tells_the_creator(council):
    petition = make_petition(council, status=Petition.Status.PENDING)

    petition_publish(actor=council.moderator, petition=petition)

    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN and petition.stage == Petition.Stage.OPEN
    assert petition.closes_at - petition.opened_at == timedelta(days=182)
    assert petition.moderated_by == council.moderator
    assert "has been published" in mails_to(council.resident.email)[0].message["text"]
    assert AuditEntry.objects.get().summary == "Published the petition"


@pytest.mark.parametrize("reason", Petition.Reason.values)
def test_each_rejection_reason_and_its_explanation_are_e_mailed(council, reason):
    petition = make_petition(council, status=Petition.Status.PENDING)

    petition_reject(
        actor=council.moderator,
        petition=petition,
        reason=reason,
        explanation="We already have a scheme for this.",
    )

    petition.refresh_from_db()
    assert (petition.status, petition.rejection_reason) == (Petition.Status.REJECTED, reason)
    text = mails_to(council.resident.email)[0].message["text"]
    assert str(Petition.Reason(reason).label) in text
    assert "We already have a scheme for this." in text
    assert "stays on the site" in text


def test_a_rejection_may_be_hidden_for_legal_reasons(council):
    petition = make_petition(council, status=Petition.Status.PENDING)

    petition_reject(
        actor=council.moderator,
        petition=petition,
        reason=Petition.Reason.LEGAL,
        explanation="It names a case before the courts.",
        hide=True,
    )

    petition.refresh_from_db()
    assert petition.status == Petition.Status.HIDDEN
    assert "not shown on the site" in mails_to(council.resident.email)[0].message["text"]


def test_a_rejection_needs_a_reason_and_an_explanation(council):
    petition = make_petition(council, status=Petition.Status.PENDING)
    with pytest.raises(ValidationError) as caught:
        petition_reject(actor=council.moderator, petition=petition, reason="", explanation=" ")
    assert set(caught.value.message_dict) == {"rejection_reason", "rejection_details"}
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING
    assert not Delivery.objects.exists()


def test_a_petition_held_by_one_moderator_is_refused_to_another(council, clock):
    petition = make_petition(council, status=Petition.Status.PENDING)
    colleague = RoleFactory(
        organisation=council.organisation, kind=Role.Kind.OFFICER, departments=[council.team]
    ).user
    assert moderation_lock(actor=council.moderator, petition=petition, now=clock.now)

    assert not moderation_lock(actor=colleague, petition=petition, now=clock.now)
    with pytest.raises(ValidationError) as caught:
        petition_publish(actor=colleague, petition=petition, now=clock.now)
    assert caught.value.code == "locked"
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING

    clock.advance(minutes=16)
    assert moderation_lock(actor=colleague, petition=petition, now=clock.now)
    petition_publish(actor=colleague, petition=petition, now=clock.now)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN


def test_moves_outside_the_lifecycle_are_refused(council):
    rejected = make_petition(council, status=Petition.Status.REJECTED)
    with pytest.raises(ValidationError) as caught:
        petition_publish(actor=council.moderator, petition=rejected)
    assert caught.value.code == "transition"


def test_officers_of_other_departments_cannot_moderate(council):
    petition = make_petition(council, status=Petition.Status.PENDING)
    with pytest.raises(PermissionDenied):
        petition_publish(actor=council.other_officer, petition=petition)
    with pytest.raises(PermissionDenied):
        moderation_lock(actor=council.other_officer, petition=petition)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING and petition.locked_by is None
    assert not AuditEntry.objects.exists() and not Delivery.objects.exists()


def test_the_organisation_admin_may_moderate(council):
    petition = make_petition(council, status=Petition.Status.PENDING)
    petition_publish(actor=council.admin, petition=petition)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN


def test_removing_needs_a_reason_and_is_audited(council):
    petition = make_petition(council)
    with pytest.raises(ValidationError):
        petition_remove(actor=council.moderator, petition=petition, reason="")

    petition_remove(actor=council.moderator, petition=petition, reason="Defamatory")

    petition.refresh_from_db()
    assert petition.status == Petition.Status.REMOVED
    assert AuditEntry.objects.get().summary == "Removed the petition: Defamatory"


def test_a_published_petition_closes_on_its_date_without_anyone_acting(council):
    petition = make_petition(council, opened_days_ago=10)
    closes = petition.closes_at

    assert petition.stage_at(closes - timedelta(seconds=1)) == Petition.Stage.OPEN
    assert petition.stage_at(closes) == Petition.Stage.CLOSED
    assert list(Petition.objects.in_stage("closed", now=closes)) == [petition]
    assert list(Petition.objects.in_stage("open", now=closes)) == []


# The council's answer ---------------------------------------------------------------------------


def _signers(council, petition):
    """Two confirmed signers who asked to hear, one who did not, one pending who asked."""
    add_signatures(petition, 2, prefix="heard", hears_progress=True)
    add_signatures(petition, 1, prefix="quiet")
    add_signatures(petition, 1, prefix="unconfirmed", status="pending", hears_progress=True)


def test_signers_who_asked_become_contacts_with_that_consent_once(council):
    petition = make_petition(council)
    _signers(council, petition)

    assert signatures_record() == 2
    assert signatures_record() == 0

    purpose = petition_purpose(petition)
    contacts = Contact.objects.filter(organisation=council.organisation).order_by("email")
    assert [contact.email for contact in contacts] == ["heard0@example.org", "heard1@example.org"]
    assert all(consent_is_live(contact=contact, purpose=purpose) for contact in contacts)
    assert Activity.objects.filter(kind="signature").count() == 2


def test_the_response_is_e_mailed_to_confirmed_signers_who_asked_only(
    council, django_capture_on_commit_callbacks
):
    petition = make_petition(council, response_due_at=timezone.now())
    _signers(council, petition)

    with django_capture_on_commit_callbacks() as queued:
        response_publish(actor=council.moderator, petition=petition, text="We will plant 40.")
    assert len(queued) == 2  # the cached page forgotten and the worker's task, once this commits
    assert signers_notify(petition_id=petition.pk, template="response") == 2

    petition.refresh_from_db()
    assert petition.stage == Petition.Stage.RESPONDED
    mailed = sorted(Delivery.objects.values_list("to_email", flat=True))
    assert mailed == ["heard0@example.org", "heard1@example.org"]
    assert "We will plant 40." in Delivery.objects.first().message["text"]


def test_signers_are_mailed_in_batches_each_once_with_a_worker_woken_per_chunk(
    council, monkeypatch, django_capture_on_commit_callbacks
):
    import mailing.services.notices

    monkeypatch.setattr(mailing.services.notices, "NOTICE_BATCH", 1)
    petition = make_petition(council, response="We will plant 40.")
    _signers(council, petition)

    with django_capture_on_commit_callbacks() as wakes:
        assert signers_notify(petition_id=petition.pk, template="response") == 2

    assert len(wakes) == 2  # one INSERT and one wake-up per batch
    mailed = list(Delivery.objects.order_by("to_email").values_list("to_email", "contact__email"))
    assert mailed == [("heard0@example.org",) * 2, ("heard1@example.org",) * 2]


def test_a_signer_who_withdrew_consent_hears_nothing(council):
    from contacts.services import consent_withdraw

    petition = make_petition(council)
    _signers(council, petition)
    signatures_record()
    contact = Contact.objects.get(email="heard0@example.org")
    consent_withdraw(contact=contact, purpose=petition_purpose(petition), method="test")

    assert signers_notify(petition_id=petition.pk, template="response") == 1


def test_the_debate_is_scheduled_then_its_outcome_e_mailed(council):
    petition = make_petition(council, debate_due_at=timezone.now())
    _signers(council, petition)
    when = timezone.localdate() + timedelta(days=14)

    debate_schedule(actor=council.moderator, petition=petition, when=when)
    petition.refresh_from_db()
    assert petition.stage == Petition.Stage.DEBATE_SCHEDULED
    with pytest.raises(ValidationError):  # it has not happened yet
        debate_publish(actor=council.moderator, petition=petition, summary="Agreed.")

    debate_schedule(actor=council.moderator, petition=petition, when=date.today())
    debate_publish(
        actor=council.moderator,
        petition=petition,
        summary="Council agreed to plant trees.",
        minutes_url="https://example.org/minutes",
        video_url="https://example.org/video",
    )
    assert signers_notify(petition_id=petition.pk, template="debated") == 2
    petition.refresh_from_db()
    assert petition.stage == Petition.Stage.DEBATED
    text = Delivery.objects.first().message["text"]
    assert "Council agreed to plant trees." in text and "https://example.org/minutes" in text


# Anonymising ------------------------------------------------------------------------------------


def test_signatures_are_anonymised_after_the_schemes_days_from_closing(council):
    ended = make_petition(council, opened_days_ago=182 + 183)
    recent = make_petition(council, title="Recent", opened_days_ago=190)
    add_signatures(ended, 3, area=council.hulme)
    add_signatures(recent, 2, prefix="recent")

    assert signatures_anonymise() == 3

    gone = Signature.objects.filter(petition=ended)
    assert set(gone.values_list("name", "email", "postcode", "ip")) == {("", "", "", None)}
    assert all(s.email_normalised == f"anonymised-{s.pk}" for s in gone)
    assert gone.filter(area=council.hulme, status="confirmed").count() == 3  # counts still hold
    assert Signature.objects.filter(petition=recent, name="").count() == 0
    ended.refresh_from_db()
    assert ended.anonymised_at is not None
    assert signatures_anonymise() == 0
