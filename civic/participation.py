"""What residents can take part in now, gathered from every feature app.

Feature apps register a section from their AppConfig.ready(); the home page lists the sections that
have something open. The registry lives in the core so that the core never imports a feature app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    organisation: str
    summary: str = ""
    status: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    order: int
    items: Callable[..., list[Item]]  # items(organisation=None, limit=...) -> list[Item]


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    _sections[section.key] = section


def unregister(key: str) -> None:
    _sections.pop(key, None)


def open_now(*, organisation=None, limit: int = 5) -> list[tuple[Section, list[Item]]]:
    """Sections in order with their open items; sections with nothing open are left out."""
    result = []
    for section in sorted(_sections.values(), key=lambda section: section.order):
        items = section.items(organisation=organisation, limit=limit)
        if items:
            result.append((section, items))
    return result
