"""A worker writing a consultation's responses as XLSX, against the same rows written as CSV, at
10,000 and 100,000 responses to a 20-question survey on PostgreSQL (issue 12: the 100,000-row XLSX
under 20 seconds, with flat memory).

    flock /tmp/civic-bench.lock .venv/bin/python bench/consultations_export.py

Loads two consultations (BENCH_RESPONSES, default 100,000, and a tenth of that) with the survey
and the set-based loader of bench/consultations_results.py into its own database,
civic_consultations_export_bench. Then each measure runs in a fresh process, so that its peak
resident memory is its own:

- rows only: the export's rows read and built (consultations.services.exports.export_table), and
  thrown away: what every format pays before writing anything;
- CSV: what a worker does for a CSV export (export_request, then export_write), the baseline;
- XLSX: the same for a workbook.

Each is timed BENCH_RUNS times (default 3; the median is reported) in wall seconds, and in CPU
seconds of the Python process and of the PostgreSQL backend serving it: on a loaded machine these
drift far less than wall seconds, and their sum is about what the export takes on an idle one.
The growth of the process's peak resident memory over what it held before the first export
shows whether memory is flat (the same at both sizes). Results are also written to
bench/results/consultations_export.json. Environment: BENCH_RESPONSES, BENCH_RUNS,
BENCH_REUSE_DB=1 (keep the loaded database).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = f"postgres://postgres@{harness.LOCALHOST}:5432/civic_consultations_export_bench"
REDIS_URL = f"redis://{harness.LOCALHOST}:6379/11"
CELERY_BROKER_URL = f"redis://{harness.LOCALHOST}:6379/12"
RESPONSES = int(os.environ.get("BENCH_RESPONSES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET_SECONDS = 20.0
MEASURES = ("rows", "csv", "xlsx")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) the PostgreSQL backend serving this process has used, from
    /proc (the bench runs on the database's machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(what: str, slug: str) -> dict:
    """One measure in this process (the child side): seconds of each run, and peak memory."""
    import django

    django.setup()
    from django.db import connection

    from civic.models import User
    from consultations.models import Consultation, ResponseExport
    from consultations.services import exports

    consultation = Consultation.objects.get(slug=slug)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    officer = User.objects.get(email="officer@bench.example")
    before = _peak_rss_bytes()
    seconds, cpu_seconds, server_seconds, rows, size = [], [], [], 0, None
    for _ in range(RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        server_start = _server_cpu_seconds(backend)
        if what == "rows":
            _header, generated = exports.export_table(consultation=consultation)
            rows = sum(1 for _row in generated)
        else:
            export = exports.export_request(
                actor=officer, consultation=consultation, file_format=what
            )
            exports.export_write(export_id=export.pk)
            export.refresh_from_db()
            rows = export.rows
            size = export.file.size
            export.file.delete(save=False)
            ResponseExport.objects.filter(pk=export.pk).delete()
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
        server_seconds.append(_server_cpu_seconds(backend) - server_start)
    return {
        "rows": rows,
        "bytes": size,
        "seconds": statistics.median(seconds),
        "all_seconds": seconds,
        "cpu_seconds": statistics.median(cpu_seconds),
        "database_cpu_seconds": statistics.median(server_seconds),
        "peak_rss_growth_bytes": _peak_rss_bytes() - before,
    }


def _load(sizes: dict[str, int]) -> None:
    import django

    django.setup()
    from django.db import connection

    from bench.consultations_results import load_consultations

    load_consultations(connection, sizes)


def _loaded(sizes: dict[str, int]) -> bool:
    import django

    django.setup()
    from consultations.models import Consultation

    return all(Consultation.objects.filter(slug=f"bench-{name}").exists() for name in sizes)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="civic-export-bench-"))
    env = harness.civic_env(
        workdir, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, CELERY_BROKER_URL=CELERY_BROKER_URL
    )
    sizes = {"small": max(RESPONSES // 10, 1), "large": RESPONSES}
    reuse = os.environ.get("BENCH_REUSE_DB", "") == "1"
    if reuse:
        harness.ensure_database(DATABASE_URL)
    else:
        harness.recreate_database(DATABASE_URL)
    harness.flush_redis(REDIS_URL)
    harness.manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    started = time.perf_counter()
    if not (reuse and _loaded(sizes)):
        _load(sizes)
        print(f"loaded {sum(sizes.values()):,} responses in {time.perf_counter() - started:.0f} s")

    results: dict[str, dict[str, dict]] = {}
    for name, count in sizes.items():
        for what in MEASURES:
            child = subprocess.run(
                [sys.executable, __file__, "--measure", what, f"bench-{name}"],
                env={**env, "BENCH_RUNS": str(RUNS)},
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise harness.BenchError(f"{what} at {count:,} rows failed:\n{child.stderr}")
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            assert figures["rows"] == count, (what, figures["rows"], count)
            results.setdefault(name, {})[what] = figures

    print(f"\nmedian of {RUNS} runs, each measure in its own process")
    print(
        f"{'rows':>9} {'measure':<10}{'seconds':>9}{'x CSV':>8}{'CPU s':>8}{'DB CPU':>8}"
        f"{'rows/s':>10}{'MB':>7}{'peak MB':>9}"
    )
    for name, count in sizes.items():
        baseline = results[name]["csv"]["seconds"]
        for what in MEASURES:
            figures = results[name][what]
            size = f"{figures['bytes'] / 1e6:7.1f}" if figures["bytes"] else f"{'-':>7}"
            print(
                f"{count:>9,} {what:<10}{figures['seconds']:>9.2f}"
                f"{figures['seconds'] / baseline:>8.2f}{figures['cpu_seconds']:>8.2f}"
                f"{figures['database_cpu_seconds']:>8.2f}"
                f"{count / figures['seconds']:>10,.0f}"
                f"{size}{figures['peak_rss_growth_bytes'] / 1e6:>9.1f}"
            )
    growth = {
        what: results["large"][what]["peak_rss_growth_bytes"]
        / max(results["small"][what]["peak_rss_growth_bytes"], 1)
        for what in MEASURES
    }
    xlsx_seconds = results["large"]["xlsx"]["seconds"]
    met = xlsx_seconds < TARGET_SECONDS
    print(
        f"\nXLSX of {sizes['large']:,} rows: {xlsx_seconds:.1f} s "
        f"({xlsx_seconds / results['large']['csv']['seconds']:.2f}x the CSV of the same rows), "
        f"target under {TARGET_SECONDS:.0f} s {'met' if met else 'NOT met'}; peak memory growth "
        f"at {sizes['large'] // sizes['small']}x the rows: "
        + ", ".join(f"{what} {ratio:.2f}x" for what, ratio in growth.items())
    )
    harness.write_results(
        "consultations_export",
        {
            "machine": harness.machine(),
            "runs": RUNS,
            "sizes": sizes,
            "results": results,
            "peak_growth_ratio": growth,
            "target_seconds": TARGET_SECONDS,
            "target_met": met,
        },
    )
    return 0 if met else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    sys.exit(main())
