"""Exports of a consultation's responses: one row per submitted response and one column per
question (one per option for multiple choice and ranking), formulas neutralised, CSV streamed and
XLSX written row by row, each export audited, and nothing for officers of other departments."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from civic.models import AuditEntry, Role
from consultations.models import ResponseExport
from consultations.services import exports
from tests.consultations.test_results import make_responses, respond, results_url
from tests.factories import RoleFactory
from tests.pages import assert_page
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def responses(council, survey):
    return make_responses(council, survey)


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list]:
    assert isinstance(response, FileResponse)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [["" if cell is None else cell for cell in row] for row in workbook.active.values]
    # A row ends at its last cell that holds something.
    return [row + [""] * (len(rows[0]) - len(row)) for row in rows]


def _export(client, survey, file_format="csv", **data):
    return client.post(results_url(survey.consultation, "export"), {"format": file_format, **data})


def _rows_by_reference(rows: list[list]) -> dict[str, dict[str, object]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


HEADER_START = [
    "Reference",
    "Submitted at",
    "Area",
    "Q1. Do you cycle by the river?",
    "Q2. Which route do you use?",
    "Q3. What would help you cycle more?",
    "Q4. What should we improve?: Lighting",
    "Q4. What should we improve?: Surface",
    "Q4. What should we improve?: Signs",
    "Q4. What should we improve?: Other",
    "Q5. When do you travel?",
    "Q6. The plan is a good idea",
    "Q7. Rank these by importance: Safety",
    "Q7. Rank these by importance: Speed",
    "Q7. Rank these by importance: Scenery",
    "Q8. Trips a week",
    "Q9. Cycling since",
    "Q10. Your e-mail address",
    "Q11. Your postcode",
    "Q12. You may publish my answers without my name",
]


def test_the_csv_has_a_row_per_submitted_response_and_a_column_per_question_and_option(
    council, survey, responses, client
):
    client.force_login(council.officer)

    rows = _csv(_export(client, survey))

    assert rows[0] == HEADER_START
    by_reference = _rows_by_reference(rows)
    assert list(by_reference) == [
        responses[name].reference for name in ("ann", "bob", "cat", "dan")
    ]
    ann = by_reference[responses["ann"].reference]
    assert ann["Area"] == "Ancoats"
    assert ann["Q1. Do you cycle by the river?"] == "Yes"
    assert ann["Q4. What should we improve?: Lighting"] == "1"
    assert ann["Q4. What should we improve?: Surface"] == "1"
    assert ann["Q4. What should we improve?: Signs"] == ""
    assert ann["Q7. Rank these by importance: Safety"] == "1"
    assert ann["Q7. Rank these by importance: Scenery"] == "3"
    assert ann["Q8. Trips a week"] == "10"
    assert ann["Q10. Your e-mail address"] == "ann@example.org"
    cat = by_reference[responses["cat"].reference]
    assert cat["Q4. What should we improve?: Other"] == "Benches"
    assert cat["Q4. What should we improve?: Signs"] == "1"
    assert cat["Q7. Rank these by importance: Safety"] == ""
    assert "A draft secret" not in repr(rows)


def test_the_export_neutralises_formulas(council, survey, responses, client):
    respond(survey, answers={"cycles": "Yes", "helps": "@SUM(A1:A9)", "route": "+44 canal"})
    client.force_login(council.officer)

    rows = _csv(_export(client, survey))
    helps = [row[5] for row in rows[1:]]
    routes = [row[4] for row in rows[1:]]

    assert "'=1+1" in helps
    assert "=1+1" not in helps
    assert "'@SUM(A1:A9)" in helps
    assert "'+44 canal" in routes


def _prepared_xlsx(client, survey, **data) -> ResponseExport:
    """Ask for an XLSX from the results page and write it as the worker does."""
    response = _export(client, survey, "xlsx", **data)
    assert response.status_code == 302
    assert response["Location"] == results_url(survey.consultation) + "#results-exports"
    export = ResponseExport.objects.latest("pk")
    assert export.status == ResponseExport.Status.QUEUED
    exports.export_write(export_id=export.pk)
    export.refresh_from_db()
    return export


def _download_url(survey, export) -> str:
    return reverse(
        "admin:consultations_consultation_results_export_download",
        args=[survey.consultation.pk, export.pk],
    )


def test_the_xlsx_is_prepared_by_a_worker_and_holds_the_rows_with_formulas_neutralised(
    council, survey, responses, client
):
    client.force_login(council.officer)

    export = _prepared_xlsx(client, survey)
    page = client.get(results_url(survey.consultation)).content.decode()
    response = client.get(_download_url(survey, export))
    rows = _xlsx(response)

    assert (export.status, export.rows) == (ResponseExport.Status.READY, 4)
    assert f'href="{_download_url(survey, export)}"' in page
    assert f"Download export {export.pk} (XLSX)" in page
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="riverside-cycle-lanes-responses.xlsx"' in response["Content-Disposition"]
    assert rows[0] == HEADER_START
    by_reference = _rows_by_reference(rows)
    bob = by_reference[responses["bob"].reference]
    assert bob["Q3. What would help you cycle more?"] == "'=1+1"
    assert bob["Q4. What should we improve?: Lighting"] == 1
    assert bob["Q7. Rank these by importance: Speed"] == 1
    assert bob["Q8. Trips a week"] == 4
    assert len(by_reference) == 4


def test_a_csv_larger_than_the_inline_limit_is_written_by_a_worker(
    council, survey, responses, client, settings
):
    settings.CIVIC_EXPORT_INLINE_ROWS = 3
    client.force_login(council.officer)

    response = _export(client, survey, "csv")

    assert response.status_code == 302
    export = ResponseExport.objects.get()
    assert export.file_format == "csv"
    exports.export_write(export_id=export.pk)
    download = client.get(_download_url(survey, export))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="riverside-cycle-lanes-responses.csv"' in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == HEADER_START and len(rows) == 5
    assert "'=1+1" in text

    settings.CIVIC_EXPORT_INLINE_ROWS = 4
    assert len(_csv(_export(client, survey, "csv"))) == 5  # four rows stream at once


def test_an_xlsx_keeps_the_filters_it_was_asked_with(council, survey, responses, client):
    client.force_login(council.officer)

    export = _prepared_xlsx(client, survey, area=council.ward.pk)
    rows = _xlsx(client.get(_download_url(survey, export)))

    assert [row[0] for row in rows[1:]] == [responses["ann"].reference, responses["bob"].reference]


def test_writing_an_export_twice_writes_it_once(council, survey, responses, client):
    client.force_login(council.officer)
    export = _prepared_xlsx(client, survey)
    name = export.file.name

    assert exports.export_write(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.file.name == name


def test_only_the_officer_who_asked_downloads_an_export(council, survey, responses, client):
    client.force_login(council.officer)
    export = _prepared_xlsx(client, survey)
    colleague = RoleFactory(
        organisation=council.organisation, kind=Role.Kind.OFFICER, departments=[council.department]
    ).user
    client.force_login(colleague)
    before = AuditEntry.objects.count()

    response = client.get(_download_url(survey, export))

    assert response.status_code == 403
    assert AuditEntry.objects.count() == before


def test_an_export_not_ready_or_expired_is_not_downloaded(
    council, survey, responses, client, clock
):
    client.force_login(council.officer)
    _export(client, survey, "xlsx")
    queued = ResponseExport.objects.get()

    response = client.get(_download_url(survey, queued), follow=True)
    assert "This export is not ready." in response.content.decode()

    exports.export_write(export_id=queued.pk, now=clock.now)
    clock.advance(days=exports.export_days(), minutes=1)
    assert exports.exports_sweep(now=clock.now) == {"expired": 1, "queued": 0}
    queued.refresh_from_db()
    assert (queued.status, queued.file.name) == (ResponseExport.Status.EXPIRED, "")
    response = client.get(_download_url(survey, queued), follow=True)
    assert_page(response, heading="Results: Riverside cycle lanes")
    assert "This export is not ready." in response.content.decode()
    assert "Download export" not in response.content.decode()


def test_the_sweep_queues_again_an_export_no_worker_picked_up(council, survey, responses, clock):
    exports.export_request(actor=council.officer, consultation=survey.consultation)

    assert exports.exports_sweep(now=clock.now)["queued"] == 0
    clock.advance(minutes=11)
    assert exports.exports_sweep(now=clock.now) == {"expired": 0, "queued": 1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_prepares_the_xlsx(celery_worker, council, survey, client):
    make_responses(council, survey)
    client.force_login(council.officer)

    _export(client, survey, "xlsx")

    def ready():
        export = ResponseExport.objects.get()
        return export if export.status == ResponseExport.Status.READY else None

    export = wait_for(ready, message=f"no export written:\n{celery_worker.log()}")
    assert export.rows == 4
    assert len(_xlsx(client.get(_download_url(survey, export)))) == 5


def test_an_export_filtered_by_area_holds_only_that_areas_responses(
    council, survey, responses, client
):
    client.force_login(council.officer)

    rows = _csv(_export(client, survey, area=council.ward.pk))

    assert [row[0] for row in rows[1:]] == [responses["ann"].reference, responses["bob"].reference]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.summary == f"Exported the responses as CSV (filtered by area #{council.ward.pk})"


def test_each_export_is_audited_with_its_officer_and_format(council, survey, responses, client):
    client.force_login(council.officer)

    _csv(_export(client, survey))
    export = _prepared_xlsx(client, survey)
    _xlsx(client.get(_download_url(survey, export)))

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).order_by("pk")
    assert [(entry.actor, entry.summary) for entry in entries] == [
        (council.officer, "Exported the responses as CSV"),
        (council.officer, "Exported the responses as XLSX"),
        (council.officer, f"Downloaded XLSX export #{export.pk} (4 responses)"),
    ]
    assert entries[0].object_id == str(survey.consultation.pk)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_officer_of_another_department_cannot_export_and_nothing_is_audited(
    council, survey, responses, client, file_format
):
    client.force_login(council.other_officer)

    response = _export(client, survey, file_format)

    # The same answer as for a consultation that does not exist (civic.admin_base).
    assert_page(response, heading="Page not found", status=404)
    assert b"ann@example.org" not in response.content
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_the_service_refuses_an_export_to_someone_who_does_not_run_the_consultation(
    council, survey
):
    with pytest.raises(exports.PermissionDenied):
        exports.responses_export(
            actor=council.other_officer, consultation=survey.consultation, file_format="csv"
        )
    assert not AuditEntry.objects.exists()


def test_an_export_is_a_post(council, survey, client):
    client.force_login(council.officer)

    response = client.get(results_url(survey.consultation, "export"), {"format": "csv"})

    assert response.status_code == 405
    assert not AuditEntry.objects.exists()


def test_export_rows_load_answers_a_chunk_at_a_time(council, survey, monkeypatch):
    """The rows come from a cursor in chunks; answers and their choices are loaded in one query
    per chunk, not per response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(exports, "EXPORT_CHUNK", 3)
    for number in range(7):
        respond(survey, answers={"cycles": "Yes", "improve": ["Signs"], "trips": number})
    header, rows = exports.export_table(consultation=survey.consultation)

    with CaptureQueriesContext(connection) as queries:
        exported = list(rows)

    assert [row[header.index("Q8. Trips a week")] for row in exported] == list(range(7))
    # The responses (one cursor), then the answers with their choices for each of three chunks.
    assert len(queries) == 1 + 3, [query["sql"][:60] for query in queries]


def test_drafts_and_other_consultations_between_the_rows_stay_out_of_the_export(
    council, survey, monkeypatch
):
    from tests.consultations.conftest import make_consultation

    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    other = make_consultation(council.department, slug="other-consultation")
    first = respond(survey, answers={"cycles": "Yes", "trips": 1})
    respond(other, answers={"cycles": "No", "trips": 99, "helps": "Not this one"})
    respond(survey, status="draft", answers={"cycles": "No", "trips": 98})
    second = respond(survey, answers={"cycles": "No", "improve": ["Signs"], "trips": 2})
    header, rows = exports.export_table(consultation=survey.consultation)

    exported = [dict(zip(header, row, strict=True)) for row in rows]

    assert [row["Reference"] for row in exported] == [first.reference, second.reference]
    assert [row["Q8. Trips a week"] for row in exported] == [1, 2]
    assert [row["Q1. Do you cycle by the river?"] for row in exported] == ["Yes", "No"]
    assert [row["Q4. What should we improve?: Signs"] for row in exported] == ["", 1]
    assert "Not this one" not in repr(exported)
