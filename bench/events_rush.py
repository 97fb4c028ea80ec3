"""A registration rush: 2,000 people register within seconds for an event with 100 places,
through a real server, against the bare Django view measured in the same run with the same
client (issue 17: zero errors, exactly 100 confirmed and 1,900 on the waiting list in the order
they arrived, every confirmation and waiting-list e-mail sent once).

    .venv/bin/python bench/events_rush.py        (part of `make bench`)

As in production on this machine: gunicorn (BENCH_RUSH_WORKERS sync workers, default 4) with
DEBUG off over PostgreSQL and Redis, and one Celery worker at the lowest CPU priority sending
the e-mails from the transactional queue into an SMTP sink (bench/smtp_sink_server.py).

1. Set-up, in this process: a council, a ward with its postcode, the event (in person, 100
   places, registration open) and a second event to warm the server up on.
2. The bare baseline: bench/bare_wsgi.py, served alongside civic, loaded by the same client with
   the same number of requests and connections right before the rush, so that the other work
   of a shared machine weighs on both sides of the ratio.
3. The rush: BENCH_RUSH_CONNECTIONS (default 32) clients, each on a keep-alive connection of its
   own, post BENCH_RUSH_PEOPLE (default 2,000) registrations of one place each, as fast as the
   server answers, each with an address of its own; a 302 to "check your e-mail" is a success.
   Registrations a second run from the first request sent to the last answer; p50 and p99 are
   of each POST. The ratio to the bare view is of the rates, and of the p99s.
4. With the load stopped: the event has exactly BENCH_RUSH_PLACES (default 100) confirmed, the
   rest waiting, arrival numbers 1 to N without a gap, the confirmed being the first arrivals;
   a registration whose answer came back before another was sent arrived before it (the
   waiting list is in the order people arrived); each person was sent exactly one e-mail, "Your
   place is booked" for the confirmed and "You are on the waiting list" for the rest, and the
   sink received each once; the event's page and the listing keep their query counts.

Every client comes from 127.0.0.1, so the bench raises the per-address limits out of reach
(CIVIC_EVENT_REGISTER_BURST and _SUSTAINED) rather than exempting the address, and lets a form
be posted at once (CIVIC_EVENT_REGISTER_MIN_SECONDS=0), as the petitions bench does. Figures go
to bench/results/events_rush.json. Environment: BENCH_RUSH_PEOPLE, BENCH_RUSH_PLACES,
BENCH_RUSH_CONNECTIONS, BENCH_RUSH_WORKERS, BENCH_RUSH_MAIL_SECONDS (how long to wait for the
e-mails after the load, default 900), and BENCH_REDIS_URL and BENCH_BROKER_URL to use a
Redis of one's own (default: the harness's databases on the local Redis).
"""

from __future__ import annotations

import bisect
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
from bench.mailing_send import smtp_sink

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_events_bench"
PEOPLE = int(os.environ.get("BENCH_RUSH_PEOPLE", "2000"))
PLACES = int(os.environ.get("BENCH_RUSH_PLACES", "100"))
CONNECTIONS = int(os.environ.get("BENCH_RUSH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_RUSH_WORKERS", "4"))
MAIL_SECONDS = float(os.environ.get("BENCH_RUSH_MAIL_SECONDS", "900"))
WARMUP = 100  # registrations for the warm-up event, before anything is measured
WORKER_NICENESS = 19
CONFIRMED_SUBJECT = "Your place is booked: "
WAITING_SUBJECT = "You are on the waiting list: "


def _setup(env: dict[str, str]) -> dict[str, int]:
    """The council, a ward and its postcode, the rushed event and a warm-up event, made through
    the models in this process (which points at the bench database)."""
    os.environ.update(env)
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from civic.models import Area, Department, Organisation, Postcode
    from events.models import Event

    organisation = Organisation.objects.create(name="Rush Council", slug="rush")
    team = Department.objects.create(organisation=organisation, name="Engagement", slug="eng")
    area = Area.objects.create(organisation=organisation, code="E05000900", name="Ancoats")
    Postcode.objects.create(organisation=organisation, postcode="M4 6AA", area=area)
    now = timezone.now()

    def event(title: str, capacity: int) -> int:
        return Event.objects.create(
            department=team,
            title=title,
            summary="Talk to the team about the plans for the high street.",
            description="Come along and tell us what you think.",
            kind=Event.Kind.IN_PERSON,
            starts_at=now + timedelta(days=14),
            ends_at=now + timedelta(days=14, hours=2),
            venue_name="Ancoats Library",
            address="1 Old Mill Street",
            postcode="M4 6AA",
            area=area,
            in_person_capacity=capacity,
            places_limit=4,
            registration_opens_at=now - timedelta(hours=1),
            status=Event.Status.PUBLISHED,
            published_at=now - timedelta(hours=2),
        ).pk

    return {"rush": event("High street plans: drop-in", PLACES), "warmup": event("Warm-up", 10)}


def _csrf_cookie(response: http.client.HTTPResponse) -> str:
    return next(
        (
            header.split(";", 1)[0]
            for name, header in response.getheaders()
            if name.lower() == "set-cookie" and header.startswith("csrftoken=")
        ),
        "",
    )


def _form(base_url: str, event_id: int) -> tuple[str, str]:
    """The CSRF cookie and the start of every POST's body (CSRF token, signed start token), from
    one GET of the registration form."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    connection.request("GET", f"/events/{event_id}/register/")
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    if response.status != 200:
        raise harness.BenchError(f"the registration form answered {response.status}")
    cookie = _csrf_cookie(response)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    started = re.search(r'name="started" value="([^"]+)"', page)
    if not (cookie and csrf and started):
        raise harness.BenchError("the registration form set no CSRF cookie, token or start")
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf.group(1),
            "started": started.group(1),
            "website": "",
            "postcode": "M4 6AA",
            "places": "1",
        }
    )
    return cookie, body


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _load(base_url: str, count: int, request) -> dict:
    """CONNECTIONS clients, each on a keep-alive connection, send `count` requests between
    them as fast as they are answered; `request(number)` gives (method, path, body, headers).
    Each request's number, when it was sent, when its answer came, and the answer's status."""
    parsed = urllib.parse.urlsplit(base_url)
    records: list[tuple[int, float, float, int]] = []
    lock = threading.Lock()
    following = iter(range(count))
    start = threading.Barrier(CONNECTIONS)

    def work() -> None:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        start.wait()
        while True:
            with lock:
                number = next(following, None)
            if number is None:
                break
            method, path, body, headers = request(number)
            sent = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
                status = 0  # no answer: counted as an error
            done = time.perf_counter()
            with lock:
                records.append((number, sent, done, status))
        connection.close()

    threads = [threading.Thread(target=work) for _number in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = min(record[1] for record in records)
    last = max(record[2] for record in records)
    latencies = [1000 * (done - sent) for _number, sent, done, _status in records]
    statuses: dict[int, int] = {}
    for record in records:
        statuses[record[3]] = statuses.get(record[3], 0) + 1
    return {
        "requests": len(records),
        "seconds": last - first,
        "per_second": len(records) / (last - first),
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "statuses": statuses,
        "records": records,
    }


def _bare(bare_url: str) -> dict:
    figures = _load(bare_url, PEOPLE, lambda number: ("GET", "/", None, {}))
    figures.pop("records")
    return figures


def _rush(base_url: str, event_id: int, prefix: str, count: int) -> dict:
    cookie, body_start = _form(base_url, event_id)
    path = f"/events/{event_id}/register/"
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": base_url + path,
    }

    def request(number: int):
        body = f"{body_start}&name=Person+{number}&email={prefix}{number}%40rush.example"
        return "POST", path, body, headers

    figures = _load(base_url, count, request)
    figures["registered"] = figures["statuses"].get(302, 0)
    figures["errors"] = figures["requests"] - figures["registered"]
    return figures


def _order_kept(records: list[tuple[int, float, float, int]], arrivals: dict[int, int]) -> int:
    """How many registrations arrived before one whose answer had come back before they were
    sent (none, if the waiting list is in the order people arrived)."""
    answered = sorted((done, arrivals[number]) for number, _sent, done, _status in records)
    done_times = [done for done, _arrival in answered]
    highest_before = []  # the highest arrival among the first i answers
    highest = 0
    for _done, arrival in answered:
        highest = max(highest, arrival)
        highest_before.append(highest)
    out_of_order = 0
    for number, sent, _done, _status in records:
        finished = bisect.bisect_left(done_times, sent)
        if finished and highest_before[finished - 1] > arrivals[number]:
            out_of_order += 1
    return out_of_order


def _settled(event_id: int, records: list, timeout: float = MAIL_SECONDS) -> dict:
    """Wait for the worker to send every e-mail of the rush; then check the event's bookings
    and who was sent what."""
    from collections import Counter

    from events.models import Registration
    from mailing.models import Delivery

    mails = Delivery.objects.filter(to_email__startswith="rush", to_email__endswith="@rush.example")
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        sent = mails.filter(status=Delivery.Status.SENT).count()
        if sent >= PEOPLE and not Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
            break
        time.sleep(0.5)
    registrations = Registration.objects.filter(event_id=event_id)
    by_email = {
        email: (arrival, status)
        for email, arrival, status in registrations.values_list("email", "arrival", "status")
    }
    arrivals = {
        int(email.split("@")[0].removeprefix("rush")): arrival
        for email, (arrival, _status) in by_email.items()
    }
    confirmed = sorted(
        a for a, status in by_email.values() if status == Registration.Status.CONFIRMED
    )
    waiting = list(registrations.waiting().values_list("arrival", flat=True))
    expected = {
        email: (CONFIRMED_SUBJECT if status == Registration.Status.CONFIRMED else WAITING_SUBJECT)
        for email, (_arrival, status) in by_email.items()
    }
    sent = Counter(mails.values_list("to_email", "message__subject", "status"))
    wrong_mail = [
        email
        for email, subject in expected.items()
        if sum(
            times
            for (to_email, subject_sent, status), times in sent.items()
            if to_email == email and subject_sent.startswith(subject) and status == "sent"
        )
        != 1
    ]
    return {
        "registrations": len(by_email),
        "confirmed": len(confirmed),
        "waiting": len(waiting),
        "confirmed_are_first": confirmed == list(range(1, len(confirmed) + 1)),
        "waiting_in_arrival_order": waiting == list(range(len(confirmed) + 1, len(by_email) + 1)),
        "out_of_order": _order_kept(
            [record for record in records if record[0] in arrivals], arrivals
        ),
        "mails": mails.count(),
        "mails_sent": mails.filter(status=Delivery.Status.SENT).count(),
        "people_not_sent_exactly_their_one_mail": len(wrong_mail),
        "seconds_after_load": round(time.monotonic() - started, 1),
    }


def _worker(env: dict[str, str], workdir: Path) -> subprocess.Popen:
    log = (workdir / "worker.log").open("w")
    return subprocess.Popen(
        ["nice", "-n", str(WORKER_NICENESS), sys.executable, "-m", "celery", "-A", "civic",
         "worker", "-Q", "transactional,default", "-c", "1", "--loglevel", "WARNING",
         "-n", "rush@%h"],
        cwd=harness.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="civic-rush-"))
    env = harness.civic_env(
        workdir,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", harness.REDIS_URL),
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", harness.CELERY_BROKER_URL),
        CIVIC_EVENT_REGISTER_BURST="1000000000/m",
        CIVIC_EVENT_REGISTER_SUSTAINED="1000000000/h",
        CIVIC_EVENT_REGISTER_MIN_SECONDS="0",
        WEB_CONCURRENCY=str(WORKERS),
    )
    harness.recreate_database(DATABASE_URL)
    harness.flush_redis(env["REDIS_URL"])
    harness.flush_redis(env["CELERY_BROKER_URL"])
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    events = _setup(env)
    queries = {
        "listing": harness.count_queries("/events/?drawn=1", env=env),
        "event page": harness.count_queries(f"/events/{events['rush']}/?drawn=1", env=env),
    }
    print(f"gunicorn {WORKERS} sync workers; {CONNECTIONS} clients; {PEOPLE:,} people for "
          f"{PLACES} places", flush=True)  # fmt: skip

    with smtp_sink("plain") as sink:
        worker = _worker({**env, **sink.env()}, workdir)
        try:
            with (
                harness.serve("bench.bare_wsgi", harness.base_env(), workers=WORKERS) as bare_url,
                harness.serve("civic.wsgi", env, workers=WORKERS) as base_url,
            ):
                harness.check_ok(bare_url + "/")
                _rush(base_url, events["warmup"], "warm", WARMUP)
                bare = _bare(bare_url)
                print(f"bare view: {bare['per_second']:,.0f} requests/s, p99 "
                      f"{bare['p99_ms']:.1f} ms", flush=True)  # fmt: skip
                rush = _rush(base_url, events["rush"], "rush", PEOPLE)
                records = rush.pop("records")
            settled = _settled(events["rush"], records)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        received = sink.stats()
    rate_ratio = rush["per_second"] / bare["per_second"]
    p99_ratio = rush["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else None
    print(
        f"rush: {rush['registered']:,} registrations in {rush['seconds']:.1f} s, "
        f"{rush['per_second']:,.0f}/s = {rate_ratio:.3f} of the bare view's rate; p50 "
        f"{rush['p50_ms']:.1f} ms, p99 {rush['p99_ms']:.1f} ms = {p99_ratio:.1f} times the bare "
        f"view's; answers {rush['statuses']}",
        flush=True,
    )
    print(
        f"settled: {settled['confirmed']} confirmed, {settled['waiting']:,} waiting; "
        f"{settled['mails_sent']:,} e-mails sent, the last {settled['seconds_after_load']} s "
        f"after the load; the sink received {received['messages']:,} "
        f"({received['duplicates']} duplicates); queries "
        + ", ".join(f"{name} {figures.get('queries')}" for name, figures in queries.items())
    )
    expected_messages = PEOPLE + WARMUP
    checks = {
        "no errors": rush["errors"] == 0 and rush["registered"] == PEOPLE,
        f"exactly {PLACES} confirmed, the first to arrive": settled["confirmed"] == PLACES
        and settled["confirmed_are_first"],
        f"{PEOPLE - PLACES:,} on the waiting list in arrival order": settled["waiting"]
        == PEOPLE - PLACES
        and settled["waiting_in_arrival_order"]
        and settled["out_of_order"] == 0,
        "every confirmation and waiting-list e-mail sent once": settled[
            "people_not_sent_exactly_their_one_mail"
        ]
        == 0
        and settled["mails"] == settled["mails_sent"] == PEOPLE
        and received["messages"] == expected_messages
        and received["duplicates"] == 0,
        "listing at most 3 queries, event page at most 2": (queries["listing"].get("queries") or 99)
        <= 3
        and (queries["event page"].get("queries") or 99) <= 2,
    }
    for label, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'}  {label}")
    harness.write_results(
        "events_rush",
        {
            "machine": harness.machine(),
            "gunicorn_workers": WORKERS,
            "connections": CONNECTIONS,
            "people": PEOPLE,
            "places": PLACES,
            "bare": bare,
            "rush": rush,
            "ratio_to_bare": rate_ratio,
            "p99_ratio_to_bare": p99_ratio,
            "settled": settled,
            "sink": received,
            "queries": queries,
            "checks": checks,
        },
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
