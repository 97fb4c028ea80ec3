"""What a consultation's responses add up to: the results officers see, and the aggregates
anyone may see once it has closed (`open_results`).

Reads cost a fixed number of queries whatever the number of responses: each figure is grouped in
the database once for the whole survey. Counting a hundred thousand responses takes a second or
two, so the figures stay in the cache until a response is submitted or an answer coded (a closed
consultation's are counted once), and a submission has a worker count them again a few seconds
later: the page shows the last count, with when it was made, while the next one runs. The same
worker keeps the responses as sets (consultations.services.results_index), so that a filter (an
area, the answer to another question) is counted in a fraction of a second, exactly, however many
responses came since; until it has, the database counts the filtered responses.

Only submitted responses count; drafts never appear in a figure.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from civic.queueing import queue_soon
from consultations.models import Answer, AnswerChoice, Consultation, Question, Response, Theme
from consultations.selectors import (
    NO_FILTER,
    ResponseFilter,
    is_public_question,
    submitted_responses,
    survey_questions,
)
from consultations.services import results_index

Kind = Question.Kind
# A ticked consent question (consultations.services.responding stores "yes").
_CONSENT_GIVEN = ["yes"]


# Results ----------------------------------------------------------------------------------------


@dataclass
class OptionCount:
    option_id: int
    label: str
    count: int
    percent: float
    # Ranking: the mean rank given (1 is first), and how many ranked the option first.
    mean_rank: float | None = None
    first: int = 0
    first_percent: float = 0.0


@dataclass
class ThemeCount:
    theme_id: int
    name: str
    count: int


@dataclass
class DayCount:
    day: date
    count: int


@dataclass
class QuestionResult:
    question: Question
    number: int
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    # Answers that wrote in 'Other, please specify' (multiple choice).
    other: int = 0
    other_percent: float = 0.0
    # Scale: the mean point (1 for the first option); number: the mean of the answers.
    mean: float | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    earliest: date | None = None
    latest: date | None = None
    # Consent: how many agreed.
    agreed: int = 0
    themes: list[ThemeCount] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def has_options(self) -> bool:
        return self.question.has_options

    @property
    def has_text(self) -> bool:
        return is_text_question(self.question)


@dataclass
class Results:
    consultation: Consultation
    filters: ResponseFilter
    responses: int
    questions: list[QuestionResult]
    over_time: list[DayCount]
    themes: list[ThemeCount]
    # When the figures were counted; whether responses came or went since (a worker is counting
    # them), and how many more there are now.
    counted_at: datetime | None = None
    counting: bool = False
    uncounted: int = 0

    @property
    def choice_questions(self) -> list[QuestionResult]:
        return [result for result in self.questions if result.has_options]


def is_text_question(question: Question) -> bool:
    """Questions whose answers officers read and code: free text, and 'Other' write-ins."""
    return question.kind in Question.TEXT_KINDS or (question.has_options and question.allow_other)


def _percent(count: int, base: int) -> float:
    return round(100 * count / base, 1) if base else 0.0


def results_compute(
    *,
    consultation: Consultation,
    filters: ResponseFilter = NO_FILTER,
    questions: list[Question] | None = None,
) -> Results:
    """Every figure of the results page, in a number of queries that depends on the kinds of
    question in the survey but never on the number of responses.

    A percentage is of the respondents who answered that question (a conditional question is
    asked of fewer people); multiple choice adds up to more than 100. The counts come from
    `_figures`, kept in the cache until a response is submitted, and the theme counts until an
    answer is coded: a closed consultation's results are counted once."""
    questions = survey_questions(consultation) if questions is None else questions
    responses = submitted_responses(consultation, filters)
    matched: _Matched | _Indexed | None = None
    if filters.active:
        matched = _Indexed.of(consultation, filters, questions) or _Matched.of(responses)
    if matched is not None:
        version = matched.version
    else:
        version = responses.aggregate(total=Count("pk"), last=Max("submitted_at"))
    figures = _cached_figures(consultation, filters, questions, version)
    counting = False
    if figures is None and not filters.active:
        # Responses came since the last count; a worker counts them again.
        figures = _last_count(consultation, questions)
        if figures is not None:
            counting = True
            results_recount_soon(consultation.pk)
    if figures is None:
        figures = _count(consultation, filters, questions, responses, version, matched)
    chosen, answered, details = figures["chosen"], figures["answered"], figures["details"]

    coded_counts = _cached_theme_counts(consultation, filters, questions, version, matched)
    themes = list(Theme.objects.filter(consultation=consultation).order_by("name"))
    theme_names = {theme.pk: theme.name for theme in themes}
    per_question_themes: dict[int, list[ThemeCount]] = defaultdict(list)
    theme_totals: dict[int, int] = defaultdict(int)
    for theme_id, question_id, count in coded_counts:
        theme_totals[theme_id] += count
        per_question_themes[question_id].append(
            ThemeCount(theme_id, theme_names.get(theme_id, ""), count)
        )

    results = []
    for number, question in enumerate(questions, start=1):
        detail = details.get(question.pk, {})
        result = QuestionResult(question=question, number=number, answered=0)
        if question.has_options:
            option_counts = [
                (option, chosen.get(option.pk, _NO_CHOICE)) for option in question.options.all()
            ]
            # One option per answer to these: the answers are the options chosen.
            if question.kind in _ONE_CHOICE_KINDS and not question.allow_other:
                result.answered = sum(row[0] for _option, row in option_counts)
            else:
                result.answered = answered.get(question.pk, 0)
            points = 0
            for position, (option, (count, rank_sum, ranked, first)) in enumerate(
                option_counts, start=1
            ):
                points += position * count
                option_count = OptionCount(
                    option_id=option.pk,
                    label=option.label,
                    count=count,
                    percent=_percent(count, result.answered),
                )
                if question.kind == Kind.RANKING:
                    option_count.mean_rank = round(rank_sum / ranked, 2) if ranked else None
                    option_count.first = first
                    option_count.first_percent = _percent(first, result.answered)
                result.options.append(option_count)
            if question.kind == Kind.SCALE:
                result.mean = round(points / result.answered, 2) if result.answered else None
            if question.allow_other:
                result.other = detail.get("written", 0)
                result.other_percent = _percent(result.other, result.answered)
        else:
            result.answered = answered.get(question.pk, 0)
        if question.kind == Kind.NUMBER:
            count = detail.get("number_count") or 0
            result.mean = round(float(detail["number_sum"]) / count, 2) if count else None
            result.minimum, result.maximum = detail.get("minimum"), detail.get("maximum")
        elif question.kind == Kind.DATE:
            result.earliest, result.latest = detail.get("earliest"), detail.get("latest")
        elif question.kind == Kind.CONSENT:
            result.agreed = detail.get("agreed", 0)
        result.themes = sorted(
            per_question_themes.get(question.pk, []), key=lambda theme: (-theme.count, theme.name)
        )
        results.append(result)

    return Results(
        consultation=consultation,
        filters=filters,
        responses=figures["total"],
        counted_at=figures["counted_at"],
        counting=counting,
        uncounted=max(version["total"] - figures["total"], 0),
        questions=results,
        over_time=_fill_days(figures["days"]),
        themes=[
            ThemeCount(theme.pk, theme.name, theme_totals.get(theme.pk, 0)) for theme in themes
        ],
    )


# The counts of one option: (chosen, sum of ranks, ranks given, ranked first).
_NO_CHOICE = (0, 0, 0, 0)
_ONE_CHOICE_KINDS = {Kind.SINGLE_CHOICE, Kind.DROPDOWN, Kind.SCALE}
# Questions whose answers have more to count than their number.
_DETAIL_KINDS = {Kind.SHORT_TEXT, Kind.LONG_TEXT, Kind.NUMBER, Kind.DATE, Kind.CONSENT}
RESULTS_CACHE_SECONDS = 3600
# The last count is shown, with its time, until the next one is done: kept for a week.
LAST_COUNT_SECONDS = 7 * 24 * 3600


def _survey_key(questions: list[Question]) -> str:
    return results_index.survey_key(questions)


def _figures_key(consultation, filters, questions, version) -> str:
    fingerprint = hashlib.sha256(
        repr((filters, _survey_key(questions), version["total"], version["last"])).encode()
    ).hexdigest()
    return f"consultations:results:{consultation.pk}:{fingerprint}"


def _last_count_key(consultation_id: int, questions: list[Question]) -> str:
    return f"consultations:results-last:{consultation_id}:{_survey_key(questions)}"


def _cached_figures(consultation, filters, questions, version) -> dict | None:
    """The figures counted since the last response was submitted (a closed consultation's, for
    good), or None."""
    return cache.get(_figures_key(consultation, filters, questions, version))


def _last_count(consultation, questions) -> dict | None:
    """The last unfiltered count of every response, however old: what the page shows while a
    worker counts the responses that came since."""
    return cache.get(_last_count_key(consultation.pk, questions))


def _count(consultation, filters, questions, responses, version, matched=None) -> dict:
    figures = _figures(consultation, filters, questions, responses, matched)
    figures.update(total=version["total"], counted_at=timezone.now())
    cache.set(
        _figures_key(consultation, filters, questions, version), figures, RESULTS_CACHE_SECONDS
    )
    if not filters.active:
        cache.set(_last_count_key(consultation.pk, questions), figures, LAST_COUNT_SECONDS)
    return figures


def results_recount(*, consultation_id: int) -> int | None:
    """Count every submitted response of the consultation's survey again and keep the figures
    for the results page (run by a worker after submissions; safe to run twice). Returns the
    number of responses counted, or None if the consultation has gone."""
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return None
    questions = survey_questions(consultation)
    responses = submitted_responses(consultation)
    version = responses.aggregate(total=Count("pk"), last=Max("submitted_at"))
    if _cached_figures(consultation, NO_FILTER, questions, version) is None:
        _count(consultation, NO_FILTER, questions, responses, version)
    _index_refresh(consultation, questions)
    return version["total"]


def _index_refresh(consultation: Consultation, questions: list[Question]) -> None:
    """Build the consultation's results index (PostgreSQL) when there is none for this survey
    or many responses came or went since the last build."""
    if connection.vendor != "postgresql":
        return
    index = results_index.index_get(consultation.pk, _survey_key(questions))
    if index is None or results_index.Snapshot.against_now(index, consultation).stale:
        results_index.index_build(consultation, questions, consent_given=_CONSENT_GIVEN)


def _recount_seconds() -> float:
    return float(getattr(settings, "CIVIC_RESULTS_RECOUNT_SECONDS", 5))


def results_recount_soon(consultation_id: int) -> None:
    """Have a worker count the results again in CIVIC_RESULTS_RECOUNT_SECONDS (default 5), once
    however many responses come in that time: after a submission commits, or when the page finds
    figures older than the last response. If the broker is down the next submission or page
    view asks again."""
    queue_soon(
        "consultations.tasks.results_recount_task", consultation_id, delay=_recount_seconds()
    )


def _cached_theme_counts(
    consultation, filters, questions, version, matched=None
) -> list[tuple[int, int, int]]:
    """(theme, question, answers coded) from the cache until an answer is coded or uncoded (a new
    code has a higher id; an uncoding lowers the count) or, when filtered, a response comes."""
    coded = Answer.themes.through.objects.filter(theme__consultation=consultation)
    coding = coded.aggregate(count=Count("pk"), last=Max("pk"))
    fingerprint = hashlib.sha256(
        repr((filters, coding["count"], coding["last"], version["total"], version["last"])).encode()
    ).hexdigest()
    key = f"consultations:themes:{consultation.pk}:{fingerprint}"
    counts = cache.get(key)
    if counts is None:
        # Only submitted responses are coded (see _check_coding): unfiltered, the theme says
        # enough about which answers count.
        if matched is not None and matched.counts_themes:
            counts = matched.theme_counts(consultation)
        else:
            if filters.active:
                coded = coded.filter(
                    **_matching("answer__response__", consultation, filters, questions)
                )
            counts = list(
                coded.values("theme_id", "answer__question_id")
                .annotate(count=Count("pk"))
                .order_by()
                .values_list("theme_id", "answer__question_id", "count")
            )
        cache.set(key, counts, RESULTS_CACHE_SECONDS)
    return counts


def _choice_counts() -> dict:
    return {
        "count": Count("*"),
        "rank_sum": Sum("rank", default=0),
        "ranked": Count("rank"),
        "first": Count("pk", filter=Q(rank=1)),
    }


def _detail_counts() -> dict:
    return {
        "written": Count("pk", filter=~Q(text="")),
        "agreed": Count("pk", filter=Q(text__in=_CONSENT_GIVEN)),
        "number_sum": Sum("number", default=0),
        "number_count": Count("number"),
    }


def _extremes() -> dict:
    return {
        "minimum": Min("number"),
        "maximum": Max("number"),
        "earliest": Min("date"),
        "latest": Max("date"),
    }


def _grouped(queryset, key: str, aggregates: dict) -> dict[int, dict]:
    return {row.pop(key): row for row in queryset.values(key).annotate(**aggregates).order_by()}


def _matching(path: str, consultation, filters, questions) -> dict:
    """The filtered responses as conditions on the way (path) from the rows counted to their
    response: a join, where submitted_responses is a subquery.

    PostgreSQL runs `response IN (responses whose answer chose the option)` as a hash of every
    answer (two million read for a few thousand responses), again for each figure. Joined from
    the response to its answer to the option's question and that answer's choice of the option,
    the same responses (one answer per question, one choice per option: no row counts twice)
    come through the (response, question) and (answer, option) indexes, and the planner starts
    from whichever side is smaller."""
    lookups = {f"{path}consultation": consultation, f"{path}status": Response.Status.SUBMITTED}
    if filters.area_id is not None:
        lookups[f"{path}area_id"] = filters.area_id
    if filters.option_id is not None:
        lookups[f"{path}answers__choices__option_id"] = filters.option_id
        question_id = next(
            (
                question.pk
                for question in questions
                if any(option.pk == filters.option_id for option in question.options.all())
            ),
            None,
        )
        if question_id is not None:
            lookups[f"{path}answers__question_id"] = question_id
    return lookups


class _Matched:
    """The responses a filter keeps, read once as a list of ids, and every figure counted over
    them by id (PostgreSQL's `= ANY(array)`), so that each count walks only their own answers
    through the (response, question) index, instead of joining every answer of the survey to
    the filter again for each figure (seconds over 100,000 responses). Elsewhere (SQLite) `ids`
    is None and the figures are counted through `_matching`."""

    def __init__(self, ids: list[int] | None, version: dict):
        self.ids = ids
        self.version = version

    @property
    def counts_themes(self) -> bool:
        return self.ids is not None

    @classmethod
    def of(cls, responses: QuerySet[Response]) -> _Matched:
        if connection.vendor != "postgresql":
            return cls(None, responses.aggregate(total=Count("pk"), last=Max("submitted_at")))
        rows = list(responses.order_by().values_list("pk", "submitted_at"))
        last = max((submitted for _pk, submitted in rows if submitted is not None), default=None)
        return cls([pk for pk, _submitted in rows], {"total": len(rows), "last": last})

    @staticmethod
    def _rows(sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def counts(self, counted: list[int], detailed: list[int]) -> tuple[dict, dict, dict, list]:
        """(chosen, answered, details, days), as `_figures` counts them through `_matching`."""
        answer, choice = Answer._meta.db_table, AnswerChoice._meta.db_table
        chosen_sql = (
            "SELECT c.option_id, COUNT(*), COALESCE(SUM(c.rank), 0), COUNT(c.rank), "  # noqa: S608
            f"COUNT(*) FILTER (WHERE c.rank = 1) FROM {choice} c "
            f"JOIN {answer} a ON a.id = c.answer_id WHERE a.response_id = ANY(%s) "
            "GROUP BY c.option_id"
        )
        chosen = {
            option_id: {"count": count, "rank_sum": rank_sum, "ranked": ranked, "first": first}
            for option_id, count, rank_sum, ranked, first in self._rows(chosen_sql, [self.ids])
        }
        answered_sql = (
            f"SELECT question_id, COUNT(*) FROM {answer} "  # noqa: S608
            "WHERE response_id = ANY(%s) AND question_id = ANY(%s) GROUP BY question_id"
        )
        answered = {
            question_id: {"answered": count}
            for question_id, count in self._rows(answered_sql, [self.ids, counted])
        }
        details_sql = (
            "SELECT question_id, COUNT(*) FILTER (WHERE text <> ''), "  # noqa: S608
            "COUNT(*) FILTER (WHERE text = ANY(%s)), COALESCE(SUM(number), 0), COUNT(number), "
            f"MIN(number), MAX(number), MIN(date), MAX(date) FROM {answer} "
            "WHERE response_id = ANY(%s) AND question_id = ANY(%s) GROUP BY question_id"
        )
        names = ("written", "agreed", "number_sum", "number_count", "minimum", "maximum",
                 "earliest", "latest")  # fmt: skip
        details = {
            row[0]: dict(zip(names, row[1:], strict=True))
            for row in self._rows(details_sql, [_CONSENT_GIVEN, self.ids, detailed])
        }
        days_sql = (
            "SELECT (submitted_at AT TIME ZONE %s)::date AS day, COUNT(*) "  # noqa: S608
            f"FROM {Response._meta.db_table} WHERE id = ANY(%s) GROUP BY day ORDER BY day"
        )
        days = [
            tuple(row)
            for row in self._rows(days_sql, [timezone.get_current_timezone_name(), self.ids])
        ]
        return chosen, answered, details, days

    def theme_counts(self, consultation: Consultation) -> list[tuple[int, int, int]]:
        """(theme, question, answers coded) of these responses' answers."""
        coded, answer = Answer.themes.through._meta.db_table, Answer._meta.db_table
        sql = (
            f"SELECT coded.theme_id, a.question_id, COUNT(*) FROM {coded} coded "  # noqa: S608
            f"JOIN {Theme._meta.db_table} theme ON theme.id = coded.theme_id "
            f"JOIN {answer} a ON a.id = coded.answer_id "
            "WHERE theme.consultation_id = %s AND a.response_id = ANY(%s) "
            "GROUP BY coded.theme_id, a.question_id"
        )
        return [tuple(row) for row in self._rows(sql, [consultation.pk, self.ids])]


class _Indexed:
    """A filter counted over the results index a worker built (see results_index): the
    indexed responses it keeps as a bitmap, and those submitted since that it keeps, counted by
    the database."""

    counts_themes = True

    def __init__(self, snapshot: results_index.Snapshot, bits: int, since: list[int]):
        self.snapshot, self.bits, self.since = snapshot, bits, since
        self.version = {"total": bits.bit_count() + len(since), "last": snapshot.last}

    @classmethod
    def of(cls, consultation, filters, questions) -> _Indexed | None:
        if connection.vendor != "postgresql":
            return None
        index = results_index.index_get(consultation.pk, _survey_key(questions))
        if index is None:
            results_recount_soon(consultation.pk)
            return None
        snapshot = results_index.Snapshot.against_now(index, consultation)
        if snapshot.stale:
            results_recount_soon(consultation.pk)
        bits = snapshot.matching(area_id=filters.area_id, option_id=filters.option_id)
        since = []
        if snapshot.since:
            since = list(
                submitted_responses(consultation, filters)
                .filter(pk__in=snapshot.since)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return cls(snapshot, bits, since)

    def figures(self, counted: list[int], detailed: list[int]) -> dict:
        figures = results_index.figures(
            self.snapshot.index, self.bits, counted=counted, detailed=detailed
        )
        if self.since:
            since = _Matched(self.since, {}).counts(counted, detailed)
            figures = results_index.figures_add(figures, _plain(*since))
        return figures

    def theme_counts(self, consultation: Consultation) -> list[tuple[int, int, int]]:
        """(theme, question, answers coded) of the kept responses' answers: the codes (a few
        of the written answers, and they change while officers code) are read, and kept when
        their response is."""
        coded, answer = Answer.themes.through._meta.db_table, Answer._meta.db_table
        sql = (
            f"SELECT coded.theme_id, a.question_id, a.response_id FROM {coded} coded "  # noqa: S608
            f"JOIN {Theme._meta.db_table} theme ON theme.id = coded.theme_id "
            f"JOIN {answer} a ON a.id = coded.answer_id WHERE theme.consultation_id = %s"
        )
        keeps = self.snapshot.keeps(self.bits, self.since)
        counts = Counter(
            (theme_id, question_id)
            for theme_id, question_id, response_id in _Matched._rows(sql, [consultation.pk])
            if keeps(response_id)
        )
        return [(theme_id, question_id, count) for (theme_id, question_id), count in counts.items()]


def _figures(consultation, filters, questions, responses, matched=None) -> dict:
    """Counts per option, answers per question, the details of text, number, date and consent
    answers, and responses per day, as plain data for the cache.

    For every response (the page as it opens) the counts are of all the survey's answers, read
    from the indexes without joining millions of rows to their responses, less the drafts' (a
    few); only the smallest and largest numbers and dates need the join. For a filtered set of
    responses every count is joined to the responses (see _matching)."""
    options = [option.pk for question in questions for option in question.options.all()]
    ranked = [option.pk for q in questions if q.kind == Kind.RANKING for option in q.options.all()]
    counted = [q.pk for q in questions if q.kind not in _ONE_CHOICE_KINDS or q.allow_other]
    detailed = [q.pk for q in questions if q.kind in _DETAIL_KINDS or q.allow_other]
    bounded = [q.pk for q in questions if q.kind in (Kind.NUMBER, Kind.DATE)]
    if isinstance(matched, _Indexed):
        return matched.figures(counted, detailed)
    if matched is not None and matched.ids is not None:
        chosen, answered, details, days = matched.counts(counted, detailed)
        return _plain(chosen, answered, details, days)
    if filters.active:
        to_choices = _matching("answer__response__", consultation, filters, questions)
        to_answers = _matching("response__", consultation, filters, questions)
        responses = Response.objects.filter(**_matching("", consultation, filters, questions))
        chosen = _grouped(AnswerChoice.objects.filter(**to_choices), "option_id", _choice_counts())
        answered = _grouped(
            Answer.objects.filter(question_id__in=counted, **to_answers),
            "question_id",
            {"answered": Count("*")},
        )
        details = _grouped(
            Answer.objects.filter(question_id__in=detailed, **to_answers),
            "question_id",
            {**_detail_counts(), **_extremes()},
        )
    else:
        chosen = _grouped(
            AnswerChoice.objects.filter(option_id__in=options), "option_id", {"count": Count("*")}
        )
        if ranked:
            chosen.update(
                _grouped(
                    AnswerChoice.objects.filter(option_id__in=ranked), "option_id", _choice_counts()
                )
            )
        answered = _grouped(
            Answer.objects.filter(question_id__in=counted), "question_id", {"answered": Count("*")}
        )
        details = _grouped(
            Answer.objects.filter(question_id__in=detailed), "question_id", _detail_counts()
        )
        drafts = Response.objects.filter(consultation=consultation, status=Response.Status.DRAFT)
        drafted_choices = _grouped(
            AnswerChoice.objects.filter(answer__response__in=drafts), "option_id", _choice_counts()
        )
        drafted_answers = _grouped(
            Answer.objects.filter(response__in=drafts, question_id__in=counted),
            "question_id",
            {"answered": Count("*"), **_detail_counts()},
        )
        _subtract(chosen, drafted_choices)
        _subtract(answered, drafted_answers)
        _subtract(details, drafted_answers)
        if bounded:
            extremes = _grouped(
                Answer.objects.filter(response__in=responses, question_id__in=bounded),
                "question_id",
                _extremes(),
            )
            for question_id, row in extremes.items():
                details.setdefault(question_id, {}).update(row)
    days = list(
        responses.annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
        .values_list("day", "count")
    )
    return _plain(chosen, answered, details, days)


def _plain(chosen: dict, answered: dict, details: dict, days: list) -> dict:
    """The figures as plain data for the cache."""
    return {
        "chosen": {
            option_id: tuple(row.get(name, 0) for name in ("count", "rank_sum", "ranked", "first"))
            for option_id, row in chosen.items()
        },
        "answered": {question_id: row["answered"] for question_id, row in answered.items()},
        "details": details,
        "days": days,
    }


def _subtract(totals: dict[int, dict], drafted: dict[int, dict]) -> None:
    """Take the drafts' counts away from the counts of every answer, field by field."""
    for key, row in totals.items():
        taken = drafted.get(key, {})
        for name, value in row.items():
            row[name] = value - taken.get(name, 0)


def _fill_days(days: list[tuple[date, int]]) -> list[DayCount]:
    """Submitted responses per day (in the site's time zone), days without any shown as 0."""
    counts = {day: count for day, count in days if day is not None}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    if (last - first).days > 400:
        return [DayCount(day, count) for day, count in sorted(counts.items())]
    return [
        DayCount(first + timedelta(days=offset), counts.get(first + timedelta(days=offset), 0))
        for offset in range((last - first).days + 1)
    ]


# Open data --------------------------------------------------------------------------------------


def open_results(*, consultation: Consultation) -> dict | None:
    """The aggregate results anyone may see: only once the consultation has closed, only the
    counts of choice questions, never 'About you' questions, free text or who answered."""
    if consultation.stage not in (Consultation.Stage.CLOSED, Consultation.Stage.OUTCOME):
        return None
    questions = [
        question
        for question in survey_questions(consultation)
        if question.has_options and is_public_question(question)
    ]
    results = results_compute(consultation=consultation, questions=questions)
    return {
        "responses": results.responses,
        "questions": [
            {
                "id": result.question.pk,
                "text": result.question.text,
                "kind": result.kind,
                "answered": result.answered,
                "mean": result.mean,
                "options": [
                    {
                        "label": option.label,
                        "count": option.count,
                        "percent": option.percent,
                        "mean_rank": option.mean_rank,
                    }
                    for option in result.options
                ],
            }
            for result in results.questions
        ],
    }
