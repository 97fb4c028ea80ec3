"""A consultation's submitted responses kept as sets, so that its results under any filter are
counted in milliseconds instead of by reading every matching answer again (issue 12: under a
second for any filter over 100,000 responses; `bench/consultations_results.py`).

A worker reads every answer once (`index_build`, run with the results recount) and keeps in the
cache, for each area, option, ranked option and question, the set of responses that have it: a
bitmap over the responses' positions (a Python int, one bit per response). A filter is the
intersection of an area's and an option's sets, and each figure of the results page is the size
of one more intersection (`figures`). Numbers and dates are kept as columns of (position, value)
and summed or compared over the filter's positions. Positions run by day of submission, so the
responses of one day are one run of bits.

The index is a snapshot. `Snapshot.against_now` compares it with the responses submitted now:
those gone since (deleted) are left out of every set, and those submitted since are counted by
the database directly and added (they are few: a worker builds the index again when they are
not). So the figures are always those of the responses as they are at the moment of asking.

Only PostgreSQL builds an index (its arrays carry each set in one row); elsewhere, and until a
worker has built one, the results are counted by the database as before.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from consultations.models import Answer, AnswerChoice, Response

INDEX_SECONDS = 7 * 24 * 3600
# Build again once this share of the responses came or went since the last build (below it, the
# ones since are counted directly, which costs a few milliseconds per hundred).
REBUILD_SHARE = 0.02
REBUILD_AT_LEAST = 200


def survey_key(questions) -> str:
    """What the survey is (its questions and their options): an index of another survey is no
    use."""
    survey = [
        (question.pk, [option.pk for option in question.options.all()]) for question in questions
    ]
    return hashlib.sha256(repr(survey).encode()).hexdigest()


def index_key(consultation_id: int) -> str:
    return f"consultations:results-index:{consultation_id}"


def _bitmap(positions: Iterable[int], size: int) -> int:
    """The set of positions as an int with those bits set."""
    bits = bytearray((size + 7) // 8)
    for position in positions:
        bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


@dataclass
class ResultsIndex:
    survey: str
    ids: array  # the response at each position, by day of submission and then id
    days: list[tuple[date, int, int]]  # (day, first position, number of responses)
    last: datetime | None  # the latest submission counted
    areas: dict[int, int] = field(default_factory=dict)  # area -> bitmap
    chosen: dict[int, int] = field(default_factory=dict)  # option -> bitmap
    ranked: dict[tuple[int, int], int] = field(default_factory=dict)  # (option, rank) -> bitmap
    answered: dict[int, int] = field(default_factory=dict)  # question -> bitmap
    written: dict[int, int] = field(default_factory=dict)  # question -> bitmap (text not empty)
    agreed: dict[int, int] = field(default_factory=dict)  # question -> bitmap (consent given)
    # question -> (positions, values): numbers in hundredths, dates as ordinals
    numbers: dict[int, tuple[array, array]] = field(default_factory=dict)
    dates: dict[int, tuple[array, array]] = field(default_factory=dict)
    built_at: datetime | None = None

    @property
    def size(self) -> int:
        return len(self.ids)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def index_build(consultation, questions, *, consent_given: list[str]) -> ResultsIndex | None:
    """Read every submitted response's answers once and keep them as sets in the cache (run by a
    worker). None where the database is not PostgreSQL.

    The responses are numbered once, in a temporary table, and every set is read as the array
    of its responses' numbers: drafts, and responses submitted while the index is built (they
    are counted as "since"), are in no set."""
    if connection.vendor != "postgresql":
        return None
    response, answer, choice = (
        Response._meta.db_table,
        Answer._meta.db_table,
        AnswerChoice._meta.db_table,
    )
    question_ids = [question.pk for question in questions]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.results_positions")
        cursor.execute(
            "CREATE TEMPORARY TABLE results_positions ON COMMIT DROP AS "  # noqa: S608
            "SELECT id, area_id, day, (row_number() OVER (ORDER BY day, id) - 1)::int AS pos "
            "FROM (SELECT id, area_id, (submitted_at AT TIME ZONE %s)::date AS day "
            f"FROM {response} WHERE consultation_id = %s AND status = %s) submitted",
            [timezone.get_current_timezone_name(), consultation.pk, Response.Status.SUBMITTED],
        )
        cursor.execute("ALTER TABLE results_positions ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE results_positions")
        responses = _rows("SELECT id, area_id, day FROM results_positions ORDER BY pos", [])
        last = _rows(
            f"SELECT MAX(r.submitted_at) FROM {response} r "  # noqa: S608
            "JOIN results_positions p ON p.id = r.id",
            [],
        )
        chosen = _rows(
            "SELECT c.option_id, c.rank, array_agg(p.pos) "  # noqa: S608
            f"FROM {choice} c JOIN {answer} a ON a.id = c.answer_id "
            "JOIN results_positions p ON p.id = a.response_id "
            "WHERE a.question_id = ANY(%s) GROUP BY c.option_id, c.rank",
            [question_ids],
        )
        answers = _rows(
            "SELECT a.question_id, array_agg(p.pos), "  # noqa: S608
            "array_agg(p.pos) FILTER (WHERE a.text <> ''), "
            "array_agg(p.pos) FILTER (WHERE a.text = ANY(%s)) "
            f"FROM {answer} a JOIN results_positions p ON p.id = a.response_id "
            "WHERE a.question_id = ANY(%s) GROUP BY a.question_id",
            [consent_given, question_ids],
        )
        values = _rows(
            "SELECT a.question_id, "  # noqa: S608
            "array_agg(p.pos ORDER BY p.pos) FILTER (WHERE a.number IS NOT NULL), "
            "array_agg((a.number * 100)::bigint ORDER BY p.pos) "
            "FILTER (WHERE a.number IS NOT NULL), "
            "array_agg(p.pos ORDER BY p.pos) FILTER (WHERE a.date IS NOT NULL), "
            "array_agg(a.date - DATE '0001-01-01' + 1 ORDER BY p.pos) "
            "FILTER (WHERE a.date IS NOT NULL) "
            f"FROM {answer} a JOIN results_positions p ON p.id = a.response_id "
            "WHERE a.question_id = ANY(%s) AND (a.number IS NOT NULL OR a.date IS NOT NULL) "
            "GROUP BY a.question_id",
            [question_ids],
        )
    size = len(responses)
    index = ResultsIndex(
        survey=survey_key(questions),
        ids=array("q", (row[0] for row in responses)),
        days=[],
        last=last[0][0] if last else None,
        built_at=timezone.now(),
    )
    by_area: dict[int, list[int]] = {}
    for number, (_pk, area_id, day) in enumerate(responses):
        if area_id is not None:
            by_area.setdefault(area_id, []).append(number)
        if index.days and index.days[-1][0] == day:
            first_day, first, count = index.days[-1]
            index.days[-1] = (first_day, first, count + 1)
        else:
            index.days.append((day, number, 1))
    index.areas = {area_id: _bitmap(kept, size) for area_id, kept in by_area.items()}
    for option_id, rank, positions in chosen:
        bits = _bitmap(positions, size)
        index.chosen[option_id] = index.chosen.get(option_id, 0) | bits
        if rank is not None:
            index.ranked[(option_id, rank)] = bits
    for question_id, answered, written, agreed in answers:
        index.answered[question_id] = _bitmap(answered, size)
        if written:
            index.written[question_id] = _bitmap(written, size)
        if agreed:
            index.agreed[question_id] = _bitmap(agreed, size)
    for question_id, with_number, numbers, with_date, days in values:
        if numbers:
            index.numbers[question_id] = (array("q", with_number), array("q", numbers))
        if days:
            index.dates[question_id] = (array("q", with_date), array("q", days))
    cache.set(index_key(consultation.pk), index, INDEX_SECONDS)
    return index


def index_get(consultation_id: int, survey: str) -> ResultsIndex | None:
    """The consultation's index, if a worker has built one for this survey."""
    index = cache.get(index_key(consultation_id))
    if index is None or index.survey != survey:
        return None
    return index


def index_forget(consultation_id: int) -> None:
    cache.delete(index_key(consultation_id))


@dataclass
class Snapshot:
    """An index compared with the responses submitted now."""

    index: ResultsIndex
    present: int  # the positions of responses still submitted
    since: list[int]  # responses submitted since the index was built
    total: int
    last: datetime | None

    @classmethod
    def against_now(cls, index: ResultsIndex, consultation) -> Snapshot:
        rows = _rows(
            f"SELECT COALESCE(array_agg(id), '{{}}'), MAX(submitted_at) "  # noqa: S608
            f"FROM {Response._meta.db_table} WHERE consultation_id = %s AND status = %s",
            [consultation.pk, Response.Status.SUBMITTED],
        )
        now_ids, last = rows[0]
        now = set(now_ids)
        present = (1 << index.size) - 1
        known = set(index.ids)
        gone = known - now
        if gone:
            positions = [number for number, pk in enumerate(index.ids) if pk in gone]
            present &= ~_bitmap(positions, index.size)
        since = sorted(now - known)
        return cls(index=index, present=present, since=since, total=len(now), last=last)

    @property
    def stale(self) -> bool:
        """Whether so many responses came or went since the build that it is time for another."""
        changed = len(self.since) + (self.index.size - self.present.bit_count())
        return changed >= max(REBUILD_AT_LEAST, REBUILD_SHARE * self.total)

    def matching(self, *, area_id: int | None, option_id: int | None) -> int:
        """The bitmap of the indexed responses that a filter keeps."""
        bits = self.present
        if area_id is not None:
            bits &= self.index.areas.get(area_id, 0)
        if option_id is not None:
            bits &= self.index.chosen.get(option_id, 0)
        return bits

    def keeps(self, bits: int, since: list[int]):
        """A test of whether a response (by id) is one of the indexed ones in `bits` or one of
        `since`."""
        position = {pk: number for number, pk in enumerate(self.index.ids)}
        kept = bits.to_bytes((self.index.size + 7) // 8, "little")
        later = set(since)

        def keeps(response_id: int) -> bool:
            number = position.get(response_id)
            if number is None:
                return response_id in later
            return bool(kept[number >> 3] >> (number & 7) & 1)

        return keeps


def figures(index: ResultsIndex, bits: int, *, counted, detailed) -> dict:
    """The figures of the responses in `bits`, in the plain form of the results' cache: chosen
    (option -> count, sum of ranks, ranks given, ranked first), answered (question -> count,
    for `counted`), details (question -> written, agreed, numbers' sum, count, extremes, dates'
    extremes, for `detailed`) and days ((day, count), in order)."""
    chosen = {}
    for option_id, option_bits in index.chosen.items():
        count = (bits & option_bits).bit_count()
        if count:
            chosen[option_id] = [count, 0, 0, 0]
    for (option_id, rank), rank_bits in index.ranked.items():
        count = (bits & rank_bits).bit_count()
        if count:
            row = chosen[option_id]
            row[1] += rank * count
            row[2] += count
            if rank == 1:
                row[3] += count
    answered = {}
    for question_id in counted:
        count = (bits & index.answered.get(question_id, 0)).bit_count()
        if count:
            answered[question_id] = count
    kept = bits.to_bytes((index.size + 7) // 8, "little")
    details = {}
    for question_id in detailed:
        detail = {
            "written": (bits & index.written.get(question_id, 0)).bit_count(),
            "agreed": (bits & index.agreed.get(question_id, 0)).bit_count(),
            "number_sum": Decimal(0),
            "number_count": 0,
            "minimum": None,
            "maximum": None,
            "earliest": None,
            "latest": None,
        }
        if question_id in index.numbers:
            values = _kept_values(index.numbers[question_id], kept)
            if values:
                detail["number_sum"] = _hundredths(sum(values))
                detail["number_count"] = len(values)
                detail["minimum"] = _hundredths(min(values))
                detail["maximum"] = _hundredths(max(values))
        if question_id in index.dates:
            values = _kept_values(index.dates[question_id], kept)
            if values:
                detail["earliest"] = date.fromordinal(min(values))
                detail["latest"] = date.fromordinal(max(values))
        details[question_id] = detail
    days = []
    for day, first, count in index.days:
        within = ((bits >> first) & ((1 << count) - 1)).bit_count()
        if within:
            days.append((day, within))
    return {
        "chosen": {option_id: tuple(row) for option_id, row in chosen.items()},
        "answered": answered,
        "details": details,
        "days": days,
    }


def _kept_values(column: tuple[array, array], kept: bytes) -> list[int]:
    positions, values = column
    return [
        value
        for position, value in zip(positions, values, strict=True)
        if kept[position >> 3] >> (position & 7) & 1
    ]


def _hundredths(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def figures_add(total: dict, more: dict) -> dict:
    """Two sets of figures (of responses that do not overlap) as one."""
    chosen = dict(total["chosen"])
    for option_id, row in more["chosen"].items():
        before = chosen.get(option_id, (0, 0, 0, 0))
        chosen[option_id] = tuple(a + b for a, b in zip(before, row, strict=True))
    answered = Counter(total["answered"])
    answered.update(more["answered"])
    details = {question_id: dict(detail) for question_id, detail in total["details"].items()}
    for question_id, detail in more["details"].items():
        into = details.setdefault(question_id, {})
        for name in ("written", "agreed", "number_sum", "number_count"):
            into[name] = (into.get(name) or 0) + (detail.get(name) or 0)
        for name, pick in (("minimum", min), ("maximum", max), ("earliest", min), ("latest", max)):
            given = [value for value in (into.get(name), detail.get(name)) if value is not None]
            into[name] = pick(given) if given else None
    days = Counter(dict(total["days"]))
    days.update(dict(more["days"]))
    return {
        "chosen": chosen,
        "answered": dict(answered),
        "details": details,
        "days": sorted(days.items()),
    }
