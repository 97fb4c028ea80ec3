"""Baseline: civic's home page against a bare Django view, measured side by side in one run.

    .venv/bin/python bench/run.py          (what `make bench` runs)

Both are served by gunicorn with 2 sync workers on 127.0.0.1 and loaded with
`wrk -t2 -c16 -d${BENCH_SECONDS:-10}s --latency` after a short warm-up. The machine's cores are
shared by the server, PostgreSQL, Redis and wrk, so only the ratio home/bare means anything; compare
ratios across commits, never the absolute numbers across runs.

Environment: BENCH_SECONDS (default 10), BENCH_WARMUP_SECONDS (default 2), BENCH_REUSE_DB=1 to keep
the civic_bench database instead of recreating and reseeding it. Results are also written to
bench/results/baseline.json.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness


def _stop_on_sigterm(signum, frame):
    # Turn SIGTERM into an exception so that every `serve()` block stops its server on the way out.
    raise SystemExit(128 + signum)


def measure(name: str, wsgi: str, env: dict[str, str], path: str = "/", **extra) -> dict:
    """Serve, check for a 200, warm up, then load; a failure becomes a row that says why."""
    row = {"name": name, "wsgi": wsgi, "path": path, **extra}
    try:
        with harness.serve(wsgi, env) as base_url:
            url = base_url + path
            harness.check_ok(url)
            if harness.warmup_seconds() > 0:
                harness.wrk(url, seconds=harness.warmup_seconds())
            row.update(harness.wrk(url))
    except harness.BenchError as error:
        row["failed"] = str(error)
    return row


def ratios(home: dict, bare: dict) -> dict | None:
    if home.get("failed") or bare.get("failed"):
        return None
    return {
        "requests_per_second": home["requests_per_second"] / bare["requests_per_second"],
        "p50": home["p50_ms"] / bare["p50_ms"],
        "p99": home["p99_ms"] / bare["p99_ms"],
    }


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        harness.ensure_wrk()
    except harness.BenchError as error:
        print(error, file=sys.stderr)
        return 2

    seconds = harness.bench_seconds()
    print(f"wrk -t2 -c16 -d{seconds}s --latency, gunicorn 2 sync workers, on {harness.LOCALHOST}")
    rows: list[dict] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
        workdir = Path(tmp)

        print("bare django: a view returning 'ok', no apps, no middleware ...", flush=True)
        rows.append(measure("bare django", "bench.bare_wsgi", harness.base_env()))

        print("civic home: migrate, seed_demo, collectstatic into civic_bench ...", flush=True)
        env = harness.civic_env(workdir)
        try:
            fresh = os.environ.get("BENCH_REUSE_DB", "") != "1"
            notes += harness.prepare_civic(env, fresh=fresh)
        except harness.BenchError as error:
            rows.append({"name": "civic home /", "failed": str(error)})
        else:
            queries = harness.count_queries("/", env=env)
            print("civic home: / on PostgreSQL and Redis, DEBUG off ...", flush=True)
            rows.append(measure("civic home /", "civic.wsgi", env, queries=queries.get("queries")))

    print()
    harness.print_table(rows)
    bare, home = rows[0], rows[-1]
    ratio = ratios(home, bare)
    if ratio:
        print(
            f"\nhome/bare: {ratio['requests_per_second']:.3f} of the bare throughput "
            f"({1 / ratio['requests_per_second']:.1f}x slower); "
            f"p50 {ratio['p50']:.1f}x, p99 {ratio['p99']:.1f}x the bare latency"
        )
    for note in notes:
        print(f"note: {note}")
    for row in rows:
        if row.get("failed"):
            print(f"\n{row['name']} failed:\n{row['failed']}", file=sys.stderr)

    path = harness.write_results(
        "baseline",
        {
            "machine": harness.machine(),
            "load": {"tool": "wrk", "threads": 2, "connections": 16, "seconds": seconds},
            "server": {"gunicorn_workers": 2, "worker_class": "sync"},
            "results": rows,
            "ratio_home_to_bare": ratio,
            "notes": notes,
        },
    )
    print(f"\nresults written to {path.relative_to(harness.BASE_DIR)}")
    return 0 if ratio else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
