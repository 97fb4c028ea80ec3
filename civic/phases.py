"""Dated phases: a process whose current phase follows from dates, and what each phase lets
residents do.

A model declares its phases once, each starting at one of its date fields:

```python
SCHEDULE = Phases(
    Stage,
    Phase(Stage.SCHEDULED, starts=None),
    Phase(Stage.OPEN, starts="opens_at", allows={"respond"}),
    Phase(Stage.CLOSED, starts="closes_at"),
)
```

The current phase is the last one whose start has come; the first phase (`starts=None`) is the
time before any date. A phase whose date is empty has not been planned and is never current.
Nothing about a phase is stored: `SCHEDULE.at(obj, now)` works it out, and `SCHEDULE.q(key,
now)` finds the rows in a phase in one query, by the same rule. Whether an officer has
published the thing at all is its lifecycle's business (`civic.lifecycle`), not a phase's.

A department's item that is a draft until published and then in the phase its dates give (a
budget process, a debate) takes `ScheduledItem` for its stage and `ScheduledQuerySet` for the
rows in a stage; its model declares `Status` (draft, published), `Stage` (a draft stage and the
phases') and `SCHEDULE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from civic.models import Organisation


@dataclass(frozen=True)
class Phase:
    key: str
    starts: str | None
    allows: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allows", frozenset(self.allows))


@dataclass(frozen=True)
class PhaseNow:
    """Where a process stands at one moment: its phase, since and until when, and what it lets
    residents do."""

    key: str
    label: str
    since: datetime | None
    until: datetime | None
    allows: frozenset[str]

    def can(self, action: str) -> bool:
        return action in self.allows


class Phases:
    def __init__(self, states: type[models.TextChoices], *phases: Phase) -> None:
        if not phases or phases[0].starts is not None:
            raise ValueError("The first phase is the time before any date: starts=None")
        if any(phase.starts is None for phase in phases[1:]):
            raise ValueError("Every phase after the first starts at a date field")
        keys = [str(phase.key) for phase in phases]
        unknown = set(keys) - set(states.values)
        if unknown or len(set(keys)) != len(keys):
            raise ValueError(f"Phases must be distinct {states.__qualname__} values: {keys}")
        self.states = states
        self.phases = phases

    def fields(self) -> list[str]:
        return [phase.starts for phase in self.phases[1:]]

    def at(self, obj, now: datetime) -> PhaseNow:
        current, since, index = self.phases[0], None, 0
        for position, phase in enumerate(self.phases[1:], start=1):
            starts = getattr(obj, phase.starts)
            if starts is not None and starts <= now:
                current, since, index = phase, starts, position
        until = None
        for phase in self.phases[index + 1 :]:
            starts = getattr(obj, phase.starts)
            if starts is not None and starts > now:
                until = starts
                break
        return PhaseNow(
            key=str(current.key),
            label=str(self.states(current.key).label),
            since=since,
            until=until,
            allows=current.allows,
        )

    def allows(self, obj, action: str, now: datetime) -> bool:
        return self.at(obj, now).can(action)

    def q(self, key: str, now: datetime, *, prefix: str = "") -> Q:
        """Rows in phase `key` at `now`, by the rule of `at`: its start has come and no later
        phase's has. `prefix` reaches the dates through a relation ("process__")."""
        index = [str(phase.key) for phase in self.phases].index(str(key))
        condition = Q()
        if index:
            condition &= Q(**{f"{prefix}{self.phases[index].starts}__lte": now})
        for phase in self.phases[index + 1 :]:
            condition &= Q(**{f"{prefix}{phase.starts}__gt": now}) | Q(
                **{f"{prefix}{phase.starts}__isnull": True}
            )
        return condition

    def keys_allowing(self, action: str) -> list[str]:
        return [str(phase.key) for phase in self.phases if action in phase.allows]

    def problems(self, obj) -> dict[str, str]:
        """Dates out of order, by field, in words an officer can act on: each planned phase
        must start after the one before it."""
        found = {}
        earlier: tuple[str, datetime] | None = None
        for phase in self.phases[1:]:
            starts = getattr(obj, phase.starts)
            if starts is None:
                continue
            if earlier is not None and starts <= earlier[1]:
                found[phase.starts] = _("%(this)s must be after %(earlier)s") % {
                    "this": _field_label(obj, phase.starts),
                    "earlier": _field_label(obj, earlier[0]).lower(),
                }
            earlier = (phase.starts, starts)
        return found


def _field_label(obj, name: str) -> str:
    label = str(obj._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


class ScheduledQuerySet(models.QuerySet):
    """Rows of a scheduled item's model: drafts or published, and while published in the stage
    their dates give."""

    def published(self) -> ScheduledQuerySet:
        return self.filter(status=self.model.Status.PUBLISHED)

    def in_stage(self, stage: str, now=None) -> ScheduledQuerySet:
        """Rows in one of the stages residents see, by the rule of `stage_at`."""
        if stage == self.model.Stage.DRAFT:
            return self.filter(status=self.model.Status.DRAFT)
        return self.published().filter(self.model.SCHEDULE.q(stage, now or timezone.now()))


class ScheduledItem:
    """A department's item, a draft until published and then in the phase of `SCHEDULE` its
    dates give (the model declares `Status`, `Stage` and `SCHEDULE`)."""

    @property
    def organisation(self) -> Organisation:
        return self.department.organisation

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id

    def stage_at(self, now=None) -> str:
        if self.status == self.Status.DRAFT:
            return self.Stage.DRAFT
        return self.Stage(self.SCHEDULE.at(self, now or timezone.now()).key)

    @property
    def stage(self) -> str:
        return self.stage_at()

    def allows(self, action: str, now=None) -> bool:
        """Whether the item is published and its phase now allows `action`."""
        return self.status == self.Status.PUBLISHED and self.SCHEDULE.allows(
            self, action, now or timezone.now()
        )
