"""Exports of a consultation's responses: one row per submitted response, one column per question
(one per option for multiple choice and ranking), as CSV or XLSX.

A CSV of up to CIVIC_EXPORT_INLINE_ROWS responses streams in the request; anything larger, and
every XLSX, is written by a worker into storage and downloaded from the results page by the
officer who asked for it, until it expires. Rows come from a server-side cursor with their answers
loaded a chunk at a time, so memory stays flat. Every export and every download is audited.

Only submitted responses count; drafts never appear in an export.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import batched

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    OuterRef,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.exports import csv_rows, xlsx_write
from civic.files import delete_after_commit
from civic.models import AuditEntry
from civic.queueing import queue, queue_after_commit
from civic.services import audit_record, require, state_move
from consultations.models import (
    Answer,
    AnswerChoice,
    Consultation,
    Question,
    ResponseExport,
)
from consultations.selectors import (
    NO_FILTER,
    ResponseFilter,
    plain_number,
    submitted_responses,
    survey_questions,
)
from consultations.services import NOT_RUNNING

Kind = Question.Kind
# The responses (and their answers and choices) an export loads at once.
EXPORT_CHUNK = 2000
RESPONSE_EXPORT = "consultations.tasks.response_export_task"

# Export -----------------------------------------------------------------------------------------


class QuestionColumns:
    """A question's columns and how one response's answer fills them: one column for most
    questions; multiple choice and ranking have one per option (1 or blank; the rank), and a
    multiple choice with 'Other' a column for what was written in. A chosen option's label, a
    number or a date otherwise; text as it was written (the writers in civic.exports make every
    cell safe to open). `cells(answer)` takes (text, number, date, chosen), where chosen maps the
    chosen options' ids (as text, as _chosen gives them) to their rank ("" for none)."""

    def __init__(self, number: int, question: Question):
        self.question_id = question.pk
        self.has_options = question.has_options
        title = f"Q{number}. {question.text}"
        options = [(str(option.pk), option.label) for option in question.options.all()]
        self.option_ids = [option_id for option_id, _label in options]
        self.labels = options
        if question.kind == Kind.MULTIPLE_CHOICE:
            self.headers = [f"{title}: {label}" for _option_id, label in options]
            if question.allow_other:
                self.headers.append(f"{title}: {_('Other')}")
                self.cells = self._flags_and_other
            else:
                self.cells = self._flags
        elif question.kind == Kind.RANKING:
            self.headers = [f"{title}: {label}" for _option_id, label in options]
            self.cells = self._ranks
        else:
            self.headers = [title]
            self.cells = self._labels if question.has_options else self._value
        self.blank = [""] * len(self.headers)

    def _flags(self, answer: tuple) -> list:
        chosen = answer[3]
        return [1 if option_id in chosen else "" for option_id in self.option_ids]

    def _flags_and_other(self, answer: tuple) -> list:
        return [*self._flags(answer), answer[0]]

    def _ranks(self, answer: tuple) -> list:
        chosen = answer[3]
        return [int(chosen.get(option_id) or 0) or "" for option_id in self.option_ids]

    def _labels(self, answer: tuple) -> list:
        chosen, text = answer[3], answer[0]
        picked = [label for option_id, label in self.labels if option_id in chosen]
        return ["; ".join([*picked, text] if text else picked)]

    def _value(self, answer: tuple) -> list:
        text, number, day = answer[0], answer[1], answer[2]
        if number is not None:
            return [plain_number(number)]
        if day is not None:
            return [day.isoformat()]
        return [text]


def export_columns(questions: list[Question]) -> list[QuestionColumns]:
    return [QuestionColumns(number, question) for number, question in enumerate(questions, 1)]


def export_table(
    *, consultation: Consultation, filters: ResponseFilter = NO_FILTER
) -> tuple[list[str], Iterator[list]]:
    """The header and a generator of rows: one per submitted response, in the order they were
    started."""
    questions = export_columns(survey_questions(consultation))
    header = [
        _("Reference"),
        _("Submitted at"),
        _("Area"),
        *(title for question in questions for title in question.headers),
    ]
    return header, _export_rows(consultation, filters, questions)


def _chosen(listed: str) -> dict[str, str]:
    """{option id: rank} from the "option:rank,option:rank" of _answers_with_choices, as text
    (most answers choose one option)."""
    if "," not in listed:
        option_id, _colon, rank = listed.partition(":")
        return {option_id: rank}
    return dict(pair.split(":", 1) for pair in listed.split(","))


def _answers_with_choices(first: int, last: int, questions: list[QuestionColumns]):
    """The answers to these questions of the responses with ids first..last, each with its
    chosen options as one "option:rank,..." text. The choices come from a subquery on each
    answer of a question with options (an index lookup), not from a join: a join had PostgreSQL
    read every chosen option of every consultation once per chunk."""
    with_options = [question.question_id for question in questions if question.has_options]
    listed = (
        AnswerChoice.objects.filter(answer_id=OuterRef("pk"))
        .order_by()
        .values("answer_id")
        .annotate(
            listed=StringAgg(
                Concat("option_id", Value(":"), "rank", output_field=CharField()),
                delimiter=Value(","),
            )
        )
        .values("listed")
    )
    return (
        Answer.objects.filter(
            response_id__gte=first,
            response_id__lte=last,
            question_id__in=[question.question_id for question in questions],
        )
        .annotate(
            listed=Case(
                When(question_id__in=with_options, then=Subquery(listed)),
                default=Value(None),
                output_field=CharField(),
            )
        )
        .order_by()
        .values_list("response_id", "question_id", "text", "number", "date", "listed")
    )


def _export_rows(consultation, filters, questions: list[QuestionColumns]) -> Iterator[list]:
    """Rows from a server-side cursor over the responses in the order they were started; each
    chunk's answers, with their choices, come in one query over the chunk's range of response
    ids (two parameters, not two thousand), and only one chunk is held at a time."""
    zone = timezone.get_current_timezone()
    ordered = (
        submitted_responses(consultation, filters)
        .order_by("pk")
        .values_list("pk", "reference", "submitted_at", "area__name")
    )
    nothing: dict = {}
    layout = [(question.question_id, question.cells, question.blank) for question in questions]
    for chunk in batched(ordered.iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
        # The range also holds drafts and other consultations' responses: their answers are
        # left out by the question ids or ignored below.
        answers: dict[int, dict[int, tuple]] = defaultdict(dict)
        for response_id, question_id, text, number, day, listed in _answers_with_choices(
            chunk[0][0], chunk[-1][0], questions
        ):
            answers[response_id][question_id] = (
                text,
                number,
                day,
                _chosen(listed) if listed else nothing,
            )
        for response_id, reference, submitted_at, area in chunk:
            given = answers.get(response_id, nothing)
            row = [
                reference,
                submitted_at.astimezone(zone).replace(tzinfo=None).isoformat(" ", "minutes")
                if submitted_at
                else "",
                area or "",
            ]
            for question_id, cells, blank in layout:
                answer = given.get(question_id)
                row += blank if answer is None else cells(answer)
            yield row


def _export_record(actor, consultation: Consultation, file_format: str, filters) -> None:
    require(actor, "consultations.export_responses", consultation, message=NOT_RUNNING)
    described = []
    if filters.area_id is not None:
        described.append(f"area #{filters.area_id}")
    if filters.option_id is not None:
        described.append(f"answer option #{filters.option_id}")
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=consultation,
        summary=f"Exported the responses as {file_format.upper()}"
        + (f" (filtered by {', '.join(described)})" if described else ""),
    )


def responses_export(
    *,
    actor,
    consultation: Consultation,
    file_format: str,
    filters: ResponseFilter = NO_FILTER,
) -> tuple[list[str], Iterator[list]]:
    """Check the officer may export, record the export, and give the header and the rows."""
    with transaction.atomic():
        _export_record(actor, consultation, file_format, filters)
    return export_table(consultation=consultation, filters=filters)


def export_days() -> int:
    return int(getattr(settings, "CIVIC_EXPORT_DAYS", 7))


def export_inline_rows() -> int:
    return int(getattr(settings, "CIVIC_EXPORT_INLINE_ROWS", 20_000))


def export_streams(*, consultation: Consultation, file_format: str, filters=NO_FILTER) -> bool:
    """Whether an export is streamed in the request: a CSV of up to CIVIC_EXPORT_INLINE_ROWS
    responses. Anything larger (or any XLSX) would outlast a web request's time limit, so a
    worker writes it (export_request)."""
    if file_format != "csv":
        return False
    limit = export_inline_rows()
    return submitted_responses(consultation, filters)[: limit + 1].count() <= limit


def export_request(
    *,
    actor,
    consultation: Consultation,
    file_format: str = "xlsx",
    filters: ResponseFilter = NO_FILTER,
) -> ResponseExport:
    """Check and record an export, and have a worker write it once this commits; the officer
    downloads it from the results page (export_open)."""
    if file_format not in ("csv", "xlsx"):
        raise ValidationError(_("Choose CSV or XLSX."))
    with transaction.atomic():
        _export_record(actor, consultation, file_format, filters)
        export = ResponseExport.objects.create(
            consultation=consultation,
            requested_by=actor,
            file_format=file_format,
            area_id=filters.area_id,
            option_id=filters.option_id,
        )
        queue_after_commit(RESPONSE_EXPORT, export.pk)
    return export


def export_write(*, export_id: int, now: datetime | None = None) -> ResponseExport | None:
    """Write a queued export's workbook into storage (a worker's job; safe to run twice: a
    finished export is left alone, and a worker that dies half-way leaves it queued for the next
    attempt, with no file saved)."""
    with transaction.atomic():
        export = (
            ResponseExport.objects.select_for_update(skip_locked=True)
            .select_related("consultation")
            .filter(pk=export_id, status=ResponseExport.Status.QUEUED)
            .first()
        )
        if export is None:
            return None
        filters = ResponseFilter(area_id=export.area_id, option_id=export.option_id)
        header, rows = export_table(consultation=export.consultation, filters=filters)
        counted = _Counted(rows)
        suffix = f".{export.file_format}"
        with tempfile.TemporaryFile(suffix=suffix) as written:
            if export.file_format == "csv":
                for text in csv_rows(header, counted):
                    written.write(text.encode("utf-8"))
            else:
                xlsx_write(header, counted, written, sheet=_("Responses"))
            written.seek(0)
            name = f"{export.consultation.slug}-responses{suffix}"
            export.file.save(name, File(written), save=False)
        now = now or timezone.now()
        state_move(
            export,
            ResponseExport.Status.READY,
            actor=None,
            summary=None,
            fields={
                "file": export.file,
                "rows": counted.count,
                "finished_at": now,
                "expires_at": now + timedelta(days=export_days()),
            },
        )
    return export


class _Counted:
    """Rows passed through, counted."""

    def __init__(self, rows: Iterable[list]):
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[list]:
        for row in self.rows:
            self.count += 1
            yield row


def exports_for(*, actor, consultation: Consultation) -> QuerySet[ResponseExport]:
    """The officer's own exports of the consultation that have not expired, newest first."""
    return ResponseExport.objects.filter(
        consultation=consultation,
        requested_by=actor,
        status__in=set(ResponseExport.Status) - {ResponseExport.Status.EXPIRED},
    )[:10]


def export_open(*, actor, export: ResponseExport, now: datetime | None = None):
    """The file of a ready export, for the officer who asked for it while they may still export
    the consultation's responses; the download is audited. Raises PermissionDenied, or
    ValidationError when it is not (or no longer) there."""
    now = now or timezone.now()
    if export.requested_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the officer who asked for an export may download it."))
    require(actor, "consultations.export_responses", export.consultation, message=NOT_RUNNING)
    if export.status != ResponseExport.Status.READY or not export.file:
        raise ValidationError(_("This export is not ready."), code="not_ready")
    if export.expires_at is None or export.expires_at <= now:
        raise ValidationError(_("This export has expired: export the responses again."))
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=export.consultation,
        summary=f"Downloaded {export.file_format.upper()} export #{export.pk} "
        f"({export.rows} responses)",
    )
    return export.file.open("rb")


def exports_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the files of exports past their date, and queue again exports that no worker has
    picked up for a while (the broker was down when they were asked for)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for export in ResponseExport.objects.select_for_update(skip_locked=True).filter(
            status=ResponseExport.Status.READY, expires_at__lte=now
        ):
            delete_after_commit(export.file)
            state_move(
                export,
                ResponseExport.Status.EXPIRED,
                actor=None,
                summary=None,
                fields={"file": ""},
            )
            expired += 1
    waiting = list(
        ResponseExport.objects.filter(
            status=ResponseExport.Status.QUEUED, created_at__lte=now - timedelta(minutes=10)
        ).values_list("pk", flat=True)
    )
    for export_id in waiting:
        queue(RESPONSE_EXPORT, export_id)
    return {"expired": expired, "queued": len(waiting)}
