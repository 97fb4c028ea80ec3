"""Where feature apps say what else they hold about a contact, so that a copy of a person's data
and the erasure of it reach every app while contacts never imports a feature app.

A feature app registers once, from its AppConfig.ready():

    gdpr_registry.register("petition signatures", export_signatures, erase_signatures)

`exporter(contact)` returns a list of flat dicts (one per row held, values that print well);
`eraser(contact)` removes or anonymises those rows and returns how many it changed. Both run with
the contact's personal details still in place, inside the transaction that erases the contact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contacts.models import Contact

Exporter = Callable[["Contact"], list[dict]]
Eraser = Callable[["Contact"], int]

# The sections the contacts app writes itself; a feature app picks another name.
RESERVED_NAMES = frozenset({"organisation", "contact", "tags", "consents", "activity"})


@dataclass(frozen=True)
class Section:
    name: str
    exporter: Exporter
    eraser: Eraser


_sections: dict[str, Section] = {}


def register(name: str, exporter: Exporter, eraser: Eraser) -> None:
    """Add a section; registering a name again replaces it (a module imported twice)."""
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is a section of the contacts app itself; choose another name")
    _sections[name] = Section(name=name, exporter=exporter, eraser=eraser)


def unregister(name: str) -> None:
    _sections.pop(name, None)


def sections() -> list[Section]:
    """The registered sections, in the order they were registered."""
    return list(_sections.values())
