"""Reading calendar files back in tests, with the library that drew them (icalendar) and with a
second parser that shares no code with it (vobject), so that a file only one of them accepts
fails the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import icalendar
import vobject


@dataclass(frozen=True)
class ReadEvent:
    uid: str
    sequence: int
    starts: datetime
    ends: datetime
    summary: str
    status: str
    location: str
    description: str
    url: str
    last_modified: datetime


def _from_icalendar(content: bytes) -> tuple[str, list[ReadEvent]]:
    calendar = icalendar.Calendar.from_ical(content)
    return str(calendar.get("method", "")), [
        ReadEvent(
            uid=str(entry["uid"]),
            sequence=int(entry["sequence"]),
            starts=entry.decoded("dtstart"),
            ends=entry.decoded("dtend"),
            summary=str(entry["summary"]),
            status=str(entry["status"]),
            location=str(entry["location"]),
            description=str(entry["description"]),
            url=str(entry["url"]),
            last_modified=entry.decoded("last-modified"),
        )
        for entry in calendar.walk("VEVENT")
    ]


def _from_vobject(content: bytes) -> tuple[str, list[ReadEvent]]:
    calendar = vobject.readOne(content.decode())
    method = calendar.method.value if hasattr(calendar, "method") else ""
    return method, [
        ReadEvent(
            uid=entry.uid.value,
            sequence=int(entry.sequence.value),
            starts=entry.dtstart.value,
            ends=entry.dtend.value,
            summary=entry.summary.value,
            status=entry.status.value,
            location=entry.location.value,
            description=entry.description.value,
            url=entry.url.value,
            last_modified=entry.last_modified.value,
        )
        for entry in getattr(calendar, "vevent_list", [])
    ]


def read_twice(content: bytes) -> tuple[str, list[ReadEvent]]:
    """The calendar's METHOD and its events, read by both parsers, which must agree (times
    compared as moments, since each parser gives its own kind of time zone)."""
    first_method, first = _from_icalendar(content)
    second_method, second = _from_vobject(content)
    assert first_method == second_method
    assert len(first) == len(second)
    for one, other in zip(first, second, strict=True):
        assert one.starts.tzinfo is not None and other.starts.tzinfo is not None
        assert (one.starts, one.ends, one.last_modified) == (
            other.starts,
            other.ends,
            other.last_modified,
        )
        assert (one.uid, one.sequence, one.summary, one.status) == (
            other.uid,
            other.sequence,
            other.summary,
            other.status,
        )
        assert (one.location, one.description, one.url) == (
            other.location,
            other.description,
            other.url,
        )
    return first_method, first


def unfolded(content: bytes) -> str:
    """The file's text with its long lines joined again (RFC 5545 3.1), to search in."""
    return content.decode().replace("\r\n ", "").replace("\r\n\t", "")
