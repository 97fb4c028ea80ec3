"""Where a contact came from and what a person did: kinds that each app declares for itself.

Contacts knows its own sources (Contact.Source: an import, a sign-up, typed in by staff). A
feature app adds
the ones it brings in its AppConfig.ready, with the words staff see:

    kinds.register_source("survey", _("Survey"))
    kinds.register_activity("response", _("Survey response"))

The model fields take their choices from here through a callable, so a new app's kinds need no
migration in contacts, while forms, the admin's filters, `get_..._display()` and the segments
still offer and check only the kinds that exist. A value no app declares any more (from an app
since removed) stays in the database and shows as it is stored.
"""

from __future__ import annotations

# Declared by the feature apps; contacts' own sources are Contact.Source.
_sources: dict[str, str] = {}
_activities: dict[str, str] = {}


def _register(kinds: dict[str, str], what: str, value: str, label) -> None:
    if len(value) > 16 or not value.replace("_", "").isalnum():
        raise ValueError(f"A {what} is 1 to 16 letters, digits or underscores: {value!r}")
    if value in kinds and str(kinds[value]) != str(label):
        raise ValueError(f"The {what} {value!r} is already declared as {kinds[value]!r}")
    kinds[value] = label


def register_source(value: str, label) -> None:
    """Declare where contacts can come from (a feature app, in its AppConfig.ready)."""
    _register(_sources, "source", value, label)


def register_activity(value: str, label) -> None:
    """Declare a kind of taking part (a feature app, in its AppConfig.ready)."""
    _register(_activities, "kind of activity", value, label)


def source_choices() -> list[tuple[str, str]]:
    """Contact.source's choices: contacts' own sources, then those the apps declared."""
    from contacts.models import Contact

    return [*Contact.Source.choices, *_sources.items()]


def activity_choices() -> list[tuple[str, str]]:
    """Activity.kind's choices: every declared kind of taking part."""
    return list(_activities.items())


def is_source(value: str) -> bool:
    return any(value == choice for choice, _label in source_choices())


def is_activity(value: str) -> bool:
    return value in _activities


def forget(value: str) -> None:
    """Take back a kind declared for a test (never in the app's own code)."""
    _sources.pop(value, None)
    _activities.pop(value, None)
