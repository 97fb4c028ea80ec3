"""One lifecycle (civic.lifecycle, civic.services.state_move) and dated phases (civic.phases).

The rules hold for every model and module, found from the app registry and the source tree, so
that a new feature app is checked as soon as it is installed:
- every model whose `status` field has choices declares a `lifecycle` naming exactly them;
- no module outside `state_move` assigns a `status` by hand.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from civic.lifecycle import Lifecycle
from civic.models import AuditEntry
from civic.phases import Phase, Phases
from civic.services import state_move
from consultations.models import Consultation
from mailing.models import Campaign
from tests.civic.test_layering import BASE, first_party_apps
from tests.consultations.factories import ConsultationFactory
from tests.mailing.factories import CampaignFactory

# Lines that write a status and are not a move, with the reason.
NOT_MOVES = {
    # The admin's formset would save the officer's new status with the row; the old one is put
    # back so that the move goes through the service (which tells residents).
    ("consultations/admin.py", 'action.status = action_form.initial["status"]'),
    # A statement of the council's own is made shown (it needs no check): a row being created,
    # not a move; the inline's save is audited.
    ("debates/admin_conversations.py", "instance.status = Statement.Status.SHOWN"),
}


def first_party_models() -> list[type[models.Model]]:
    names = set(first_party_apps())
    return [model for model in apps.get_models() if model._meta.app_label in names]


def test_every_model_with_a_status_declares_its_lifecycle():
    checked = []
    for model in first_party_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "status"), None)
        if field is None or not field.choices:
            continue
        lifecycle = getattr(model, "lifecycle", None)
        assert isinstance(lifecycle, Lifecycle), f"{model.__name__} has no lifecycle"
        assert lifecycle.field == "status", model.__name__
        assert set(lifecycle.states.values) == {value for value, _label in field.choices}, (
            f"{model.__name__}.lifecycle names other states than its status field"
        )
        checked.append(model.__name__)
    # The rule reaches the models it was written for.
    assert {"Petition", "Campaign", "ContactImport", "PostcodeImport", "Signature"} <= set(checked)


def test_every_declared_lifecycle_reads_a_state_it_knows():
    declared = [
        m for m in first_party_models() if isinstance(getattr(m, "lifecycle", None), Lifecycle)
    ]
    assert Consultation in declared  # read from its dates, not a status column
    for model in declared:
        if model.lifecycle.field is not None:
            model._meta.get_field(model.lifecycle.field)
        for state in model.lifecycle.states.values:
            for target in model.lifecycle.moves_from(state):
                assert target in model.lifecycle.states.values


def _status_writes(path: Path) -> list[str]:
    """Lines of a module that assign to an attribute called `status` (alone or in a tuple)."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = []
            for target in targets:
                flat.extend(target.elts if isinstance(target, ast.Tuple) else [target])
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in flat):
                found.append(lines[node.lineno - 1].strip())
    return found


def test_no_module_writes_a_status_except_through_state_move():
    offending = []
    scanned = 0
    for app in first_party_apps():
        for path in sorted((BASE / app).rglob("*.py")):
            relative = path.relative_to(BASE).as_posix()
            # Migrations replay history; demo seeders write made-up history as it would stand.
            if "/migrations/" in relative or relative.endswith("/demo.py"):
                continue
            scanned += 1
            for line in _status_writes(path):
                if (relative, line) not in NOT_MOVES:
                    offending.append(f"{relative}: {line}")
    assert scanned > 50
    assert offending == [], "Make the move with civic.services.state_move:\n" + "\n".join(offending)


def test_the_scan_finds_a_status_written_by_hand(tmp_path):
    module = tmp_path / "services.py"
    module.write_text("def go(row):\n    row.status = 'open'\n    row.status, row.at = 1, 2\n")
    assert _status_writes(module) == ["row.status = 'open'", "row.status, row.at = 1, 2"]


class Colour(models.TextChoices):
    RED = "red", "Red"
    GREEN = "green", "Green"


def test_a_lifecycle_must_name_every_state_and_only_known_targets():
    with pytest.raises(ValueError, match="every state"):
        Lifecycle(Colour, {Colour.RED: {Colour.GREEN}})
    with pytest.raises(ValueError, match="unknown"):
        Lifecycle(Colour, {Colour.RED: {"blue"}, Colour.GREEN: set()})
    lifecycle = Lifecycle(Colour, {Colour.RED: {Colour.GREEN}, Colour.GREEN: set()})
    assert lifecycle.sources(Colour.GREEN) == {"red"}
    assert lifecycle.movable() == {"red"}
    assert lifecycle.final() == {"green"}


@pytest.mark.django_db
def test_a_move_writes_the_state_its_fields_and_one_audit_entry(cast):
    campaign = CampaignFactory(organisation=cast.council)
    state_move(
        campaign,
        Campaign.Status.CANCELLED,
        actor=cast.facilitator,
        summary="Cancel campaign",
        fields={"name": "Renamed"},
    )
    campaign.refresh_from_db()
    assert (campaign.status, campaign.name) == ("cancelled", "Renamed")
    entry = AuditEntry.objects.get(object_id=str(campaign.pk))
    assert (entry.actor, entry.summary, entry.action) == (
        cast.facilitator,
        "Cancel campaign",
        AuditEntry.Action.EDIT,
    )


@pytest.mark.django_db
def test_a_refused_move_says_why_and_changes_nothing(cast):
    campaign = CampaignFactory(organisation=cast.council, status=Campaign.Status.SENT)
    with pytest.raises(ValidationError) as refused:
        state_move(
            campaign,
            Campaign.Status.PAUSED,
            actor=cast.facilitator,
            summary="Pause campaign",
            fields={"name": "Renamed"},
        )
    assert refused.value.messages == ["Only a campaign that is sending can be paused."]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.name) != ("paused", "Renamed")
    assert not AuditEntry.objects.filter(object_id=str(campaign.pk)).exists()


@pytest.mark.django_db
def test_a_move_by_an_officer_must_be_audited(cast):
    campaign = CampaignFactory(organisation=cast.council)
    with pytest.raises(ValueError, match="summary"):
        state_move(campaign, Campaign.Status.CANCELLED, actor=cast.facilitator, summary=None)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.django_db
def test_the_default_refusal_names_both_states(cast):
    consultation = ConsultationFactory(department=cast.department, published_at=None)
    state_move(
        consultation,
        Consultation.Status.PUBLISHED,
        actor=None,
        summary=None,
        fields={"published_at": consultation.opens_at},
    )
    with pytest.raises(ValidationError, match="already published"):
        Consultation.lifecycle.check(consultation, Consultation.Status.PUBLISHED)
    lifecycle = Lifecycle(
        Consultation.Status,
        {"draft": {"published"}, "published": set(), "outcome": set()},
        field=None,
        state=lambda c: "published",
    )
    with pytest.raises(ValidationError) as refused:
        lifecycle.check(consultation, Consultation.Status.OUTCOME)
    assert refused.value.messages == [
        "A consultation that is “Published” cannot become “Outcome published”."
    ]


# Phases -----------------------------------------------------------------------------------------


def test_phases_must_start_with_the_time_before_any_date():
    with pytest.raises(ValueError, match="first phase"):
        Phases(Consultation.Stage, Phase(Consultation.Stage.OPEN, starts="opens_at"))
    with pytest.raises(ValueError, match="distinct"):
        Phases(
            Consultation.Stage,
            Phase(Consultation.Stage.SCHEDULED, starts=None),
            Phase(Consultation.Stage.SCHEDULED, starts="opens_at"),
        )


@pytest.mark.django_db
def test_the_phase_of_each_row_and_the_query_for_each_phase_agree(cast, clock, chance):
    """Every consultation's stage worked out row by row equals the stage its query puts it in,
    at moments before, on and after each of its dates."""
    start = clock.now
    consultations = []
    for index in range(12):
        opens = start + timedelta(days=chance.randint(-5, 5), hours=chance.randint(0, 23))
        closes = opens + timedelta(days=chance.randint(1, 6))
        consultation = ConsultationFactory(
            department=cast.department, opens_at=opens, closes_at=closes, published_at=None
        )
        if index % 4:
            state_move(
                consultation,
                Consultation.Status.PUBLISHED,
                actor=None,
                summary=None,
                fields={"published_at": start - timedelta(days=10)},
            )
        if index % 4 == 3:
            state_move(
                consultation,
                Consultation.Status.OUTCOME,
                actor=None,
                summary=None,
                fields={"outcome_published_at": start},
            )
        consultations.append(consultation)
    moments = sorted(
        {start}
        | {c.opens_at + delta for c in consultations for delta in (timedelta(0), -timedelta(1))}
        | {c.closes_at + delta for c in consultations for delta in (timedelta(0), timedelta(1))}
    )
    for moment in moments:
        by_row = {c.pk: c.stage_at(moment) for c in consultations}
        by_query = {}
        for stage in Consultation.Stage.values:
            for pk in Consultation.objects.in_stage(stage, moment).values_list("pk", flat=True):
                assert pk not in by_query, f"{pk} in two stages at {moment}"
                by_query[pk] = stage
        assert by_query == by_row, moment


def test_a_phase_says_since_and_until_when_and_what_it_allows(clock):
    now = clock.now
    consultation = Consultation(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=2), published_at=now
    )
    current = Consultation.SCHEDULE.at(consultation, now)
    assert (current.key, current.label) == ("open", "Open")
    assert (current.since, current.until) == (consultation.opens_at, consultation.closes_at)
    assert current.can("respond")
    before = Consultation.SCHEDULE.at(consultation, now - timedelta(days=2))
    assert (before.key, before.since, before.until) == ("scheduled", None, consultation.opens_at)
    assert not before.can("respond")
    after = Consultation.SCHEDULE.at(consultation, now + timedelta(days=3))
    assert (after.key, after.until) == ("closed", None)


def test_a_phase_without_a_date_is_never_current(clock):
    class Step(models.TextChoices):
        UPCOMING = "upcoming", "Upcoming"
        IDEAS = "ideas", "Ideas"
        VOTING = "voting", "Voting"
        RESULTS = "results", "Results"

    class Process:
        ideas_at = clock.now - timedelta(days=3)
        voting_at = None  # not planned yet
        results_at = clock.now + timedelta(days=3)

    schedule = Phases(
        Step,
        Phase(Step.UPCOMING, starts=None),
        Phase(Step.IDEAS, starts="ideas_at", allows={"propose"}),
        Phase(Step.VOTING, starts="voting_at", allows={"vote"}),
        Phase(Step.RESULTS, starts="results_at"),
    )
    current = schedule.at(Process, clock.now)
    assert (current.key, current.until) == ("ideas", Process.results_at)
    assert schedule.keys_allowing("vote") == ["voting"]


def test_dates_out_of_order_are_named_by_field(clock):
    consultation = Consultation(opens_at=clock.now, closes_at=clock.now - timedelta(hours=1))
    assert Consultation.SCHEDULE.problems(consultation) == {
        "closes_at": "Closes must be after opens"
    }
