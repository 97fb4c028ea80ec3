"""A participatory budget's voting spike: ballots posted through a real server, each with the
fetch of its ballot page, against the bare Django view measured in the same run (issue 15:
100,000 eligible voters, 21 area budgets and a citywide one, 40 projects each; p99 under 300 ms
at 100 ballots a second, no errors, exactly one ballot per voter per budget afterwards).

    .venv/bin/python bench/budgets_voting.py        (part of `make bench`)

As in production on this machine: gunicorn (BENCH_VOTING_WORKERS sync workers, default 4) with
DEBUG off, over PostgreSQL and Redis (sessions are cached_db, as configured).

1. Set-up, in this process: a council with 21 wards (postcodes, populations), a process in its
   voting phase with a knapsack budget of £500,000 for each ward and an approval budget of
   £2,000,000 citywide (choose 1 to 5), 40 projects on each ballot; 100,000 verified accounts,
   each already past the first step (an Elector in their ward), and a signed-in session each,
   all written in bulk (sessions to the database and the cache, as signing in does), then
   settled on the disk (harness.settle_writes), as a real server's voters were long before.
2. The bare view (bench/bare_wsgi.py) under wrk, served alongside civic; both warmed up for
   BENCH_WARMUP_SECONDS, civic with ballot pages of voters the runs do not reach (no ballot).
3. At the aimed rate: an open-loop client starts a ballot every 1/BENCH_VOTING_RATE seconds
   (default 100 a second) for BENCH_SECONDS, each a voter of their own: GET the ballot page, then
   POST the choices (three projects of their ward's ballot, or two of the citywide one). A
   ballot's latency runs from the moment it was due to start to the POST's answer, so a server
   that falls behind shows in the figures rather than slowing the client (no coordinated
   omission). p50 and p99 of the ballots (page and POST) and of the POSTs alone.
4. Flat out: wrk's clients alternate a ballot page and a POST for voters of their own, for
   BENCH_SECONDS; ballots a second as a ratio to the bare view's requests a second.
5. With the load stopped: every ballot answered was stored, none twice, each with its choices,
   and no voter has two ballots in one budget.

Figures go to bench/results/budgets_voting.json. Environment: BENCH_SECONDS,
BENCH_WARMUP_SECONDS, BENCH_VOTING_VOTERS (default 100,000), BENCH_VOTING_RATE (100),
BENCH_VOTING_CONNECTIONS (32), BENCH_VOTING_WORKERS (4).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_voting_bench"
VOTERS = int(os.environ.get("BENCH_VOTING_VOTERS", "100000"))
RATE = float(os.environ.get("BENCH_VOTING_RATE", "100"))
CONNECTIONS = int(os.environ.get("BENCH_VOTING_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_VOTING_WORKERS", "4"))
WARDS = 21
PROJECTS = 40
AIM_P99_MS = 300
CLIENT_THREADS = 64
WARM_VOTERS = 20_000
# The ballot form's fields (budgets/templates/budgets/ballot.html): the chosen projects, and the
# button that casts the ballot.
PROJECTS_FIELD = "projects"
SUBMIT_FIELD = "submit"

# wrk's Lua: each thread walks voters of its own (lines of the plan whose number falls to it);
# for each it fetches the ballot page, then posts the choices, and counts how the POSTs ended.
SPIKE_LUA = r"""
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local plan, csrf_cookie, csrf, count = args[1], args[2], args[3], tonumber(args[4])
  -- The cookie that says who votes (a session here; others pass their own), and what the
  -- vote's address adds to the page's (nothing here: the ballot page takes the POST).
  who, post_suffix = args[5] or "sessionid", args[6] or ""
  -- "pages": only the pages, to warm the server up before it is measured.
  pages_only = args[7] == "pages"
  voters = {}
  local number = 0
  for line in io.lines(plan) do
    number = number + 1
    if number % count == id - 1 then
      local session, path, body = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(voters, {session, path, body})
    end
  end
  cookie_start, token = csrf_cookie, csrf
  step, posts, found, failed, other = 0, 0, 0, 0, 0
end

function request()
  local voter = voters[math.floor(step / 2) % #voters + 1]
  local headers = {["Cookie"] = cookie_start .. "; " .. who .. "=" .. voter[1]}
  step = step + 1
  if pages_only then
    step = step + 1
    return wrk.format("GET", voter[2], headers)
  end
  if step % 2 == 1 then
    return wrk.format("GET", voter[2], headers)
  end
  posts = posts + 1
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Referer"] = "http://127.0.0.1/"
  return wrk.format("POST", voter[2] .. post_suffix, headers,
    "csrfmiddlewaretoken=" .. token .. "&" .. voter[3])
end

function response(status, headers, body)
  if status == 302 or status == 303 then
    found = found + 1
  elseif status >= 500 then
    failed = failed + 1
  elseif status ~= 200 then
    other = other + 1
  end
end

function done(summary, latency, requests)
  local totals = {posts = 0, found = 0, failed = 0, other = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format("VOTES posts=%d found=%d failed=%d other=%d\n",
    totals.posts, totals.found, totals.failed, totals.other))
end
"""


def _setup(env: dict[str, str], workdir: Path) -> dict:
    """The council, the process, its budgets and ballots, and the voters, in bulk."""
    os.environ.update(env)
    import django

    django.setup()
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.cached_db import SessionStore as CachedStore
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from budgets.models import Budget, Elector, Idea, Process
    from civic.models import Area, Department, Organisation, Postcode, User

    started = time.perf_counter()
    now = timezone.now()
    organisation = Organisation.objects.create(name="Spike Council", slug="spike")
    team = Department.objects.create(organisation=organisation, name="Budgets", slug="budgets")
    process = Process.objects.create(
        department=team,
        title="Spike decides",
        slug="spike-decides",
        summary="Vote for the projects you want.",
        status=Process.Status.PUBLISHED,
        published_at=now,
        ideas_open_at=now - timedelta(days=60),
        review_starts_at=now - timedelta(days=30),
        voting_opens_at=now - timedelta(days=1),
        voting_closes_at=now + timedelta(days=14),
        implementation_starts_at=now + timedelta(days=60),
    )
    areas = []
    for number in range(WARDS):
        area = Area.objects.create(organisation=organisation, code=f"E05{number:06d}",
                                   name=f"Ward {number + 1:02d}", population=25_000)  # fmt: skip
        Postcode.objects.create(organisation=organisation, postcode=f"M{number + 1} 1AA",
                                area=area)  # fmt: skip
        areas.append(area)
    budgets = [Budget.objects.create(process=process, area=area, amount=500_000) for area in areas]
    citywide = Budget.objects.create(process=process, area=None, amount=2_000_000,
                                     style=Budget.Style.APPROVAL, min_projects=1,
                                     max_projects=5)  # fmt: skip
    ideas = {}
    for budget in [*budgets, citywide]:
        rows = Idea.objects.bulk_create(
            Idea(
                process=process,
                budget=budget,
                title=f"Project {number + 1} for {budget.name}",
                description="A short description of what the project would do.",
                estimated_cost=20_000 + 3_000 * number,
                final_cost=20_000 + 3_000 * number,
                status=Idea.Status.ON_BALLOT,
            )
            for number in range(PROJECTS)
        )
        ideas[budget.pk] = [idea.pk for idea in rows]

    password = make_password(None)  # unusable: these voters sign in by session only
    users = User.objects.bulk_create(
        (
            User(email=f"voter{number}@spike.example", name=f"Voter {number}", password=password)
            for number in range(VOTERS)
        ),
        batch_size=5000,
    )
    EmailAddress.objects.bulk_create(
        (EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users),
        batch_size=5000,
    )
    Elector.objects.bulk_create(
        (
            Elector(process=process, user=user, area=areas[number % WARDS], created_at=now)
            for number, user in enumerate(users)
        ),
        batch_size=5000,
    )
    store = SessionStore()
    # The backend that signs a person in by session (the first is the rules' permissions only).
    backend = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    expires = now + timedelta(days=1)
    keys = [os.urandom(16).hex() for _user in users]
    signed_in = {
        key: {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        for key, user in zip(keys, users, strict=True)
    }
    Session.objects.bulk_create(
        (
            Session(session_key=key, expire_date=expires, session_data=store.encode(data))
            for key, data in signed_in.items()
        ),
        batch_size=5000,
    )
    # Signing in saves a cached_db session to the cache as well as the database: so here.
    items = list(signed_in.items())
    for start in range(0, len(items), 5000):
        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {CachedStore.cache_key_prefix + key: data for key, data in items[start : start + 5000]},
            timeout=24 * 3600,
        )

    # The plan: a line per ballot, "session path body"; each voter's ward ballot, then their
    # citywide ballot. The two race: at the aimed rate they start 10 ms apart, and wrk's two
    # threads take one each at the same moment, so both may be the voter's first ballot at once
    # (taking part is still recorded once).
    plan = workdir / "plan.txt"
    with plan.open("w") as out:
        for number, key in enumerate(keys):
            ward = budgets[number % WARDS]
            for budget, chosen in ((ward, 3), (citywide, 2)):
                projects = ideas[budget.pk]
                picks = [projects[(number * 7 + step * 11) % PROJECTS] for step in range(chosen)]
                body = "&".join(f"{PROJECTS_FIELD}={pk}" for pk in dict.fromkeys(picks))
                path = f"/budgets/{process.slug}/vote/{budget.pk}/"
                out.write(f"{key} {path} {body}&{SUBMIT_FIELD}=1\n")
    return {
        "process": process.pk,
        "plan": plan,
        "seconds": round(time.perf_counter() - started, 1),
    }


def csrf_of(base_url: str, path: str, cookie: str) -> tuple[str, str]:
    """A CSRF cookie and a form token from one GET of a form's page, sent with `cookie`
    ("sessionid=..." for a signed-in voter)."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    if response.status != 200:
        raise harness.BenchError(f"the page {path} answered {response.status}")
    cookie = next(
        (header.split(";", 1)[0] for name, header in response.getheaders()
         if name.lower() == "set-cookie" and header.startswith("csrftoken=")),
        "",
    )  # fmt: skip
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not cookie or not token:
        raise harness.BenchError(f"the page {path} set no CSRF cookie or token")
    return cookie, token.group(1)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def at_rate(
    base_url: str,
    lines: list[str],
    cookie: str,
    token: str,
    *,
    rate: float,
    seconds: int,
    who: str = "sessionid",
    post_suffix: str = "",
) -> dict:
    """Open loop: ballot i is due at i / rate seconds; CLIENT_THREADS threads take the due
    ballots in turn, each a line "<who's cookie> <page> <body>": GET the page, then POST the
    body to the page's address and `post_suffix`, with the cookie named `who`. Latency is from
    the due moment to the POST's answer."""
    parsed = urllib.parse.urlsplit(base_url)
    total = int(rate * seconds)
    if total > len(lines):
        raise harness.BenchError("not enough voters for the rate and the seconds")
    ballots, posts, statuses = [], [], {}
    lock = threading.Lock()
    following = iter(range(total))
    start = time.perf_counter() + 0.5

    def work() -> None:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        while True:
            with lock:
                number = next(following, None)
            if number is None:
                break
            due = start + number / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            session, path, body = lines[number].split(" ")
            headers = {"Cookie": f"{cookie}; {who}={session}"}
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
            posted = time.perf_counter()
            connection.request("POST", path + post_suffix,
                               body=f"csrfmiddlewaretoken={token}&{body}", headers={
                **headers, "Content-Type": "application/x-www-form-urlencoded",
                "Referer": base_url + path,
            })  # fmt: skip
            answer = connection.getresponse()
            answer.read()
            ended = time.perf_counter()
            with lock:
                ballots.append(1000 * (ended - due))
                posts.append(1000 * (ended - posted))
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=work) for _number in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "ballots": total,
        "rate_aimed": rate,
        "rate_achieved": total / elapsed,
        "statuses": statuses,
        "cast": sum(count for status, count in statuses.items() if status in (302, 303)),
        "server_errors": sum(count for status, count in statuses.items() if status >= 500),
        "ballot_p50_ms": _percentile(ballots, 0.5),
        "ballot_p99_ms": _percentile(ballots, 0.99),
        "post_p50_ms": _percentile(posts, 0.5),
        "post_p99_ms": _percentile(posts, 0.99),
    }


def flat_out(
    base_url: str,
    plan: Path,
    cookie: str,
    token: str,
    *,
    seconds: int,
    connections: int,
    who: str = "sessionid",
    post_suffix: str = "",
    pages_only: bool = False,
) -> dict:
    """wrk's clients walk the plan's lines (as at_rate reads them), each a page and a POST, for
    `seconds`; with how the POSTs ended and ballots (or votes) cast a second. With `pages_only`,
    the pages alone (a warm-up)."""
    script = plan.parent / "voting.lua"
    script.write_text(SPIKE_LUA)
    command = [
        harness.ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(script), base_url + "/", "--", str(plan), cookie, token, "2", who,
        post_suffix, "pages" if pages_only else "",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise harness.BenchError(f"wrk failed:\n{result.stderr}{result.stdout}")
    figures = harness.parse_wrk(result.stdout)
    posts, found, failed, other = map(
        int,
        re.search(
            r"VOTES posts=(\d+) found=(\d+) failed=(\d+) other=(\d+)", result.stdout
        ).groups(),
    )
    figures.update(posts=posts, cast=found, server_errors=failed, other_answers=other,
                   cast_per_second=found / seconds)  # fmt: skip
    return figures


def _settled(process_id: int) -> dict:
    from django.db.models import Count

    from budgets.models import ACTIVITY_VOTE, Ballot
    from contacts.models import Activity

    ballots = Ballot.objects.filter(budget__process_id=process_id)
    return {
        "taking_part": Activity.objects.filter(
            kind=ACTIVITY_VOTE, reference=f"vote-{process_id}"
        ).count(),
        "ballots": ballots.count(),
        "voters": ballots.values("voter_id").distinct().count(),
        "twice_in_a_budget": ballots.values("budget_id", "voter_id")
        .annotate(times=Count("*"))
        .filter(times__gt=1)
        .count(),
        "without_choices": ballots.filter(choices__isnull=True).count(),
    }


def main() -> int:
    harness.ensure_wrk()
    seconds = harness.bench_seconds()
    workdir = Path(tempfile.mkdtemp(prefix="civic-voting-"))
    env = harness.civic_env(workdir, DATABASE_URL=DATABASE_URL, WEB_CONCURRENCY=str(WORKERS))
    harness.recreate_database(DATABASE_URL)
    harness.flush_redis(env["REDIS_URL"])
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    made = _setup(env, workdir)
    harness.settle_writes(DATABASE_URL)
    print(f"set-up: {VOTERS:,} voters, {WARDS} ward budgets and a citywide one, {PROJECTS} "
          f"projects each, in {made['seconds']} s", flush=True)  # fmt: skip
    lines = made["plan"].read_text().splitlines()
    # The rate run takes the first ballots of the plan; wrk walks the rest (its own copy), and
    # the warm-up fetches the pages of the last voters', whom neither reaches.
    needed = int(RATE * seconds)
    rest = made["plan"].with_name("rest.txt")
    rest.write_text("\n".join(lines[needed:]) + "\n")
    warm = made["plan"].with_name("warm.txt")
    warm.write_text("\n".join(lines[-WARM_VOTERS:]) + "\n")

    with (
        harness.serve("bench.bare_wsgi", harness.base_env(), workers=WORKERS) as bare_url,
        harness.serve("civic.wsgi", env, workers=WORKERS) as base_url,
    ):
        harness.check_ok(bare_url + "/")
        session, path, _body = lines[-1].split(" ")
        cookie, token = csrf_of(base_url, path, f"sessionid={session}")
        harness.wrk(bare_url + "/", seconds=harness.warmup_seconds() or 1,
                    connections=CONNECTIONS)  # fmt: skip
        # civic warmed up as a server that has been up a while: its templates compiled, its
        # kept rows and ballot lists drawn (ballot pages only: nothing is cast).
        flat_out(base_url, warm, cookie, token, seconds=harness.warmup_seconds() or 1,
                 connections=CONNECTIONS, pages_only=True)  # fmt: skip
        rated = at_rate(base_url, lines, cookie, token, rate=RATE, seconds=seconds)
        print(
            f"at {RATE:.0f} ballots/s: {rated['cast']:,} cast of {rated['ballots']:,} "
            f"({rated['rate_achieved']:.0f}/s achieved); ballot p50 {rated['ballot_p50_ms']:.0f} "
            f"ms, p99 {rated['ballot_p99_ms']:.0f} ms; POST p99 {rated['post_p99_ms']:.0f} ms; "
            f"statuses {rated['statuses']}",
            flush=True,
        )
        bare = harness.wrk(bare_url + "/", seconds=seconds, connections=CONNECTIONS)
        flat = flat_out(base_url, rest, cookie, token, seconds=seconds, connections=CONNECTIONS)
        ratio = flat["cast_per_second"] / bare["requests_per_second"]
        print(
            f"flat out: {flat['cast_per_second']:,.0f} ballots/s (page and POST) = {ratio:.3f} "
            f"of the bare view's {bare['requests_per_second']:,.0f} requests/s; p50 "
            f"{flat['p50_ms']:.0f} ms, p99 {flat['p99_ms']:.0f} ms; server errors "
            f"{flat['server_errors']}, other answers {flat['other_answers']}",
            flush=True,
        )
    settled = _settled(made["process"])
    answered = rated["cast"] + flat["cast"]
    checks = {
        f"p99 under {AIM_P99_MS} ms at {RATE:.0f} ballots/s": rated["ballot_p99_ms"] < AIM_P99_MS,
        f"{RATE:.0f} ballots/s kept up": rated["rate_achieved"] >= 0.95 * RATE,
        "no server errors": rated["server_errors"] == 0 and flat["server_errors"] == 0,
        # A POST answered 200 is the ballot page again with an error: none is expected.
        "every ballot cast": rated["cast"] == rated["ballots"]
        and flat["other_answers"] == 0
        and flat["cast"] >= flat["posts"] - CONNECTIONS,
        # wrk stops counting with requests in flight: those are stored, not answered.
        "every ballot answered was stored": answered
        <= settled["ballots"]
        <= answered + CONNECTIONS,
        "one ballot per voter per budget": settled["twice_in_a_budget"] == 0,
        "every ballot has its choices": settled["without_choices"] == 0,
        # A voter's two ballots race (see the plan): taking part is recorded once all the same.
        "taking part recorded once per voter": settled["taking_part"] == settled["voters"],
    }
    print(f"\nstored {settled['ballots']:,} ballots of {settled['voters']:,} voters")
    for label, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'}  {label}")
    harness.write_results(
        "budgets_voting",
        {
            "machine": harness.machine(),
            "voters": VOTERS,
            "gunicorn_workers": WORKERS,
            "connections": CONNECTIONS,
            "at_rate": rated,
            "flat_out": flat,
            "bare": bare,
            "ratio_to_bare": ratio,
            "settled": settled,
            "checks": checks,
        },
    )
    # Speed aims are reported; a wrong count fails the bench.
    correct = all(met for label, met in checks.items() if "ballots/s" not in label)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
