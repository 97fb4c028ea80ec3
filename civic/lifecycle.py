"""A model's states and the moves allowed between them, declared once on the model.

Every model whose `status` field has choices declares a `lifecycle`:

```python
class Petition(models.Model):
    class Status(models.TextChoices): ...

    lifecycle = Lifecycle(
        Status,
        {
            Status.PENDING: {Status.OPEN, Status.REJECTED, Status.HIDDEN, Status.REMOVED},
            Status.REMOVED: set(),
            ...
        },
    )
```

A service makes a move with `civic.services.state_move(obj, target, actor=, summary=)`, which
checks the move, writes the state and the fields that go with it, and records the audit entry.
A bulk change (`.update()`) filters on `status__in=Model.lifecycle.sources(target)` so that it
makes only allowed moves. `tests/civic/test_lifecycle.py` checks every declaration against its
field's choices (found from the app registry) and that no code outside `state_move` assigns a
`status` by hand.

A state that follows from dates is not a lifecycle state: it is a phase (`civic.phases`). A
lifecycle may still be read from fields other than a status column (`state=`, with `field=None`),
as a consultation's is from the moments it was published and its outcome published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_REFUSAL = _("A %(kind)s that is “%(now)s” cannot become “%(next)s”.")


class Lifecycle:
    """The states of `states` (a TextChoices) and, for each, the states it may move to."""

    def __init__(
        self,
        states: type[models.TextChoices],
        moves: Mapping[str, Iterable[str]],
        *,
        field: str | None = "status",
        state: Callable[[models.Model], str] | None = None,
        refusals: Mapping[str, str] | None = None,
    ) -> None:
        known = set(states.values)
        declared = set(moves)
        if declared != known:
            raise ValueError(
                f"{states.__qualname__}: moves must name every state once; "
                f"missing {sorted(known - declared)}, unknown {sorted(declared - known)}"
            )
        for source, targets in moves.items():
            unknown = set(targets) - known
            if unknown:
                raise ValueError(f"{states.__qualname__}.{source} moves to unknown {unknown}")
        if field is None and state is None:
            raise ValueError("A lifecycle without a status field needs state= to read it")
        unknown_refusals = set(refusals or {}) - known
        if unknown_refusals:
            raise ValueError(f"Refusals for unknown states {sorted(unknown_refusals)}")
        self.states = states
        self.field = field
        self._state = state
        self._moves = {
            str(source): frozenset(map(str, targets)) for source, targets in moves.items()
        }
        self._refusals = dict(refusals or {})

    def state_of(self, obj: models.Model) -> str:
        if self._state is not None:
            return str(self._state(obj))
        return str(getattr(obj, self.field))

    def moves_from(self, state: str) -> frozenset[str]:
        return self._moves[str(state)]

    def allows(self, obj: models.Model, target: str) -> bool:
        return str(target) in self._moves[self.state_of(obj)]

    def sources(self, target: str) -> frozenset[str]:
        """The states from which `target` may be reached, for a bulk `.update()`'s filter."""
        return frozenset(
            source for source, targets in self._moves.items() if str(target) in targets
        )

    def movable(self) -> frozenset[str]:
        """States with at least one move out of them."""
        return frozenset(source for source, targets in self._moves.items() if targets)

    def final(self) -> frozenset[str]:
        return frozenset(source for source, targets in self._moves.items() if not targets)

    def check(self, obj: models.Model, target: str, *, refusal: str | None = None) -> None:
        """Raise a `ValidationError` (code "transition") in plain words if the move is not
        allowed from the state `obj` is in now."""
        if self.allows(obj, target):
            return
        message = refusal or self._refusals.get(str(target))
        if message is None:
            message = DEFAULT_REFUSAL % {
                "kind": obj._meta.verbose_name,
                "now": self.states(self.state_of(obj)).label,
                "next": self.states(target).label,
            }
        raise ValidationError(message, code="transition")
