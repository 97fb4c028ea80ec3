"""A process is published only once it passes its checks (its dates in order, a budget), by
those who run it, once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.models import Budget, Process
from budgets.services import process_publish
from civic.models import AuditEntry
from tests.budgets.conftest import dates_for, make_process
from tests.budgets.factories import ProcessFactory

pytestmark = pytest.mark.django_db
Stage = Process.Stage


def test_a_draft_without_dates_or_budgets_is_not_published_and_says_why(council):
    process = ProcessFactory(
        department=council.team,
        status=Process.Status.DRAFT,
        voting_opens_at=None,
        review_starts_at=dates_for(Stage.IDEAS)["ideas_open_at"],  # before ideas open
        ideas_open_at=dates_for(Stage.UPCOMING)["ideas_open_at"],
    )
    with pytest.raises(ValidationError) as caught:
        process_publish(actor=council.officer, process=process)
    problems = caught.value.message_dict
    assert problems["voting_opens_at"] == ["Enter the date voting opens"]
    assert problems["review_starts_at"] == ["Review starts must be after ideas open"]
    assert problems["__all__"] == ["Add at least one budget: citywide, or for an area"]
    process.refresh_from_db()
    assert process.status == Process.Status.DRAFT
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PUBLISH).exists()


def test_every_approval_budget_without_a_most_projects_limit_is_named(council):
    process = make_process(council, Stage.UPCOMING, status=Process.Status.DRAFT)
    process.budgets.update(style=Budget.Style.APPROVAL, max_projects=None)
    with pytest.raises(ValidationError) as caught:
        process_publish(actor=council.officer, process=process)
    named = [message for messages in caught.value.message_dict.values() for message in messages]
    for budget in process.budgets.all():
        assert f"Give the budget “{budget.name}” the most projects a voter may choose" in named


def test_an_officer_of_the_team_publishes_a_draft_once(council, clock):
    process = make_process(council, Stage.UPCOMING, status=Process.Status.DRAFT)
    process_publish(actor=council.officer, process=process, now=clock.now)
    process.refresh_from_db()
    assert (process.status, process.published_at) == (Process.Status.PUBLISHED, clock.now)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert (entry.actor, entry.object_repr) == (council.officer, f"Budget process #{process.pk}")
    with pytest.raises(ValidationError) as caught:
        process_publish(actor=council.officer, process=process)
    assert caught.value.messages == ["This process is already published."]


@pytest.mark.parametrize("who", ["other_officer", "other_council_officer", "resident"])
def test_only_those_who_run_the_process_publish_it(council, who):
    process = make_process(council, status=Process.Status.DRAFT)
    with pytest.raises(PermissionDenied):
        process_publish(actor=getattr(council, who), process=process)
    process.refresh_from_db()
    assert process.status == Process.Status.DRAFT
