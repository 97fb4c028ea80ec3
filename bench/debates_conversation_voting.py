"""Voting in a conversation: votes posted through a real server, each with the fetch of the
conversation's page, against the bare Django view measured in the same run (issue 16: p99 under
200 ms at 200 votes a second, no errors, exactly one vote per participant per statement after the
load).

    .venv/bin/python bench/debates_conversation_voting.py     (part of `make bench`)

As in production on this machine: gunicorn (BENCH_CONVERSATION_WORKERS sync workers, default 4)
with DEBUG off, over PostgreSQL and Redis.

1. Set-up, in this process: a published, open conversation that allows anonymous participation,
   with BENCH_CONVERSATION_STATEMENTS statements (default 40) and BENCH_CONVERSATION_PARTICIPANTS
   anonymous participants (default 5,000), each with the signed cookie the site gives them, all
   written in bulk. The plan is a line per vote: participant by participant, statement by
   statement, with agree, disagree and pass in turn.
2. The bare view (bench/bare_wsgi.py) under wrk, served alongside civic; both warmed up for
   BENCH_WARMUP_SECONDS, civic with the conversation's page as participants see it (no vote).
3. At the aimed rate: an open-loop client starts a vote every 1/BENCH_CONVERSATION_RATE seconds
   (default 200 a second) for BENCH_SECONDS: GET the conversation's page, then POST the vote. A
   vote's latency runs from the moment it was due to start to the POST's answer, so a server that
   falls behind shows in the figures (no coordinated omission). p50 and p99 of the votes (page
   and POST) and of the POSTs alone.
4. Flat out: wrk's clients alternate the page and a vote, walking the rest of the plan, for
   BENCH_SECONDS; votes a second as a ratio to the bare view's requests a second.
5. With the load stopped: every vote answered was stored, and no participant has two votes on
   one statement.

Figures go to bench/results/debates_conversation_voting.json.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.budgets_voting import at_rate, csrf_of, flat_out

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_conversation_bench"
PARTICIPANTS = int(os.environ.get("BENCH_CONVERSATION_PARTICIPANTS", "5000"))
STATEMENTS = int(os.environ.get("BENCH_CONVERSATION_STATEMENTS", "40"))
RATE = float(os.environ.get("BENCH_CONVERSATION_RATE", "200"))
CONNECTIONS = int(os.environ.get("BENCH_CONVERSATION_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_CONVERSATION_WORKERS", "4"))
AIM_P99_MS = 200
# The signed cookie of an anonymous participant (debates.views_conversations.PARTICIPANT_COOKIE).
PARTICIPANT = "civic_participant"


def _setup(env: dict[str, str], workdir: Path) -> dict:
    """The conversation, its statements and participants, in bulk, and the plan of votes."""
    os.environ.update(env)
    import django

    django.setup()
    from datetime import timedelta

    from django.http import HttpResponse
    from django.utils import timezone

    from civic.models import Department, Organisation
    from debates.models import Conversation, Participant, Statement
    from debates.views_conversations import PARTICIPANT_COOKIE, PARTICIPANT_COOKIE_SALT

    started = time.perf_counter()
    now = timezone.now()
    organisation = Organisation.objects.create(name="Spike Council", slug="spike")
    team = Department.objects.create(organisation=organisation, name="Streets", slug="streets")
    conversation = Conversation.objects.create(
        department=team,
        title="Sharing the high street",
        question="How should the high street be shared?",
        slug="high-street",
        background="Why the council asks.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        allow_anonymous=True,
        status=Conversation.Status.PUBLISHED,
        published_at=now - timedelta(days=2),
    )
    statements = Statement.objects.bulk_create(
        Statement(
            conversation=conversation,
            text=f"Statement {number + 1}: the high street should be shared this way.",
            is_seed=True,
            status=Statement.Status.SHOWN,
        )
        for number in range(STATEMENTS)
    )
    keys = [os.urandom(16).hex() for _number in range(PARTICIPANTS)]
    Participant.objects.bulk_create(
        (Participant(conversation=conversation, anonymous_key=key) for key in keys),
        batch_size=5000,
    )
    # The cookie as the site signs it.
    signed = HttpResponse()
    cookies = []
    for key in keys:
        signed.set_signed_cookie(PARTICIPANT_COOKIE, key, salt=PARTICIPANT_COOKIE_SALT)
        cookies.append(signed.cookies[PARTICIPANT_COOKIE].value)
    plan = workdir / "plan.txt"
    page = f"/debates/conversations/{conversation.slug}/"
    with plan.open("w") as out:
        for step, statement in enumerate(statements):
            for number, cookie in enumerate(cookies):
                choice = (1, -1, 0)[(number + step) % 3]
                # A line as budgets_voting's clients read it: who votes (the cookie), the page
                # fetched first, and the vote posted to its vote/ address.
                out.write(f"{cookie} {page} statement={statement.pk}&choice={choice}\n")
    return {
        "conversation": conversation.pk,
        "plan": plan,
        "page": page,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _settled(conversation_id: int) -> dict:
    from django.db.models import Count

    from debates.models import StatementVote

    votes = StatementVote.objects.filter(statement__conversation_id=conversation_id)
    return {
        "votes": votes.count(),
        "participants": votes.values("participant_id").distinct().count(),
        "twice_on_a_statement": votes.values("participant_id", "statement_id")
        .annotate(times=Count("*"))
        .filter(times__gt=1)
        .count(),
    }


def main() -> int:
    harness.ensure_wrk()
    seconds = harness.bench_seconds()
    workdir = Path(tempfile.mkdtemp(prefix="civic-conversation-"))
    env = harness.civic_env(workdir, DATABASE_URL=DATABASE_URL, WEB_CONCURRENCY=str(WORKERS))
    harness.recreate_database(DATABASE_URL)
    harness.flush_redis(env["REDIS_URL"])
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    made = _setup(env, workdir)
    print(f"set-up: {PARTICIPANTS:,} participants, {STATEMENTS} statements, in "
          f"{made['seconds']} s", flush=True)  # fmt: skip
    lines = made["plan"].read_text().splitlines()
    needed = int(RATE * seconds)
    if needed > len(lines):
        raise harness.BenchError("not enough votes in the plan for the rate and the seconds")
    rest = made["plan"].with_name("rest.txt")
    rest.write_text("\n".join(lines[needed:]) + "\n")
    # Pages of the last statement's votes, for the warm-up: fetching a page changes nothing.
    warm = made["plan"].with_name("warm.txt")
    warm.write_text("\n".join(lines[-PARTICIPANTS:]) + "\n")

    with (
        harness.serve("bench.bare_wsgi", harness.base_env(), workers=WORKERS) as bare_url,
        harness.serve("civic.wsgi", env, workers=WORKERS) as base_url,
    ):
        harness.check_ok(bare_url + "/")
        # Each worker's first answer loads the code it serves: seconds on a busy machine.
        for _worker in range(WORKERS):
            harness.fetch(base_url + made["page"], timeout=120)
        cookie_value = lines[-1].split(" ")[0]
        cookie, token = csrf_of(base_url, made["page"], f"{PARTICIPANT}={cookie_value}")
        harness.wrk(bare_url + "/", seconds=harness.warmup_seconds() or 1,
                    connections=CONNECTIONS)  # fmt: skip
        # civic warmed up as a server that has been up a while: its templates compiled, its kept
        # rows and the pieces of the page drawn (pages only: nothing is voted).
        flat_out(base_url, warm, cookie, token, seconds=harness.warmup_seconds() or 1,
                 connections=CONNECTIONS, who=PARTICIPANT, post_suffix="vote/",
                 pages_only=True)  # fmt: skip
        rated = at_rate(
            base_url,
            lines[:needed],
            cookie,
            token,
            rate=RATE,
            seconds=seconds,
            who=PARTICIPANT,
            post_suffix="vote/",
        )
        print(
            f"at {RATE:.0f} votes/s: {rated['cast']:,} cast of {rated['ballots']:,} "
            f"({rated['rate_achieved']:.0f}/s achieved); vote p50 {rated['ballot_p50_ms']:.0f} "
            f"ms, p99 {rated['ballot_p99_ms']:.0f} ms; POST p99 {rated['post_p99_ms']:.0f} ms; "
            f"statuses {rated['statuses']}",
            flush=True,
        )
        bare = harness.wrk(bare_url + "/", seconds=seconds, connections=CONNECTIONS)
        flat = flat_out(base_url, rest, cookie, token, seconds=seconds, connections=CONNECTIONS,
                        who=PARTICIPANT, post_suffix="vote/")  # fmt: skip
        ratio = flat["cast_per_second"] / bare["requests_per_second"]
        p99_ratio = rated["ballot_p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else None
        print(
            f"flat out: {flat['cast_per_second']:,.0f} votes/s (page and POST) = {ratio:.3f} "
            f"of the bare view's {bare['requests_per_second']:,.0f} requests/s; p50 "
            f"{flat['p50_ms']:.0f} ms, p99 {flat['p99_ms']:.0f} ms; server errors "
            f"{flat['server_errors']}, other answers {flat['other_answers']}",
            flush=True,
        )
    settled = _settled(made["conversation"])
    answered = rated["cast"] + flat["cast"]
    checks = {
        f"p99 under {AIM_P99_MS} ms at {RATE:.0f} votes/s": rated["ballot_p99_ms"] < AIM_P99_MS,
        f"{RATE:.0f} votes/s kept up": rated["rate_achieved"] >= 0.95 * RATE,
        "no server errors": rated["server_errors"] == 0 and flat["server_errors"] == 0,
        "every vote cast": rated["cast"] == rated["ballots"]
        and flat["other_answers"] == 0
        and flat["cast"] >= flat["posts"] - CONNECTIONS,
        # Each line of the plan is a participant and statement of its own. wrk stops counting
        # with requests in flight: those are stored, not answered.
        "every vote answered was stored": answered <= settled["votes"] <= answered + CONNECTIONS,
        "one vote per participant per statement": settled["twice_on_a_statement"] == 0,
    }
    print(f"\nstored {settled['votes']:,} votes of {settled['participants']:,} participants")
    for label, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'}  {label}")
    harness.write_results(
        "debates_conversation_voting",
        {
            "machine": harness.machine(),
            "participants": PARTICIPANTS,
            "statements": STATEMENTS,
            "gunicorn_workers": WORKERS,
            "connections": CONNECTIONS,
            "at_rate": rated,
            "flat_out": flat,
            "bare": bare,
            "ratio_to_bare": ratio,
            "p99_ratio_to_bare": p99_ratio,
            "settled": settled,
            "checks": checks,
        },
    )
    correct = all(met for label, met in checks.items() if "votes/s" not in label)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
