"""seed_demo gives Northbridge a budget process in every phase, with ideas in several statuses,
and runs twice the same."""

import pytest
from django.core.management import call_command

from budgets.models import Idea, Process, Support


@pytest.mark.django_db
def test_seed_demo_has_a_process_in_every_phase_and_runs_twice_the_same():
    call_command("seed_demo")
    before = (Process.objects.count(), Idea.objects.count(), Support.objects.count())
    call_command("seed_demo")

    assert (Process.objects.count(), Idea.objects.count(), Support.objects.count()) == before
    stages = {process.stage for process in Process.objects.all()}
    assert stages == set(Process.Stage.values) - {Process.Stage.DRAFT}
    assert set(Idea.objects.values_list("status", flat=True)) == set(Idea.Status.values)
    assert Support.objects.count() > 20
