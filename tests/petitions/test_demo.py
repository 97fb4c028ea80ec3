"""seed_demo gives Northbridge a petition scheme and a petition in every state, one of them with
thousands of confirmed signatures across the wards, counted as the worker counts."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from petitions.models import Petition, PetitionPolicy, Signature


@pytest.mark.django_db
def test_seed_demo_has_petitions_in_every_state_and_a_viral_one_and_runs_twice_the_same():
    call_command("seed_demo")
    petitions = Petition.objects.filter(organisation__slug="northbridge")
    before = (petitions.count(), Signature.objects.count())
    call_command("seed_demo")

    assert (petitions.count(), Signature.objects.count()) == before
    assert {petition.stage for petition in petitions} == set(Petition.Stage.values)
    viral = petitions.order_by("-signature_count").first()
    assert viral.signature_count >= 3000
    assert viral.signature_count == viral.signatures.filter(status="confirmed").count()
    wards = [row for row in viral.ward_counts if row[0] is not None]
    assert len(wards) == 3 and sum(row[2] for row in viral.ward_counts) == viral.signature_count
    policy = PetitionPolicy.objects.get(organisation__slug="northbridge")
    assert sorted(policy.thresholds.values_list("signatures", flat=True)) == [500, 2500]
    now = timezone.now()
    pending = petitions.filter(status="pending")
    overdue = [p for p in pending if p.overdue_at(policy.overdue_days) < now]
    assert (pending.count(), len(overdue)) == (2, 1)
