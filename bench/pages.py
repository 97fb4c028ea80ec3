"""The pages an anonymous resident reads, each against the bare Django view measured in the same
run (issue 12's aim: every one at no less than 0.1 of the bare view's requests per second).

    .venv/bin/python bench/pages.py        (part of `make bench`)

As in production on this machine: gunicorn with BENCH_PAGES_WORKERS sync workers (default 2)
and DEBUG off, over PostgreSQL with the demo data (`seed_demo`) and Redis; each page loaded from
outside with `wrk -t2 -c16 --latency` for half of BENCH_SECONDS (default 10) after a warm-up, by
visitors who are not signed in (wrk sends no cookie). The bare view (bench/bare_wsgi.py: a view
returning "ok", no middleware) is served the same way alongside and loaded right before each
page: a page's ratio is the median over BENCH_PAGES_ROUNDS (default 3) such pairs, so that the
other work of a shared machine, which comes and goes, weighs on both sides of each ratio.

For each page it also counts the queries of a visitor's request once the page is in the shared
cache, and of the page drawn afresh (with a query string, as for the first visitor after a
change), on the demo data. Results go to bench/results/pages.json. Environment: BENCH_SECONDS,
BENCH_WARMUP_SECONDS, BENCH_REUSE_DB=1 (keep civic_bench as it is), BENCH_PAGES_WORKERS,
BENCH_PAGES_ROUNDS.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

WORKERS = int(os.environ.get("BENCH_PAGES_WORKERS", "2"))
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "3"))
AIM_RATIO = 0.1
# Where the issue started, as a ratio to the bare view (issue 12).
BEFORE = {
    "home": 0.068,
    "consultations": 0.030,
    "petitions": 0.049,
    "a consultation": 0.050,
}


def _first_link(base_url: str, listing: str, pattern: str) -> str:
    """The first item's address on a listing page, so that the bench needs no id of its own."""
    status, body = harness.fetch(base_url + listing)
    found = re.search(pattern, body.decode(errors="replace"))
    if status != 200 or not found:
        raise harness.BenchError(f"{listing} answered {status} with no link matching {pattern}")
    return found.group(1)


def _pages(base_url: str) -> dict[str, str]:
    return {
        "home": "/",
        "consultations": "/consultations/",
        "petitions": "/petitions/",
        "a consultation": _first_link(
            base_url, "/consultations/", r'href="(/consultations/[a-z0-9-]+/)"'
        ),
        "a petition": _first_link(base_url, "/petitions/", r'href="(/petitions/\d+/)"'),
    }


def _load(url: str, seconds: int) -> dict:
    harness.check_ok(url)
    if harness.warmup_seconds() > 0:
        harness.wrk(url, seconds=harness.warmup_seconds())
    return harness.wrk(url, seconds=seconds)


def _rounds(bare_url: str, base_url: str, pages: dict[str, str], seconds: int) -> list[dict]:
    """Each page loaded right after the bare view, ROUNDS times: the ratio of each pair, so that
    the other work on a shared machine, which comes and goes, weighs on both alike."""
    rows = []
    for name, path in pages.items():
        pairs = []
        for _round in range(ROUNDS):
            bare = _load(bare_url + "/", seconds)
            page = _load(base_url + path, seconds)
            pairs.append((bare, page))
        ratios = [page["requests_per_second"] / bare["requests_per_second"] for bare, page in pairs]
        ratio = statistics.median(ratios)
        _bare, page = pairs[ratios.index(ratio)] if ratio in ratios else pairs[0]
        row = {
            "name": name,
            "path": path,
            **page,
            "errors": sum(page["errors"] for _bare, page in pairs),
            "bare_requests_per_second": [bare["requests_per_second"] for bare, _page in pairs],
            "page_requests_per_second": [page["requests_per_second"] for _bare, page in pairs],
            "ratios": ratios,
            "ratio_to_bare": ratio,
        }
        print(
            f"{name} {path}: {', '.join(f'{value:.3f}' for value in ratios)} of the bare view "
            f"(page {', '.join(f'{p:,.0f}' for p in row['page_requests_per_second'])}; bare "
            f"{', '.join(f'{b:,.0f}' for b in row['bare_requests_per_second'])} requests/s)",
            flush=True,
        )
        rows.append(row)
    return rows


def main() -> int:
    harness.ensure_wrk()
    seconds = max(harness.bench_seconds() // 2, 3)
    print(
        f"wrk -t2 -c16 -d{seconds}s --latency, gunicorn {WORKERS} sync workers, each page after "
        f"the bare view, {ROUNDS} rounds",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="civic-pages-") as tmp:
        env = harness.civic_env(Path(tmp))
        notes = harness.prepare_civic(env, fresh=os.environ.get("BENCH_REUSE_DB", "") != "1")
        with (
            harness.serve("bench.bare_wsgi", harness.base_env(), workers=WORKERS) as bare_url,
            harness.serve("civic.wsgi", env, workers=WORKERS) as base_url,
        ):
            rows = _rounds(bare_url, base_url, _pages(base_url), seconds)
        for row in rows:
            row["queries"] = harness.count_queries(row["path"], env=env).get("queries")
            drawn = harness.count_queries(row["path"] + "?drawn=1", env=env)
            row["queries_drawn"] = drawn.get("queries")

    print()
    harness.print_table(rows)
    print(f"\n{'page':<28} {'ratio':>7} {'before':>7} {'drawn queries':>14}")
    checks = {}
    for row in rows:
        before = BEFORE.get(row["name"])
        print(
            f"{row['name']:<28} {row['ratio_to_bare']:7.3f} "
            f"{format(before, '7.3f') if before else '      -'} {row['queries_drawn']!s:>14}"
        )
        checks[f"{row['name']} at least {AIM_RATIO} of the bare view"] = (
            row["ratio_to_bare"] >= AIM_RATIO
        )
        checks[f"{row['name']} answered without errors"] = row["errors"] == 0
    for label, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'}  {label}")
    for note in notes:
        print(f"note: {note}")
    path = harness.write_results(
        "pages",
        {
            "machine": harness.machine(),
            "load": {"tool": "wrk", "threads": 2, "connections": 16, "seconds": seconds},
            "server": {"gunicorn_workers": WORKERS, "worker_class": "sync"},
            "rounds": ROUNDS,
            "pages": rows,
            "before": BEFORE,
            "checks": checks,
            "notes": notes,
        },
    )
    print(f"\nresults written to {path.relative_to(harness.BASE_DIR)}")
    return 0 if all(met for label, met in checks.items() if "errors" in label) else 1


if __name__ == "__main__":
    sys.exit(main())
