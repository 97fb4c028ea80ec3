"""Where feature apps say what else they hold about a contact, so that a copy of a person's data
and the erasure of it reach every app while contacts never imports a feature app.

A feature app registers once, from its AppConfig.ready():

    gdpr_registry.register("petition signatures", export_signatures, erase_signatures)

`exporter(contact)` returns a list of flat dicts (one per row held, values that print well);
`eraser(contact)` removes or anonymises those rows and returns how many it changed. Both run with
the contact's personal details still in place, inside the transaction that erases the contact.

Text a person wrote about themselves (a survey answer, a petition's background) goes with them
when it names them: `mentions(field, contact)` is the one test of "names them" every app uses.
What a person did from their account (an idea, a point, a vote) is theirs by `theirs(path,
contact)`: the row's account is the contact's, or has their address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

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

# The part of an address before the @ names a person only when it is long enough to be theirs
# ("jo" would match every "journey"); a full address or name always does.
LOCAL_PART_MINIMUM = 5


def identifying_terms(contact: Contact) -> list[str]:
    """What a text that names the person contains: their address, the part of it before the @
    when it is distinctive, and their full name (as the contact and their account hold it)."""
    terms = []
    email = (contact.email or "").strip()
    if email:
        terms.append(email)
        local_part = email.rsplit("@", 1)[0]
        if len(local_part) >= LOCAL_PART_MINIMUM:
            terms.append(local_part)
    names = [contact.name, contact.user.name if contact.user_id else ""]
    for name in (" ".join((name or "").split()) for name in names):
        if name and name.casefold() not in {term.casefold() for term in terms}:
            terms.append(name)
    return terms


def mentions(field: str, contact: Contact) -> Q:
    """Rows whose `field` names the contact, case ignored; no row when nothing identifies them."""
    query = Q(pk__in=[])
    for term in identifying_terms(contact):
        query |= Q(**{f"{field}__icontains": term})
    return query


def theirs(path: str, contact: Contact) -> Q:
    """Rows whose `path` (a link to an account: the proposer, the author, the voter) is the
    contact's account, or an account with their e-mail address, case ignored; no row when the
    contact has neither."""
    by_account = Q(**{f"{path}_id": contact.user_id}) if contact.user_id else Q(pk__in=[])
    by_email = Q(**{f"{path}__email__iexact": contact.email}) if contact.email else Q(pk__in=[])
    return by_account | by_email


def names_them(text: str, terms: list[str]) -> bool:
    """Whether the text holds one of the terms (from `identifying_terms`), case ignored."""
    folded = (text or "").casefold()
    return any(term.casefold() in folded for term in terms if term)


def redact(text: str, terms: list[str], *, marker: str = "[erased]") -> str:
    """The text with every one of the terms replaced by the marker, case ignored."""
    for term in sorted((term for term in terms if term), key=len, reverse=True):
        text = re.sub(re.escape(term), marker, text, flags=re.IGNORECASE)
    return text


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
