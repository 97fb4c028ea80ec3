"""A consultation's results and export with 100,000 responses to a 20-question survey on PostgreSQL
(issue 5: the results page under one second, the CSV export's memory flat).

    .venv/bin/python bench/consultations_results.py        (part of `make bench`)

Loads two consultations with the same 20-question survey into the civic_consultations_bench
database with set-based SQL: one with BENCH_RESPONSES submitted responses (default 100,000), one
with a tenth of them, each with 5% drafts besides (which no figure may count) and a tenth of the
written answers coded with themes. Then, in the same run and the same process:

- the baseline: the admin's index page rendered for the same officer (the cost of a signed-in
  admin page with nothing of the consultation on it), and the plain count of the consultation's
  submitted responses (one index scan);
- the results service (consultations.services.results_compute), unfiltered and filtered
  by a ward, by an answer and by both: over the results index a worker builds after submissions
  (consultations.services.results_index), also with 1,000 responses submitted since the build,
  and by the database alone (no index yet) for two of them;
- the results page (/admin/consultations/consultation/<id>/results/) through Django's test client,
  with its number of queries: counting in the request (nothing counted yet), showing the last
  count while responses have come since (what officers see; a worker counts again), and after
  the worker's recount, which is timed too;
- the CSV export streamed through the export view, all rows read, timed, with the peak of Python's
  allocations (tracemalloc) at both sizes: flat means the peak does not grow with the rows;
- the XLSX export of the smaller consultation as a worker writes it (BENCH_XLSX_ALL=1 for the
  larger one too).

Medians of 5 runs after a warm-up. Environment: BENCH_RESPONSES (default 100000). Results are also
written to bench/results/consultations_results.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_consultations_bench"
RESPONSES = int(os.environ.get("BENCH_RESPONSES", "100000"))
XLSX_ALL = os.environ.get("BENCH_XLSX_ALL", "") == "1"
# PostgreSQL's planner assumes spinning disks (random_page_cost 4) unless told otherwise; on SSDs
# 1.1 is usual, and it turns several of these queries from scans of every answer into index
# lookups. BENCH_RANDOM_PAGE_COST=1.1 measures with it set on the bench database.
RANDOM_PAGE_COST = os.environ.get("BENCH_RANDOM_PAGE_COST", "")
TARGET_SECONDS = 1.0

# The survey: (kind, number of options) for each of the 20 questions.
SURVEY = [
    ("single_choice", 3),
    ("single_choice", 5),
    ("multiple_choice", 6),
    ("scale", 5),
    ("long_text", 0),
    ("dropdown", 8),
    ("single_choice", 2),
    ("multiple_choice", 5),
    ("scale", 5),
    ("ranking", 4),
    ("number", 0),
    ("short_text", 0),
    ("single_choice", 4),
    ("scale", 7),
    ("multiple_choice", 4),
    ("dropdown", 5),
    ("long_text", 0),
    ("number", 0),
    ("date", 0),
    ("postcode", 0),
]
AREAS = 12
# What each kind of question is answered with: (text, number, date) as SQL over the response r.
VALUES = {
    "long_text": (
        "(ARRAY['More lighting on the towpath please', 'Fix the potholes by the bridge', "
        "'Parking is the problem', '=1+1 is not a formula'])[1 + r.id %% 4] "
        "|| ' (' || r.id || ')'",
        "NULL",
        "NULL",
    ),
    "postcode": ("'M4 6AA'", "NULL", "NULL"),
    "number": ("''", "(r.id %% 50)", "NULL"),
    "date": ("''", "NULL", "DATE '2000-01-01' + (r.id %% 9000)::int"),
}
VALUES["short_text"] = VALUES["long_text"]
ANSWERS_SQL = (
    "INSERT INTO consultations_answer (response_id, question_id, text, number, date) "
    "SELECT r.id, %s, {text}, {number}, {day} FROM consultations_response r "
    "WHERE r.consultation_id = %s AND (r.id + %s) %% 10 <> 0"
)


def median_seconds(action, runs: int = 5) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_consultations(connection, sizes: dict[str, int]) -> dict:
    """A council with AREAS wards, an officer of its transport department, and for each name in
    `sizes` a bench survey with that many responses; the bench consultations by name."""
    from civic.models import Area, Department, Organisation, Role, User

    organisation = Organisation.objects.create(name="Bench Council", slug="bench")
    department = Department.objects.create(
        organisation=organisation, name="Transport", slug="transport"
    )
    areas = [
        Area.objects.create(organisation=organisation, code=f"E0500{n:04d}", name=f"Ward {n}").pk
        for n in range(AREAS)
    ]
    officer = User.objects.create_user(email="officer@bench.example", is_staff=True)
    Role.objects.create(user=officer, organisation=organisation, kind=Role.Kind.OFFICER)
    Role.objects.get(user=officer).departments.add(department)
    consultations = {}
    for name, count in sizes.items():
        consultation, questions = build_survey(
            department, slug=f"bench-{name}", title=f"Bench consultation ({count:,} responses)"
        )
        load(connection, consultation, questions, areas, count)
        consultations[name] = consultation
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return consultations


def build_survey(department, *, slug: str, title: str):
    from datetime import timedelta

    from django.utils import timezone

    from consultations.models import Consultation, Option, Question, SurveyPage

    now = timezone.now()
    consultation = Consultation.objects.create(
        department=department,
        title=title,
        slug=slug,
        summary="A bench consultation.",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=1),
        published_at=now - timedelta(days=41),
    )
    questions = []
    for page_number in range(4):
        page = SurveyPage.objects.create(
            consultation=consultation, position=page_number, title=f"Page {page_number + 1}"
        )
        for position, (kind, options) in enumerate(SURVEY[page_number * 5 : page_number * 5 + 5]):
            question = Question.objects.create(
                page=page,
                position=position,
                kind=kind,
                text=f"Question {page_number * 5 + position + 1} ({kind})",
                allow_other=kind == "multiple_choice" and position == 2,
            )
            Option.objects.bulk_create(
                Option(question=question, position=number, label=f"Option {number + 1}")
                for number in range(options)
            )
            questions.append(question)
    return consultation, questions


def load(connection, consultation, questions, areas: list[int], responses: int) -> None:
    """Responses, answers, choices and theme codes, made by the database itself."""
    drafts = responses // 20
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consultations_response (consultation_id, status, reference, "
            "agrees_to_publish, published, started_at, saved_at, submitted_at, email, area_id) "
            "SELECT %(consultation)s, CASE WHEN n <= %(responses)s THEN 'submitted' ELSE 'draft' "
            "END, 'C' || %(consultation)s || '-' || n, n %% 4 = 0, false, "
            "%(opens)s + ((n %% 38) || ' days')::interval, "
            "%(opens)s + ((n %% 38) || ' days')::interval, "
            "CASE WHEN n <= %(responses)s THEN %(opens)s + ((n %% 38) || ' days')::interval "
            "+ ((n %% 600) || ' minutes')::interval END, '', "
            "(%(areas)s::bigint[])[1 + n %% %(area_count)s] "
            "FROM generate_series(1, %(total)s) n",
            {
                "consultation": consultation.pk,
                "responses": responses,
                "total": responses + drafts,
                "opens": consultation.opens_at,
                "areas": areas,
                "area_count": len(areas),
            },
        )
        for index, question in enumerate(questions):
            kind = question.kind
            # About nine in ten answer each question; drafts answered the first page only.
            text, number, day = VALUES.get(kind, ("''", "NULL", "NULL"))
            cursor.execute(
                ANSWERS_SQL.format(text=text, number=number, day=day)
                + (" AND r.status = 'submitted'" if index >= 5 else ""),
                [question.pk, consultation.pk, index],
            )
            options = list(question.options.values_list("pk", flat=True))
            if not options:
                continue
            if kind in ("single_choice", "dropdown", "scale"):
                cursor.execute(
                    "INSERT INTO consultations_answerchoice (answer_id, option_id, rank) "
                    "SELECT a.id, (%s::bigint[])[1 + (a.response_id * 7 + a.response_id / 13) "
                    "%% %s], NULL FROM consultations_answer a WHERE a.question_id = %s",
                    [options, len(options), question.pk],
                )
            else:
                for position, option in enumerate(options):
                    if kind == "ranking":
                        cursor.execute(
                            "INSERT INTO consultations_answerchoice (answer_id, option_id, rank) "
                            "SELECT a.id, %s, 1 + (a.response_id + %s) %% %s "
                            "FROM consultations_answer a WHERE a.question_id = %s",
                            [option, position, len(options), question.pk],
                        )
                    else:
                        cursor.execute(
                            "INSERT INTO consultations_answerchoice (answer_id, option_id, rank) "
                            "SELECT a.id, %s, NULL FROM consultations_answer a "
                            "WHERE a.question_id = %s AND (a.response_id / (%s + 1)) %% 3 <> 0",
                            [option, question.pk, position],
                        )
        cursor.execute(
            "INSERT INTO consultations_theme (consultation_id, name) "
            "SELECT %s, name FROM unnest(ARRAY['Lighting', 'Potholes', 'Parking', 'Safety', "
            "'Other']) name",
            [consultation.pk],
        )
        cursor.execute(
            "INSERT INTO consultations_answer_themes (answer_id, theme_id) "
            "SELECT a.id, (SELECT t.id FROM consultations_theme t WHERE t.consultation_id = %s "
            "ORDER BY t.id OFFSET (a.id %% 5) LIMIT 1) FROM consultations_answer a "
            "JOIN consultations_question q ON q.id = a.question_id "
            "WHERE q.kind IN ('long_text', 'short_text') AND a.id %% 10 = 0 "
            "AND a.question_id = ANY(%s)",
            [consultation.pk, [question.pk for question in questions]],
        )


def export_csv(client, url: str) -> tuple[int, int]:
    """POST the export form and read the whole streamed CSV; returns (rows, bytes)."""
    response = client.post(url, {"format": "csv"})
    assert response.status_code == 200, response.status_code
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\r\n")
    response.close()
    return rows - 1, size


def export_peak(client, url: str) -> tuple[int, float, int]:
    """Rows, seconds and the peak of Python's allocations (bytes) of one full CSV export."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    rows, _size = export_csv(client, url)
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, seconds, peak


def set_random_page_cost(value: str) -> None:
    import psycopg
    from psycopg import sql

    statement = (
        sql.SQL("ALTER DATABASE civic_consultations_bench SET random_page_cost = {}").format(
            sql.Literal(float(value))
        )
        if value
        else sql.SQL("ALTER DATABASE civic_consultations_bench RESET random_page_cost")
    )
    with psycopg.connect(
        host=harness.LOCALHOST, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(statement)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="civic-consultations-bench-"))
    # Every CSV streamed through the view, whatever its size, to show the memory stays flat (the
    # site hands CSVs over CIVIC_EXPORT_INLINE_ROWS to a worker, which writes them the same way).
    env = harness.civic_env(workdir, DATABASE_URL=DATABASE_URL, CIVIC_EXPORT_INLINE_ROWS="10000000")
    if os.environ.get("BENCH_REUSE_DB", "") == "1":
        harness.ensure_database(DATABASE_URL)
    else:
        harness.recreate_database(DATABASE_URL)
    set_random_page_cost(RANDOM_PAGE_COST)
    harness.flush_redis(env["REDIS_URL"])
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from civic.models import Area, User
    from consultations import selectors
    from consultations.models import Consultation, Question, Response
    from consultations.services import exports as response_exports
    from consultations.services import results_index
    from consultations.services.results import results_compute, results_recount

    sizes = {"large": RESPONSES, "small": max(RESPONSES // 10, 1)}
    consultations = {}
    reuse = os.environ.get("BENCH_REUSE_DB", "") == "1" and all(
        Consultation.objects.filter(slug=f"bench-{name}").exists() for name in sizes
    )
    started = time.perf_counter()
    if reuse:
        consultations = {name: Consultation.objects.get(slug=f"bench-{name}") for name in sizes}
        officer = User.objects.get(email="officer@bench.example")
        areas = list(Area.objects.order_by("pk").values_list("pk", flat=True))
    else:
        consultations = load_consultations(connection, sizes)
        areas = list(Area.objects.order_by("pk").values_list("pk", flat=True))
        officer = User.objects.get(email="officer@bench.example")
    loaded_in = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM consultations_answer")
        answers = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM consultations_answerchoice")
        choices = cursor.fetchone()[0]

    large = consultations["large"]
    client = Client(HTTP_HOST=harness.LOCALHOST)
    client.force_login(officer)
    results_url = reverse("admin:consultations_consultation_results", args=[large.pk])
    first_option = large.pages.first().questions.first().options.first()

    def admin_index():
        response = client.get("/admin/")
        assert response.status_code == 200, response.status_code

    def plain_count():
        return Response.objects.filter(consultation=large, status="submitted").count()

    def results_service():
        cache.clear()  # count every figure, as after a new response
        return results_compute(consultation=large)

    kept = {}

    def counted_afresh(*, indexed: bool) -> None:
        # Nothing counted yet, with or without the index a worker built.
        cache.clear()
        if indexed:
            cache.set(results_index.index_key(large.pk), kept["index"], None)

    build_started = time.perf_counter()
    results_recount(consultation_id=large.pk)
    index_build_seconds = time.perf_counter() - build_started
    kept["index"] = cache.get(results_index.index_key(large.pk))
    assert kept["index"] is not None and kept["index"].size == RESPONSES

    multiple_choice = (
        Question.objects.filter(page__consultation=large, kind="multiple_choice")
        .order_by("page__position", "position")
        .first()
        .options.first()
    )

    def results_filtered_by(*, indexed: bool = True, **chosen):
        """The figures counted for one filter (issue 12: under a second for any filter)."""

        def results():
            counted_afresh(indexed=indexed)
            return results_compute(consultation=large, filters=selectors.ResponseFilter(**chosen))

        return results

    def results_page_counted():
        cache.clear()
        results_page()

    def results_page():
        response = client.get(results_url)
        assert response.status_code == 200, response.status_code

    drafts = list(
        Response.objects.filter(consultation=large, status="draft").values_list("pk", flat=True)
    )
    flipped = []

    def results_page_last_count():
        # A draft submitted since the last count: the page shows the last count while a worker
        # counts again.
        flipped.append(drafts.pop())
        Response.objects.filter(pk=flipped[-1]).update(
            status="submitted", submitted_at=timezone.now()
        )
        response = client.get(results_url)
        assert response.status_code == 200, response.status_code
        assert b"being counted" in response.content

    def recount():
        cache.clear()
        return results_recount(consultation_id=large.pk)

    submitted = plain_count()
    print(
        f"loaded {sum(sizes.values()):,} submitted responses (+5% drafts) in two consultations: "
        f"{answers:,} answers, {choices:,} chosen options, in {loaded_in:.1f} s"
    )

    def since_the_build(count: int):
        """Drafts submitted after the index was built: counted by the database and added."""
        chosen = drafts[-count:]
        Response.objects.filter(pk__in=chosen).update(
            status="submitted", submitted_at=timezone.now()
        )
        return chosen

    timings = {
        "admin index page (baseline)": median_seconds(admin_index),
        "count of submitted responses (baseline)": median_seconds(plain_count),
        "results service, figures counted": median_seconds(results_service),
        "results service, a ward, indexed": median_seconds(results_filtered_by(area_id=areas[0])),
        "results service, an answer, indexed": median_seconds(
            results_filtered_by(option_id=first_option.pk)
        ),
        "results service, an answer most chose, indexed": median_seconds(
            results_filtered_by(option_id=multiple_choice.pk)
        ),
        "results service, two filters, indexed": median_seconds(
            results_filtered_by(option_id=first_option.pk, area_id=areas[0])
        ),
    }
    submitted_since = since_the_build(1000)
    timings["results service, most chose, 1,000 since, indexed"] = median_seconds(
        results_filtered_by(option_id=multiple_choice.pk)
    )
    Response.objects.filter(pk__in=submitted_since).update(status="draft", submitted_at=None)
    timings |= {
        "results service, a ward, database only": median_seconds(
            results_filtered_by(indexed=False, area_id=areas[0])
        ),
        "results service, most chose, database only": median_seconds(
            results_filtered_by(indexed=False, option_id=multiple_choice.pk)
        ),
        "recount and index build by a worker": median_seconds(recount),
        "results page, counted in the request": median_seconds(results_page_counted),
        "results page, last count (responses since)": median_seconds(results_page_last_count),
        "results page, counted since the last response": median_seconds(results_page),
    }
    # The drafts submitted for the measure become drafts again, for the exports' row counts.
    Response.objects.filter(pk__in=flipped).update(status="draft", submitted_at=None)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        results_page_counted()
    page_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        results_page()
    cached_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        admin_index()
    index_queries = len(queries)

    print(
        f"\n{submitted:,} submitted responses to a {len(SURVEY)}-question survey; "
        f"random_page_cost {RANDOM_PAGE_COST or 'PostgreSQL default (4)'}"
    )
    print(f"{'measure':<44}{'median s':>10}{'x index':>10}")
    base = timings["admin index page (baseline)"]
    for label, seconds in timings.items():
        print(f"{label:<44}{seconds:>10.3f}{seconds / base:>10.1f}")
    print(
        f"queries: results page {page_queries} (figures cached: {cached_queries}), "
        f"admin index {index_queries}"
    )

    exports = {}
    for name, consultation in consultations.items():
        url = reverse("admin:consultations_consultation_results_export", args=[consultation.pk])
        start = time.perf_counter()
        rows, size = export_csv(client, url)
        seconds = time.perf_counter() - start
        traced_rows, traced_seconds, peak = export_peak(client, url)
        assert traced_rows == rows == sizes[name], (traced_rows, rows, sizes[name])
        exports[name] = {
            "rows": rows,
            "bytes": size,
            "seconds": seconds,
            "rows_per_second": rows / seconds,
            "peak_python_bytes": peak,
            "seconds_under_tracemalloc": traced_seconds,
        }
    print(f"\n{'CSV export':<20}{'rows':>10}{'MB':>8}{'seconds':>9}{'rows/s':>9}{'peak MB':>9}")
    for name in ("small", "large"):
        figures = exports[name]
        print(
            f"{name:<20}{figures['rows']:>10,}{figures['bytes'] / 1e6:>8.1f}"
            f"{figures['seconds']:>9.2f}{figures['rows_per_second']:>9,.0f}"
            f"{figures['peak_python_bytes'] / 1e6:>9.1f}"
        )
    growth = exports["large"]["peak_python_bytes"] / exports["small"]["peak_python_bytes"]
    row_growth = exports["large"]["rows"] / exports["small"]["rows"]
    flat = growth < 1.5
    print(
        f"peak memory grows {growth:.2f}x for {row_growth:.0f}x the rows: "
        f"{'flat' if flat else 'NOT flat'}"
    )

    xlsx = {}
    for name in ("small", "large") if XLSX_ALL else ("small",):
        # What the worker does for an officer's XLSX export (consultations.tasks).
        export = response_exports.export_request(actor=officer, consultation=consultations[name])
        start = time.perf_counter()
        response_exports.export_write(export_id=export.pk)
        export.refresh_from_db()
        xlsx[name] = {"seconds": time.perf_counter() - start, "bytes": export.file.size}
        assert export.rows == sizes[name], (export.rows, sizes[name])
        print(
            f"XLSX export by a worker ({sizes[name]:,} rows): {xlsx[name]['seconds']:.1f} s, "
            f"{xlsx[name]['bytes'] / 1e6:.1f} MB"
        )

    page_seconds = max(
        timings["results page, last count (responses since)"],
        timings["results page, counted since the last response"],
    )
    counted_seconds = timings["results page, counted in the request"]
    recount_seconds = timings["recount and index build by a worker"]
    met = page_seconds < TARGET_SECONDS
    print(
        f"\nresults page with {submitted:,} responses: {page_seconds:.3f} s at most "
        f"({page_seconds / base:.1f}x the admin index page), showing the last count while a "
        f"worker counts again in {recount_seconds:.3f} s; {counted_seconds:.3f} s if the page had "
        f"to count ({counted_seconds / base:.1f}x); target under {TARGET_SECONDS:.0f} s "
        f"{'met' if met else 'NOT met'}"
    )
    filter_seconds = max(
        seconds for label, seconds in timings.items() if label.endswith(", indexed")
    )
    filter_met = filter_seconds < TARGET_SECONDS
    print(
        f"slowest filter over the index a worker built: {filter_seconds:.3f} s "
        f"(the index built in {index_build_seconds:.1f} s, after submissions); "
        f"target under {TARGET_SECONDS:.0f} s {'met' if filter_met else 'NOT met'}"
    )
    harness.write_results(
        "consultations_results",
        {
            "machine": harness.machine(),
            "random_page_cost": RANDOM_PAGE_COST or None,
            "responses": submitted,
            "questions": len(SURVEY),
            "answers": answers,
            "choices": choices,
            "load_seconds": loaded_in,
            "timings_seconds": timings,
            "queries": {
                "results_page": page_queries,
                "results_page_cached": cached_queries,
                "admin_index": index_queries,
            },
            "csv_export": exports,
            "csv_peak_growth": growth,
            "xlsx_export": xlsx,
            "target_met": met,
            "filter_seconds": filter_seconds,
            "index_build_seconds": index_build_seconds,
            "filter_target_met": filter_met,
            "memory_flat": flat,
        },
    )
    return 0 if met and flat and filter_met else 1


if __name__ == "__main__":
    sys.exit(main())
