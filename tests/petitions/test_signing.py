"""Signing a petition through the service: validation, the normalised address and the household
rule (also under concurrent attempts), repeat attempts that reveal nothing, every abuse control,
confirmation, and unconfirmed signatures expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services.signing import (
    Refused,
    confirmations_send,
    is_disposable,
    signature_confirm,
    signature_email_key,
    signature_from_token,
    signature_sign,
    unconfirmed_remove,
)
from tests.concurrency import at_once
from tests.petitions.conftest import drawn_token, make_petition

pytestmark = pytest.mark.django_db


def sign(petition, *, name="Ann Example", email="ann@example.org", postcode="m4 6aa",
         lives_here=True, ip="192.0.2.10", **extra):  # fmt: skip
    """Sign, then run what the worker runs within a second: the confirmation into the outbox."""
    signed = signature_sign(
        petition=petition,
        name=name,
        email=email,
        postcode=postcode,
        lives_here=lives_here,
        started=extra.pop("started", drawn_token()),
        ip=ip,
        **extra,
    )
    confirmations_send()
    return signed


def confirm_link(delivery: Delivery) -> str:
    return next(
        line.strip() for line in delivery.message["text"].splitlines() if "/confirm/" in line
    )


def token_of(delivery: Delivery) -> str:
    return confirm_link(delivery).rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def petition(council):
    return make_petition(council)


# The address ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "mailbox"),
    [
        ("Ann@Example.org", "ann@example.org"),
        ("a.n.n+petitions@gmail.com", "ann@gmail.com"),
        ("A.N.N@googlemail.com", "ann@gmail.com"),
        ("ann+news@outlook.com", "ann@outlook.com"),
        ("a.nn@outlook.com", "a.nn@outlook.com"),  # Outlook keeps dots
        ("ann+tag@example.org", "ann+tag@example.org"),  # unknown providers keep +tags
    ],
)
def test_addresses_are_compared_as_their_mailbox(typed, mailbox):
    assert signature_email_key(typed) == mailbox


def test_disposable_domains_and_their_subdomains_are_recognised():
    assert is_disposable("x@mailinator.com")
    assert is_disposable("x@mx.mailinator.com")
    assert not is_disposable("x@example.org")
    assert not is_disposable("x@gmail.com")


# Signing ----------------------------------------------------------------------------------------


def test_a_signature_is_pending_mapped_to_its_ward_and_sends_a_confirmation(council, petition):
    signed = sign(petition, hears_progress=True)

    signature = signed.signature
    assert (signature.status, signature.area, signature.postcode) == (
        Signature.Status.PENDING,
        council.ancoats,
        "M4 6AA",
    )
    assert signature.hears_progress and signature.ip == "192.0.2.10"
    delivery = Delivery.objects.get()
    assert delivery.to_email == "ann@example.org"
    assert f"/petitions/{petition.pk}/confirm/" in confirm_link(delivery)
    assert delivery.message["subject"].startswith("Confirm your signature")


def test_a_postcode_outside_the_wards_signs_without_a_ward(petition):
    assert sign(petition, postcode="SW1A 1AA").signature.area is None


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": " "}, {"name": ["Enter your name"]}),
        ({"name": "x" * 101}, {"name": ["Your name must be 100 characters or fewer"]}),
        ({"email": ""}, {"email": ["Enter your e-mail address"]}),
        (
            {"email": "ann@"},
            {"email": ["Enter an e-mail address in the correct format, like name@example.com"]},
        ),
        (
            {"email": "ann@mailinator.com"},
            {
                "email": [
                    "Use an e-mail address you keep: addresses from throwaway mail services "
                    "cannot sign"
                ]
            },
        ),
        ({"postcode": ""}, {"postcode": ["Enter your postcode"]}),
        ({"postcode": "NOT A CODE"}, {"postcode": ["Enter a real UK postcode, like M1 1AE"]}),
        (
            {"lives_here": False},
            {"lives_here": ["Confirm that you live, work or study in the area to sign"]},
        ),
    ],
)
def test_bad_input_is_explained_by_field_and_stores_nothing(petition, fields, errors):
    with pytest.raises(ValidationError) as caught:
        sign(petition, **fields)

    assert caught.value.message_dict == errors
    assert not Signature.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        (Petition.Status.PENDING, {}),
        (Petition.Status.REJECTED, {}),
        (Petition.Status.REMOVED, {}),
        (Petition.Status.OPEN, {"opened_days_ago": 400}),  # closed on its date
    ],
)
def test_a_petition_that_is_not_open_refuses_signatures(council, status, fields):
    petition = make_petition(council, status=status, **fields)

    with pytest.raises(Refused) as caught:
        sign(petition)

    assert caught.value.code == "closed"
    assert not Signature.objects.exists()


def test_only_supporters_sign_while_a_petition_gathers_them(council):
    sponsoring = make_petition(council, status=Petition.Status.SPONSORING)
    with pytest.raises(Refused):
        sign(sponsoring)

    assert sign(sponsoring, supporter=True).signature.is_supporter
    with pytest.raises(Refused):
        sign(make_petition(council), supporter=True, email="bob@example.org")


# One address, one household --------------------------------------------------------------------


def test_the_same_mailbox_signs_once_and_its_owner_is_told_instead(petition):
    first = sign(petition, email="a.n.n@gmail.com").signature

    again = sign(petition, email="ANN+x@googlemail.com")

    assert again.signature is None and again.repeat_of == first and again.notice_sent
    assert Signature.objects.count() == 1
    notice = Delivery.objects.order_by("pk").last()
    assert notice.to_email == "a.n.n@gmail.com"
    assert "tried to sign this petition again" in notice.message["text"]
    # Not confirmed yet: the notice carries a confirmation link again, for the same signature.
    # (Each link is signed afresh with the time it was made, so the two texts may differ.)
    assert f"/petitions/{petition.pk}/confirm/" in confirm_link(notice)
    assert signature_from_token(token=token_of(notice), petition_id=petition.pk) == first


def test_repeat_notices_stop_after_the_limit(petition, settings):
    settings.CIVIC_PETITION_REPEAT_NOTICES = 2
    sign(petition)

    results = [sign(petition).notice_sent for _attempt in range(4)]

    assert results == [True, True, False, False]
    assert Delivery.objects.count() == 3  # the confirmation and two notices


def test_a_second_person_of_the_household_signs_from_the_same_address(petition):
    sign(petition, name="Ann Example")

    partner = sign(petition, name="Sam Example", postcode="M4 6AA")
    third = sign(petition, name="Kit Example", postcode="M4 6AA")
    same_name = sign(petition, name="ann example", email="ANN@example.org")

    assert partner.signature.household_place == 2
    assert third.signature is None and same_name.signature is None
    assert Signature.objects.count() == 2


def test_a_second_person_elsewhere_cannot_use_the_address(petition):
    sign(petition, name="Ann Example", postcode="M4 6AA")

    assert sign(petition, name="Sam Example", postcode="M15 5AA").signature is None
    assert Signature.objects.count() == 1


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_many_attempts_at_once_with_one_address_store_at_most_two(council):
    petition = make_petition(council)

    def attempt(number: int):
        return lambda: sign(petition, name=f"Person {number % 3}", email="Shared+x@gmail.com")

    outcomes = at_once(*[attempt(number) for number in range(12)])
    stored = Signature.objects.filter(petition=petition)
    assert 1 <= stored.count() <= 2
    assert sorted(stored.values_list("household_place", flat=True)) in ([1], [1, 2])
    assert sum(outcome.signature is not None for outcome in outcomes) == stored.count()


# Abuse controls ---------------------------------------------------------------------------------


def test_the_honeypot_refuses_and_stores_nothing(petition):
    with pytest.raises(Refused) as caught:
        sign(petition, honeypot="http://spam.example")
    assert caught.value.code == "spam"
    assert not Signature.objects.exists()


def test_a_form_posted_too_soon_or_without_its_token_is_refused(petition, settings):
    settings.CIVIC_PETITION_MIN_SECONDS = 3
    for started in (drawn_token(seconds_ago=1), "", "forged"):
        with pytest.raises(Refused):
            sign(petition, started=started)
    assert not Signature.objects.exists()
    assert sign(petition, started=drawn_token(seconds_ago=4)).signature


def test_the_burst_limit_refuses_an_address_and_not_its_neighbour(petition, settings):
    settings.CIVIC_PETITION_SIGN_BURST = "3/m"

    for number in range(3):
        sign(petition, email=f"burst{number}@example.org", ip="198.51.100.7")
    with pytest.raises(Refused) as caught:
        sign(petition, email="burst9@example.org", ip="198.51.100.7")

    assert caught.value.code == "rate_limited"
    assert sign(petition, email="other@example.org", ip="198.51.100.8").signature
    assert Signature.objects.count() == 4


def test_the_sustained_limit_counts_over_the_longer_window(petition, settings):
    settings.CIVIC_PETITION_SIGN_SUSTAINED = "2/h"

    sign(petition, email="one@example.org", ip="198.51.100.9")
    sign(petition, email="two@example.org", ip="198.51.100.9")
    with pytest.raises(Refused):
        sign(petition, email="three@example.org", ip="198.51.100.9")


def test_networks_on_the_allow_list_are_not_limited(petition, settings):
    settings.CIVIC_PETITION_SIGN_BURST = "1/m"
    settings.CIVIC_PETITION_IP_ALLOWLIST = ["203.0.113.0/24"]

    for number in range(3):
        assert sign(petition, email=f"lib{number}@example.org", ip="203.0.113.40").signature


# Confirming ------------------------------------------------------------------------------------


def test_confirming_counts_once_and_a_second_confirmation_changes_nothing(petition):
    sign(petition)
    token = token_of(Delivery.objects.get())
    signature = signature_from_token(token=token, petition_id=petition.pk)

    assert signature_confirm(signature=signature) is True
    assert signature_confirm(signature=signature) is False
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED and signature.confirmed_at


def test_a_token_for_another_petition_or_forged_finds_nothing(council, petition):
    sign(petition)
    token = token_of(Delivery.objects.get())
    other = make_petition(council, title="Another")

    assert signature_from_token(token=token, petition_id=other.pk) is None
    assert signature_from_token(token=token[:-2] + "xx", petition_id=petition.pk) is None


def test_a_link_past_its_days_no_longer_confirms(petition, settings):
    sign(petition)
    token = token_of(Delivery.objects.get())
    settings.CIVIC_PETITION_CONFIRM_DAYS = 0

    assert signature_from_token(token=token, petition_id=petition.pk) is None


def test_an_invalidated_signature_cannot_be_confirmed(petition):
    signature = sign(petition).signature
    Signature.objects.filter(pk=signature.pk).update(status=Signature.Status.INVALIDATED)
    signature.refresh_from_db()

    with pytest.raises(Refused):
        signature_confirm(signature=signature)


def test_a_petition_that_closed_refuses_confirmations(petition):
    signature = sign(petition).signature
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now())
    signature.petition.refresh_from_db()

    with pytest.raises(Refused) as caught:
        signature_confirm(signature=signature)
    assert caught.value.code == "closed"


def test_unconfirmed_signatures_expire_and_confirmed_ones_stay(petition):
    old = sign(petition, email="old@example.org").signature
    fresh = sign(petition, email="fresh@example.org").signature
    kept = sign(petition, email="kept@example.org").signature
    signature_confirm(signature=kept)
    long_ago = timezone.now() - timedelta(days=8)
    Signature.objects.filter(pk__in=[old.pk, kept.pk]).update(created_at=long_ago)

    assert unconfirmed_remove() == 1
    assert set(Signature.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}


def test_a_supporter_may_confirm_after_enough_others_sent_the_petition_to_moderation(council):
    sponsoring = make_petition(council, status=Petition.Status.SPONSORING)
    signature = sign(sponsoring, supporter=True).signature
    Petition.objects.filter(pk=sponsoring.pk).update(status=Petition.Status.PENDING)
    signature.petition.refresh_from_db()

    assert signature_confirm(signature=signature) is True


def test_a_closed_petition_says_so_before_checking_the_fields(council):
    closed = make_petition(council, status=Petition.Status.REJECTED)
    with pytest.raises(Refused):
        sign(closed, name="", email="")


# The confirmation e-mails, put in the outbox by a worker ----------------------------------------


def test_signing_writes_no_mail_and_the_worker_writes_one_confirmation_each(council, petition):
    for number in range(3):
        signature_sign(petition=petition, name=f"Signer {number}", postcode="M4 6AA",
                       email=f"s{number}@example.org", lives_here=True,
                       started=drawn_token())  # fmt: skip
    other = make_petition(council, title="Open the library on Sundays")
    signature_sign(petition=other, name="Olive", email="olive@example.org", postcode="M4 6AA",
                   lives_here=True, started=drawn_token())  # fmt: skip
    assert not Delivery.objects.exists()

    assert confirmations_send(petition_id=petition.pk) == 3
    assert sorted(Delivery.objects.values_list("to_email", flat=True)) == [
        "s0@example.org",
        "s1@example.org",
        "s2@example.org",
    ]
    assert confirmations_send(petition_id=petition.pk) == 0  # a second run repeats nobody
    assert confirmations_send() == 1  # the sweep finds the other petition's
    assert Delivery.objects.count() == 4


def test_an_invalidated_signature_is_sent_no_confirmation(council, petition):
    signature = signature_sign(petition=petition, name="Ann", email="ann@example.org",
                               postcode="M4 6AA", lives_here=True,
                               started=drawn_token()).signature  # fmt: skip
    Signature.objects.filter(pk=signature.pk).update(status=Signature.Status.INVALIDATED)

    assert confirmations_send() == 0
    assert not Delivery.objects.exists()


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_workers_sending_confirmations_at_once_send_each_exactly_once(council):
    petition = make_petition(council)
    for number in range(40):
        signature_sign(petition=petition, name=f"Signer {number}", postcode="M4 6AA",
                       email=f"s{number}@example.org", lives_here=True,
                       started=drawn_token())  # fmt: skip

    def work():
        return confirmations_send(petition_id=petition.pk)

    assert sum(at_once(work, work, work, work)) == 40
    assert Delivery.objects.count() == 40
    assert Delivery.objects.values("to_email").distinct().count() == 40


def test_each_confirmation_in_a_batch_carries_its_own_name_and_link(petition):
    names = ["Ann O'Neill & Co", "Bo {{ signature.name }}"]
    for number, name in enumerate(names):
        signature_sign(petition=petition, name=name, email=f"s{number}@example.org",
                       postcode="M4 6AA", lives_here=True, started=drawn_token())  # fmt: skip
    confirmations_send()

    for number, name in enumerate(names):
        delivery = Delivery.objects.get(to_email=f"s{number}@example.org")
        assert delivery.message["text"].startswith(f"Dear {name},")
        assert (
            delivery.message["subject"] == "Confirm your signature: Plant more trees on Oxford Road"
        )
        signature = signature_from_token(token=token_of(delivery), petition_id=petition.pk)
        assert signature.email == f"s{number}@example.org"
