"""The published count: counted from confirmed signatures by a worker (never +1 per signature),
by ward, thresholds crossed once with the petitions team told, supporters sending a petition to
moderation, the scheduled recount finding drift, and officers' invalidation recounted."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civic.models import AuditEntry
from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services import (
    invalidation_clean,
    signatures_invalidate,
    signatures_matching,
)
from petitions.services.counting import petition_count, petitions_recount
from petitions.services.signing import signature_confirm, signature_sign
from tests.petitions.conftest import add_signatures, drawn_token, make_petition
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


def test_the_count_is_of_confirmed_signatures_by_ward(council):
    petition = make_petition(council)
    add_signatures(petition, 3, area=council.ancoats, prefix="a")
    add_signatures(petition, 2, area=council.hulme, prefix="h")
    add_signatures(petition, 1, area=None, prefix="x")
    add_signatures(petition, 4, area=council.hulme, prefix="p", status="pending")
    add_signatures(petition, 2, area=council.hulme, prefix="i", status="invalidated")

    assert petition_count(petition_id=petition.pk) == 6

    petition.refresh_from_db()
    assert petition.signature_count == 6
    assert petition.ward_counts == [
        [council.ancoats.pk, "Ancoats", 3],
        [council.hulme.pk, "Hulme", 2],
        [None, "Outside the council's wards", 1],
    ]
    assert petition.counted_at is not None


def test_confirming_does_not_touch_the_petition_row_but_asks_for_a_count(
    council, django_capture_on_commit_callbacks
):
    petition = make_petition(council)
    signature = signature_sign(
        petition=petition,
        name="Ann",
        email="ann@example.org",
        postcode="M4 6AA",
        lives_here=True,
        started=drawn_token(),
    ).signature

    with django_capture_on_commit_callbacks() as queued:
        signature_confirm(signature=signature)

    petition.refresh_from_db()
    assert petition.signature_count == 0  # until the worker counts
    assert len(queued) == 1


def test_crossing_a_threshold_is_recorded_once_and_tells_the_petitions_team(council):
    petition = make_petition(council)
    add_signatures(petition, 9)
    petition_count(petition_id=petition.pk)
    petition.refresh_from_db()
    assert petition.response_due_at is None and not Delivery.objects.exists()

    add_signatures(petition, 1, prefix="tenth")
    petition_count(petition_id=petition.pk)
    petition_count(petition_id=petition.pk)

    petition.refresh_from_db()
    assert petition.response_due_at is not None and petition.debate_due_at is None
    assert petition.stage == Petition.Stage.AWAITING_RESPONSE
    told = Delivery.objects.get()
    assert told.to_email == council.moderator.email
    assert "10 confirmed signatures" in told.message["text"]
    assert "A response from the council" in told.message["text"]

    add_signatures(petition, 10, prefix="more")
    petition_count(petition_id=petition.pk)
    petition.refresh_from_db()
    assert petition.debate_due_at is not None
    assert Delivery.objects.count() == 2


def test_enough_confirmed_supporters_send_a_petition_to_moderation(council):
    petition = make_petition(council, status=Petition.Status.SPONSORING)
    supporters = add_signatures(petition, 4)
    Signature.objects.filter(pk__in=[s.pk for s in supporters]).update(is_supporter=True)
    add_signatures(petition, 3, prefix="pending", status="pending")
    petition_count(petition_id=petition.pk)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.SPONSORING

    fifth = add_signatures(petition, 1, prefix="fifth")[0]
    Signature.objects.filter(pk=fifth.pk).update(is_supporter=True)
    petition_count(petition_id=petition.pk)

    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING and petition.submitted_at is not None
    told = Delivery.objects.get()
    assert told.to_email == council.resident.email
    assert "moderators are now checking it" in told.message["text"]


def test_the_scheduled_recount_corrects_and_logs_drift(council, caplog):
    petition = make_petition(council)
    add_signatures(petition, 4)
    petition_count(petition_id=petition.pk)
    Petition.objects.filter(pk=petition.pk).update(signature_count=7)  # a lost count, say

    with caplog.at_level(logging.WARNING, logger="petitions.services.counting"):
        assert petitions_recount() == {"counted": 1, "drifted": 1}

    petition.refresh_from_db()
    assert petition.signature_count == 4
    assert "showed 7 signatures but has 4 confirmed" in caplog.text
    assert petitions_recount() == {"counted": 1, "drifted": 0}


# Officers' invalidation --------------------------------------------------------------------------


def _spread(council, petition):
    """Signatures from two addresses, two domains, two postcodes and two days."""
    now = timezone.now()
    add_signatures(petition, 3, area=council.ancoats, prefix="bot")
    add_signatures(petition, 2, area=council.hulme, prefix="real")
    for number, signature in enumerate(Signature.objects.filter(email__startswith="bot")):
        Signature.objects.filter(pk=signature.pk).update(
            ip=f"198.51.100.{20 + number}",
            email=f"bot{number}@spam.example",
            email_normalised=f"bot{number}@spam.example",
            created_at=now - timedelta(days=2),
        )
    Signature.objects.filter(email__startswith="real").update(ip="203.0.113.5")
    petition_count(petition_id=petition.pk)


@pytest.mark.parametrize(
    ("given", "matched"),
    [
        ({"ip": "198.51.100.21"}, 1),
        ({"ip": "198.51.100.0/24"}, 3),
        ({"domain": "spam.example"}, 3),
        ({"domain": "@SPAM.example"}, 3),
        ({"postcode": "m15 5aa"}, 2),
        ({"until": "yesterday"}, 3),
        ({"since": "yesterday"}, 2),
    ],
)
def test_officers_invalidate_signatures_and_the_count_follows(council, given, matched):
    petition = make_petition(council)
    _spread(council, petition)
    yesterday = timezone.now() - timedelta(days=1)
    given = {key: yesterday if value == "yesterday" else value for key, value in given.items()}
    invalidation = invalidation_clean(**given)

    assert signatures_matching(petition, invalidation).count() == matched
    changed = signatures_invalidate(
        actor=council.moderator, petition=petition, invalidation=invalidation, reason="Bots"
    )

    assert changed == matched
    petition.refresh_from_db()
    assert petition.signature_count == 5 - matched
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MODERATE)
    assert entry.summary.startswith(f"Invalidated {matched} signatures (")


def test_invalidation_needs_a_criterion_and_valid_values(council):
    with pytest.raises(ValidationError) as caught:
        invalidation_clean()
    assert "at least one" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        invalidation_clean(ip="not-an-ip", domain="nodot")
    assert set(caught.value.message_dict) == {"ip", "domain"}


def test_an_officer_of_another_department_cannot_invalidate(council):
    petition = make_petition(council)
    add_signatures(petition, 2)

    with pytest.raises(PermissionDenied):
        signatures_invalidate(
            actor=council.other_officer,
            petition=petition,
            invalidation=invalidation_clean(domain="example.org"),
            reason="No",
        )
    assert not Signature.objects.filter(status="invalidated").exists()
    assert not AuditEntry.objects.exists()


# With a real worker ---------------------------------------------------------------------------


def _three_signed(petition) -> list:
    """Three signatures from Hulme, pending, signed as the form signs."""
    return [
        signature_sign(
            petition=petition,
            name=f"Signer {number}",
            email=f"signer{number}@example.org",
            postcode="M15 5AA",
            lives_here=True,
            started=drawn_token(),
        ).signature
        for number in range(3)
    ]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_counts_confirmations_within_seconds(celery_worker, council, settings):
    settings.CIVIC_PETITION_COUNT_SECONDS = 0.5
    petition = make_petition(council)
    for signature in _three_signed(petition):
        signature_confirm(signature=signature)

    def counted():
        petition.refresh_from_db()
        return petition.signature_count == 3

    wait_for(counted, message=f"not counted:\n{celery_worker.log()}")
    assert petition.ward_counts == [[council.hulme.pk, "Hulme", 3]]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_mails_the_confirmations_of_new_signatures_within_seconds(celery_worker, council):
    petition = make_petition(council)
    _three_signed(petition)

    def all_sent():
        return Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3

    wait_for(all_sent, message=f"not mailed:\n{celery_worker.log()}")
    mailed = sorted(Delivery.objects.values_list("to_email", flat=True))
    assert mailed == [f"signer{number}@example.org" for number in range(3)]
    assert len(celery_worker.mail()) == 3
    assert not Signature.objects.filter(confirmation_queued_at__isnull=True).exists()
