"""The registry of what residents can take part in now: the home page's "open now" sections,
gathered from every feature app.

Feature apps register an OpenSection from their AppConfig.ready(); the home page lists the sections
that have something open. The registry lives in the core so that the core never imports a feature
app. (That a person took part in something is another idea: contacts.services.participation_record.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenItem:
    title: str
    url: str
    organisation: str
    summary: str = ""
    status: str = ""


@dataclass(frozen=True)
class OpenSection:
    key: str
    heading: str
    order: int
    items: Callable[..., list[OpenItem]]  # items(organisation=None, limit=...) -> list[OpenItem]


_sections: dict[str, OpenSection] = {}


def register(section: OpenSection) -> None:
    _sections[section.key] = section


def unregister(key: str) -> None:
    _sections.pop(key, None)


def sections(*, organisation=None, limit: int = 5) -> list[tuple[OpenSection, list[OpenItem]]]:
    """Sections in order with their open items; sections with nothing open are left out."""
    result = []
    for section in sorted(_sections.values(), key=lambda section: section.order):
        items = section.items(organisation=organisation, limit=limit)
        if items:
            result.append((section, items))
    return result
