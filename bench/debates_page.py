"""A debate's page with 5,000 comments, read by anonymous visitors, against the bare Django view
measured in the same run (issue 16: a fixed number of queries whatever the debate holds, the
threads paginated, and at least 0.1 of the bare view's requests a second).

    .venv/bin/python bench/debates_page.py     (part of `make bench`)

As in production on this machine: gunicorn (BENCH_DEBATE_WORKERS sync workers, default 4) with
DEBUG off, over PostgreSQL and Redis.

1. Set-up, in this process: a council, a published open debate with BENCH_DEBATE_COMMENTS
   comments (default 5,000) threaded to three levels (each thread a comment, two replies and a
   reply to each reply), stances in turn, and up and down votes on every comment from
   BENCH_DEBATE_VOTERS residents (default 40), all written in bulk; and a small debate of 50
   comments made the same way.
2. Queries, in this process before serving: the SQL queries of the page drawn for an anonymous
   visitor (the shared page cache emptied first, so that the page is drawn), counted with
   Django's CaptureQueriesContext on the small debate and the large one. The bench fails if they
   differ.
3. The bare view (bench/bare_wsgi.py) under wrk, then the debate's page, its page 2 of threads
   and its threads sorted newest first, each under wrk right after the bare view (served
   alongside, so that the other work of a shared machine weighs on both sides of each ratio):
   requests a second, p50 and p99, and the ratio to the bare view. Each may come from the shared
   page cache: the debate's page names its page numbers and sort orders (civic.pagecache
   `query`), so each page of threads and each order is kept once drawn.

Figures go to bench/results/debates_page.json. Environment: BENCH_SECONDS,
BENCH_WARMUP_SECONDS, BENCH_DEBATE_COMMENTS (5,000), BENCH_DEBATE_VOTERS (40),
BENCH_DEBATE_CONNECTIONS (16), BENCH_DEBATE_WORKERS (4).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_debate_page_bench"
COMMENTS = int(os.environ.get("BENCH_DEBATE_COMMENTS", "5000"))
VOTERS = int(os.environ.get("BENCH_DEBATE_VOTERS", "40"))
CONNECTIONS = int(os.environ.get("BENCH_DEBATE_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_DEBATE_WORKERS", "4"))
SMALL = 50
AIM_RATIO = 0.1
# Each thread: a comment (depth 1), two replies to it (depth 2), and a reply to each (depth 3).
THREAD_SHAPE = (1, 2, 3, 2, 3)
# The addresses measured: the debate's page, its second page of threads and another sort order
# (each kept in the shared page cache under its own address).
VARIANTS = {"page": "", "page 2": "?page=2", "newest first": "?sort=newest"}


def _debate(department, slug: str, question: str, comments: int, voters: list) -> int:
    """A published open debate with `comments` comments in threads of THREAD_SHAPE, in bulk,
    and a vote from each of `voters` on every comment, up or down in turn."""
    from datetime import timedelta

    from django.utils import timezone

    from debates.models import Comment, CommentVote, Debate

    now = timezone.now()
    debate = Debate.objects.create(
        department=department,
        question=question,
        slug=slug,
        summary="Whether the high street closes to cars on Saturdays.",
        background="The council asks **residents** before it decides.",
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=21),
        status=Debate.Status.PUBLISHED,
        published_at=now - timedelta(days=8),
    )
    stances = Comment.Stance.values
    text = "I think the street should {} on Saturdays, because *people* walk there. Comment {}."
    threads = -(-comments // len(THREAD_SHAPE))
    made = 0

    def comment(depth: int, parent=None, thread=None) -> Comment:
        nonlocal made
        made += 1
        return Comment(
            debate=debate,
            parent=parent,
            thread=thread,
            depth=depth,
            stance=stances[made % len(stances)],
            text=text.format(("close", "stay open")[made % 2], made),
            author=voters[made % len(voters)],
            created_at=now - timedelta(minutes=comments - made),
        )

    tops = Comment.objects.bulk_create(comment(1) for _number in range(threads))
    for top in tops:
        top.thread_id = top.pk
    Comment.objects.bulk_update(tops, ["thread"], batch_size=2000)
    per_thread = len(THREAD_SHAPE) - 1
    # Depth 2 first (the replies to each thread), then depth 3 (a reply to each of those).
    replies = Comment.objects.bulk_create(
        comment(2, parent=top, thread=top)
        for top in tops
        for _number in range(per_thread // 2)
        if made < comments
    )
    Comment.objects.bulk_create(
        comment(3, parent=reply, thread=reply.thread) for reply in replies if made < comments
    )
    all_ids = list(Comment.objects.filter(debate=debate).values_list("pk", flat=True))
    CommentVote.objects.bulk_create(
        (
            CommentVote(comment_id=pk, user=voter, value=(1, 1, -1)[(pk + number) % 3])
            for pk in all_ids
            for number, voter in enumerate(voters)
        ),
        batch_size=10_000,
    )
    return debate.pk


def _setup(env: dict[str, str]) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from civic.models import Department, Organisation
    from debates.models import Comment, CommentVote

    started = time.perf_counter()
    organisation = Organisation.objects.create(name="Bench Council", slug="bench")
    department = Department.objects.create(
        organisation=organisation, name="Streets", slug="streets"
    )
    User = get_user_model()
    unusable = make_password(None)
    voters = User.objects.bulk_create(
        User(email=f"resident{number}@example.org", password=unusable) for number in range(VOTERS)
    )
    large = _debate(department, "high-street", "Should the high street close to cars?", COMMENTS,
                    voters)  # fmt: skip
    small = _debate(department, "market-square", "Should the market square close to cars?", SMALL,
                    voters)  # fmt: skip
    counts = {
        slug: {
            "comments": Comment.objects.filter(debate__slug=slug).count(),
            "depths": sorted(
                set(Comment.objects.filter(debate__slug=slug).values_list("depth", flat=True))
            ),
            "votes": CommentVote.objects.filter(comment__debate__slug=slug).count(),
        }
        for slug in ("high-street", "market-square")
    }
    return {
        "large": large,
        "small": small,
        "counts": counts,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _queries(path: str) -> dict:
    """The SQL queries of one anonymous GET of `path` in this process, on a warm process (the
    second of two requests)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civic import pagecache

    client = Client(HTTP_HOST=harness.LOCALHOST)
    client.get(path)
    pagecache.forget_all()  # drawn, not served from the shared page cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise harness.BenchError(f"GET {path} answered {response.status_code}, not 200")
    return {"queries": len(captured), "bytes": len(response.content)}


def _query_counts() -> dict:
    """Each drawn address of the small and the large debate; the same count, or the bench
    fails."""
    counted = {}
    # Page 2 needs more threads than the small debate has: the first page is drawn instead.
    drawn = {"page": "?sort=best", "page 2": "?page=2", "newest first": "?sort=newest"}
    for name, query in drawn.items():
        small = _queries(f"/debates/market-square/{query}")
        large = _queries(f"/debates/high-street/{query}")
        counted[name] = {"small": small["queries"], "large": large["queries"]}
    return counted


def _load(base_url: str, bare_url: str, seconds: int) -> dict:
    measured = {}
    for name, query in VARIANTS.items():
        url = f"{base_url}/debates/high-street/{query}"
        harness.check_ok(url)
        if harness.warmup_seconds() > 0:
            harness.wrk(bare_url + "/", seconds=harness.warmup_seconds(), connections=CONNECTIONS)
            harness.wrk(url, seconds=harness.warmup_seconds(), connections=CONNECTIONS)
        bare = harness.wrk(bare_url + "/", seconds=seconds, connections=CONNECTIONS)
        page = harness.wrk(url, seconds=seconds, connections=CONNECTIONS)
        page["bare"] = bare
        page["ratio_to_bare"] = page["requests_per_second"] / bare["requests_per_second"]
        print(
            f"{name}: {page['requests_per_second']:,.0f} requests/s = {page['ratio_to_bare']:.3f}"
            f" of the bare view's {bare['requests_per_second']:,.0f}; p50 {page['p50_ms']:.1f} "
            f"ms, p99 {page['p99_ms']:.1f} ms; errors {page['errors']}",
            flush=True,
        )
        measured[name] = page
    return measured


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def main() -> int:
    harness.ensure_wrk()
    seconds = harness.bench_seconds()
    workdir = Path(tempfile.mkdtemp(prefix="civic-debate-page-"))
    env = harness.civic_env(workdir, DATABASE_URL=DATABASE_URL, WEB_CONCURRENCY=str(WORKERS))
    harness.recreate_database(DATABASE_URL)
    harness.flush_redis(env["REDIS_URL"])
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    made = _setup(env)
    print(f"set-up in {made['seconds']} s: {made['counts']}", flush=True)
    queries = _query_counts()
    print(f"queries (50 and {COMMENTS:,} comments): {queries}", flush=True)
    same = all(counted["small"] == counted["large"] for counted in queries.values())
    if not same:
        print(f"FAILED: the page's queries grow with its comments: {queries}", file=sys.stderr)
        return 1
    load_before = _load_average()
    with (
        harness.serve("bench.bare_wsgi", harness.base_env(), workers=WORKERS) as bare_url,
        harness.serve("civic.wsgi", env, workers=WORKERS) as base_url,
    ):
        harness.check_ok(bare_url + "/")
        # Each worker's first answer loads the code it serves: seconds on a busy machine.
        for _worker in range(WORKERS):
            harness.fetch(base_url + "/debates/high-street/?page=3", timeout=120)
        measured = _load(base_url, bare_url, seconds)
    load_after = _load_average()
    checks = {
        f"queries the same for {SMALL} and {COMMENTS:,} comments": same,
        "no errors": all(page["errors"] == 0 for page in measured.values()),
        **{
            f"{name}: at least {AIM_RATIO} of the bare view": page["ratio_to_bare"] >= AIM_RATIO
            for name, page in measured.items()
        },
    }
    print(f"\nload average (1, 5, 15 min) before {load_before}, after {load_after}")
    for label, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'}  {label}")
    harness.write_results(
        "debates_page",
        {
            "machine": harness.machine(),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "comments": COMMENTS,
            "voters": VOTERS,
            "set_up": made["counts"],
            "gunicorn_workers": WORKERS,
            "connections": CONNECTIONS,
            "queries": queries,
            "pages": measured,
            "checks": checks,
        },
    )
    correct = checks["no errors"] and same
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
