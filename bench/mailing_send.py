"""A 100,000-recipient campaign sent by two Celery workers into a local SMTP sink, side by side
with the ceiling: a plain smtplib loop sending the same rendered messages to the same sink.

    .venv/bin/python bench/mailing_send.py        (part of `make bench`)

Recreates the civic_mailing_bench database on PostgreSQL, migrates it and loads a council with a
newsletter, a sending identity and 100,000 contacts who consented, with set-based SQL. An SMTP
sink (bench/smtp_sink_server.py) runs in a process of its own, so that it shares no interpreter
with the measuring code, and counts what it accepted. Then, in one run:

1. the ceiling: 20,000 of the campaign's own messages, rendered beforehand by mailing.messages'
   CampaignContext, sent by `smtp.sendmail()` in a plain loop over one connection, in three
   rounds of which the median counts; and, for reference, the same loop on two connections from
   two processes, the parallelism the campaign has;
2. the campaign: two workers (`celery worker --pool=solo`, Redis as broker) and a beat for the
   sweep, started and ready before the clock starts; then campaign_send_now, timed from the call
   until the sink has accepted the last message and the campaign is marked sent. Each worker's
   resident memory is sampled every second, and the CPU time of the workers, their PostgreSQL
   sessions and the sink is counted per message.

Every recipient must arrive exactly once (the sink counts distinct addresses) and every delivery
row must be sent, or the run fails. The targets of the issue are printed, met or not: the
campaign at least half the one-connection ceiling, and above 1,000 messages a second, with the
workers' memory flat (growth from the first tenth of the campaign to the last under 10% and
under 20 MB). Speed never fails the run; only a lost or doubled message does. Results are also
written to bench/results/mailing_send.json.

The machine's cores are shared by the sink, PostgreSQL, Redis and the workers, so compare the
ratio and the CPU per message across commits, never the absolute rates across machines. The run
says when something outside it used the CPUs meanwhile: such a run is not comparable.

Environment: BENCH_MAIL_RECIPIENTS (default 100000), BENCH_MAIL_CEILING (messages in the ceiling
loop, default 20000), BENCH_MAIL_CHUNK_SIZE (CIVIC_MAIL_CHUNK_SIZE of the workers, default 500),
BENCH_MAIL_WORKERS (default 2, the issue's figure), BENCH_MAIL_SINK (plain or aiosmtpd, default
plain: see bench/smtp_sink_server.py), BENCH_MAIL_PROFILE=1 to run the workers under cProfile and
print where their time went (the profiler slows them: do not compare that run's rate).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pstats
import queue
import re
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = f"postgres://postgres@{harness.LOCALHOST}:5432/civic_mailing_bench"
# Database numbers no test and no other benchmark uses (CI: 1, 2; harness: 14, 15; import: 5, 6).
REDIS_URL = f"redis://{harness.LOCALHOST}:6379/9"
CELERY_BROKER_URL = f"redis://{harness.LOCALHOST}:6379/8"

RECIPIENTS = int(os.environ.get("BENCH_MAIL_RECIPIENTS", "100000"))
CEILING_MESSAGES = int(os.environ.get("BENCH_MAIL_CEILING", "20000"))
CHUNK_SIZE = os.environ.get("BENCH_MAIL_CHUNK_SIZE", "500")
SINK_SERVER = os.environ.get("BENCH_MAIL_SINK", "plain")
PROFILE = os.environ.get("BENCH_MAIL_PROFILE", "") == "1"
WORKERS = int(os.environ.get("BENCH_MAIL_WORKERS", "2"))
TARGET_RATIO = 0.5
TARGET_RATE = 1000.0
FLAT_MEGABYTES = 20.0
FLAT_FRACTION = 0.10
# CPUs busy outside the processes measured above which a run says it was disturbed; a quiet run
# shows about 0.2 (Redis, PostgreSQL's WAL writer, the kernel's network work).
BUSY_ELSEWHERE = 0.35

SUBJECT = 'Your {{ organisation.name }} newsletter, {{ contact.first_name|default:"resident" }}'
# A newsletter of the usual length: a few paragraphs, a list, links, three merge fields.
BODY = """Dear {{ contact.first_name|default:"resident" }},

Here is what has been happening at {{ organisation.name }} this month, and where you can have
your say before the decisions are made.

## Consultations open now

- **Riverside park improvements**: new play areas, lighting and a cycle path along the river.
  Tell us what you think by the end of the month: [have your say](/consultations/riverside/).
- **Parking in the town centre**: proposed changes to permit zones and charges on market days.
- **Library opening hours**: we want to open later on weekday evenings. Would you use it?

## What you told us

Last month 1,240 residents answered our survey on waste collection. Most of you asked for food
waste to be collected every week, and from April it will be. Read the
[full report](/consultations/waste/report/) to see every change we are making.

## Come along

The next ward forum is on Thursday at 7pm in the community centre on High Street. Councillors
and officers will be there to answer your questions, and there is step-free access throughout.

Thank you for taking part.

The engagement team
"""


def _stop_on_sigterm(signum, frame):
    # Turn SIGTERM into an exception so that every `with` block stops its processes on the way out.
    raise SystemExit(128 + signum)


def _log(message: str) -> None:
    print(message, flush=True)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MachineCpu:
    """Busy CPU seconds of the whole machine between two points, from /proc/stat."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[float, float]:
        values = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
        idle = values[3] + values[4]  # idle and iowait
        ticks = os.sysconf("SC_CLK_TCK")
        return (sum(values) - idle) / ticks, sum(values) / ticks

    def busy_seconds(self) -> float:
        busy, _total = self._read()
        return busy - self.start[0]


# The sink ---------------------------------------------------------------------------------------


class Sink:
    """The sink process and a connection to its control port."""

    def __init__(self, process: subprocess.Popen, smtp_port: int, control_port: int):
        self.process = process
        self.port = smtp_port
        self.control = socket.create_connection((harness.LOCALHOST, control_port), timeout=10)
        self.control_file = self.control.makefile("rwb")

    def _ask(self, command: str) -> bytes:
        self.control_file.write(command.encode() + b"\n")
        self.control_file.flush()
        return self.control_file.readline()

    def stats(self) -> dict:
        return json.loads(self._ask("stats"))

    def reset(self) -> None:
        if self._ask("reset").strip() != b"ok":
            raise harness.BenchError("the SMTP sink did not reset its counts")

    def env(self) -> dict[str, str]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": harness.LOCALHOST,
            "EMAIL_PORT": str(self.port),
        }


@contextlib.contextmanager
def smtp_sink(server: str) -> Iterator[Sink]:
    script = Path(__file__).resolve().parent / "smtp_sink_server.py"
    process = subprocess.Popen(
        [sys.executable, str(script), "--server", server],
        stdout=subprocess.PIPE,
        text=True,
        env=harness.base_env(),
    )
    try:
        line = process.stdout.readline().split()
        if len(line) != 3 or line[0] != "ready":
            raise harness.BenchError(f"the SMTP sink did not start (it said {line!r})")
        sink = Sink(process, int(line[1]), int(line[2]))
        try:
            yield sink
        finally:
            sink.control.close()
    finally:
        harness.stop(process)


# The data ---------------------------------------------------------------------------------------


@dataclass
class Council:
    organisation: object
    actor: object
    campaign: object


def load(recipients: int) -> Council:
    """A council, its newsletter and `recipients` contacts who consented, made by the database."""
    from django.db import connection

    from civic.models import Organisation, Role, User
    from contacts.models import ConsentPurpose, Segment
    from mailing.models import Campaign, SendingIdentity

    organisation = Organisation.objects.create(name="Northbridge City Council", slug="northbridge")
    purpose = ConsentPurpose.objects.create(
        organisation=organisation, slug="newsletter", name="the newsletter",
        description="Monthly news",
    )  # fmt: skip
    identity = SendingIdentity.objects.create(
        organisation=organisation, from_name="Northbridge City Council",
        from_email="news@northbridge.example", reply_to="help@northbridge.example",
    )  # fmt: skip
    everyone = Segment.objects.create(organisation=organisation, name="Everyone", definition={})
    actor = User.objects.create_user(email="facilitator@northbridge.example", password=None)
    Role.objects.create(user=actor, organisation=organisation, kind=Role.Kind.FACILITATOR)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_contact (organisation_id, kind, email, name, phone, postcode, "
            "represents, source, notes, created_at) "
            "SELECT %s, 'person', 'resident' || n || '@example.org', 'Resident ' || n, '', '', "
            "'', 'sign_up', '', now() - interval '30 days' FROM generate_series(1, %s) n",
            [organisation.pk, recipients],
        )
        cursor.execute(
            "INSERT INTO contacts_consentevent (contact_id, purpose_id, action, method, wording, "
            "created_at) SELECT id, %s, 'given', 'sign-up form', 'Send me the newsletter', "
            "created_at FROM contacts_contact WHERE organisation_id = %s",
            [purpose.pk, organisation.pk],
        )
        cursor.execute("ANALYZE")
    campaign = Campaign.objects.create(
        organisation=organisation, name="November newsletter", identity=identity,
        purpose=purpose, subject=SUBJECT, body=BODY, created_by=actor,
    )  # fmt: skip
    campaign.segments.add(everyone)
    return Council(organisation, actor, campaign)


# The ceiling ------------------------------------------------------------------------------------


@dataclass
class Rendered:
    envelope_from: str
    messages: list[tuple[str, bytes]]  # (recipient, raw message)
    seconds: float  # CPU time of rendering them, in this process

    @property
    def average_bytes(self) -> float:
        return statistics.fmean(len(raw) for _to, raw in self.messages)


def render(council: Council, count: int) -> Rendered:
    """The campaign's own messages, built by the engine for unsaved deliveries of real contacts."""
    from contacts.models import Contact
    from mailing.messages import CampaignContext
    from mailing.models import Delivery

    campaign = council.campaign
    context = CampaignContext.load(campaign)
    contacts = list(
        Contact.objects.filter(organisation=council.organisation).order_by("pk")[:count]
    )
    started = time.process_time()
    messages = []
    for contact in contacts:
        delivery = Delivery(
            pk=contact.pk, organisation=council.organisation, campaign=campaign, contact=contact,
            to_email=contact.email,
        )  # fmt: skip
        outgoing = context.outgoing(delivery)
        messages.append((outgoing.to_address, outgoing.raw))
    return Rendered(context.envelope_from, messages, time.process_time() - started)


def plain_loop(port: int, envelope_from: str, messages: list[tuple[str, bytes]]) -> float:
    """The ceiling: one connection, `sendmail` per message, nothing else. Returns seconds."""
    connection = smtplib.SMTP(harness.LOCALHOST, port, timeout=30)
    try:
        connection.ehlo()
        started = time.perf_counter()
        for to_address, raw in messages:
            connection.sendmail(envelope_from, [to_address], raw)
        return time.perf_counter() - started
    finally:
        connection.quit()


def _plain_loop_child(port, envelope_from, messages, ready, go, results) -> None:
    connection = smtplib.SMTP(harness.LOCALHOST, port, timeout=30)
    connection.ehlo()
    ready.wait()
    go.wait()
    started = time.monotonic()
    for to_address, raw in messages:
        connection.sendmail(envelope_from, [to_address], raw)
    results.put((started, time.monotonic()))
    connection.quit()


def plain_loops(port: int, envelope_from: str, messages, connections: int) -> float:
    """The same loop on several connections from as many processes; returns the wall seconds."""
    from django.db import connection as database

    database.close()  # the children are forked: none may share this process's connection
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(connections + 1)
    go = context.Event()
    results = context.Queue()
    children = [
        context.Process(
            target=_plain_loop_child,
            args=(port, envelope_from, messages[index::connections], ready, go, results),
        )
        for index in range(connections)
    ]
    for child in children:
        child.start()
    try:
        ready.wait(timeout=30)
        go.set()
        spans = []
        while len(spans) < connections:
            with contextlib.suppress(queue.Empty):
                spans.append(results.get(timeout=1))
            if any(child.exitcode not in (None, 0) for child in children):
                raise harness.BenchError("a plain loop of several failed (see above)")
    except threading.BrokenBarrierError:
        raise harness.BenchError("the plain loops did not start together") from None
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
    return max(end for _start, end in spans) - min(start for start, _end in spans)


def _expect(sink: Sink, count: int) -> None:
    accepted = sink.stats()["messages"]
    if accepted != count:
        raise harness.BenchError(f"the sink accepted {accepted:,} of {count:,} messages")
    sink.reset()


def ceiling(sink: Sink, rendered: Rendered, rounds: int = 3) -> dict:
    """The plain loop in a few rounds, each on a new connection; the median round is the ceiling.

    Rounds differ more than one would think: on a virtual machine a round trip between two
    processes costs several times more when the scheduler puts them on different CPUs."""
    messages, envelope_from = rendered.messages, rendered.envelope_from
    plain_loop(sink.port, envelope_from, messages[: min(500, len(messages))])  # warm-up
    sink.reset()
    rates, client_cpu, sink_cpu = [], 0.0, 0.0
    machine, started = MachineCpu(), time.monotonic()
    size = max(1, len(messages) // rounds)
    for index in range(rounds):
        part = messages[index * size : (index + 1) * size]
        cpu_before, sink_before = time.process_time(), cpu_seconds(sink.process.pid)
        rates.append(len(part) / plain_loop(sink.port, envelope_from, part))
        client_cpu += time.process_time() - cpu_before
        sink_cpu += cpu_seconds(sink.process.pid) - sink_before
        _expect(sink, len(part))
    others = machine.busy_seconds() - client_cpu - sink_cpu
    elapsed = time.monotonic() - started
    sent = size * rounds
    two_seconds = plain_loops(sink.port, envelope_from, messages, WORKERS)
    _expect(sink, len(messages))
    return {
        "messages": sent,
        "messages_per_second": statistics.median(rates),
        "rounds_messages_per_second": rates,
        "client_cpu_us_per_message": client_cpu / sent * 1e6,
        "sink_cpu_us_per_message": sink_cpu / sent * 1e6,
        "other_processes_cpus_busy": max(0.0, others) / elapsed,
        "two_connections_messages": len(messages),
        "two_connections_seconds": two_seconds,
        "two_connections_messages_per_second": len(messages) / two_seconds,
    }


# The workers ------------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    process: subprocess.Popen
    log_path: Path
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, RSS in kB)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tasks(self) -> list[tuple[float, int]]:
        """(seconds, messages sent) of each campaign task this worker finished, from its log."""
        return [
            (float(seconds), int(sent))
            for seconds, sent in re.findall(
                r"campaign_send_task\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)", self.log()
            )
        ]

    def rss_kilobytes(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            return None
        return None


def _celery(name: str, arguments: list[str], env: dict[str, str], workdir: Path) -> Process:
    log_path = workdir / f"{name}.log"
    prefix = [sys.executable]
    if PROFILE and arguments[0] == "worker":
        prefix += ["-m", "cProfile", "-o", str(workdir / f"{name}.prof")]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*prefix, "-m", "celery", "-A", "civic", *arguments],
            cwd=harness.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Process(name, process, log_path)


# As tests/worker.py starts them: one task at a time per process, no chatter between workers.
WORKER_ARGUMENTS = [
    "worker", "--pool=solo", "--loglevel=INFO", "-Q", "transactional,default",
    "--without-heartbeat", "--without-gossip", "--without-mingle",
]  # fmt: skip


def start_workers(env: dict[str, str], workdir: Path) -> list[Process]:
    workers = [
        _celery(f"worker{number}", [*WORKER_ARGUMENTS, "-n", f"bench{number}@%h"], env, workdir)
        for number in range(1, WORKERS + 1)
    ]
    deadline = time.monotonic() + 90
    for worker in workers:
        while "ready." not in worker.log():
            if worker.process.poll() is not None:
                raise harness.BenchError(f"{worker.name} exited at start:\n{worker.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise harness.BenchError(f"{worker.name} was not ready in 90 s")
            time.sleep(0.2)
    return workers


def start_beat(env: dict[str, str], workdir: Path) -> Process:
    # The sweep gives a campaign a fresh task when a task gives way (CIVIC_MAIL_TASK_SECONDS),
    # as in production.
    return _celery(
        "beat", ["beat", "--loglevel=WARNING", "--schedule", str(workdir / "beat-schedule")],
        env, workdir,
    )  # fmt: skip


def stop_all(processes: list[Process]) -> None:
    for each in processes:
        if each.process.poll() is None:
            each.process.terminate()
    for each in processes:
        try:
            each.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            each.process.kill()
            each.process.wait()


# The campaign -----------------------------------------------------------------------------------


def _sample_database_backends(cpu: dict[int, float]) -> None:
    """CPU time so far of the other sessions on the bench database (the workers' and the beat's),
    sampled while they live: a worker closes its session when its task ends."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        for (pid,) in cursor.fetchall():
            cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))


def send_campaign(council: Council, sink: Sink, workers: list[Process]) -> dict:
    """campaign_send_now, then wait for the sink and the campaign's status; sample memory and
    count the CPU time each part used."""
    from mailing.models import Campaign
    from mailing.services import campaign_send_now

    campaign = council.campaign
    for worker in workers:
        worker.samples.append((time.monotonic(), worker.rss_kilobytes() or 0))
    idle_rss = {worker.name: worker.samples[-1][1] for worker in workers}
    sink.reset()
    machine = MachineCpu()
    cpu_before = {
        "workers": sum(cpu_seconds(worker.process.pid) for worker in workers),
        "sink": cpu_seconds(sink.process.pid),
        "bench": time.process_time(),
    }
    backends: dict[int, float] = {}
    _sample_database_backends(backends)
    backends_before = sum(backends.values())
    started = time.monotonic()
    queued = campaign_send_now(campaign=campaign, actor=council.actor)
    frozen = time.monotonic() - started
    _log(f"  {queued:,} deliveries frozen in {frozen:.1f} s; sending ...")
    status, stats = "", sink.stats()
    progress_at, progress = started, 0
    next_sample = next_report = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_sample:
            for worker in workers:
                rss = worker.rss_kilobytes()
                if rss is not None:
                    worker.samples.append((now, rss))
            status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True)[0]
            _sample_database_backends(backends)
            next_sample = now + 1
        stats = sink.stats()
        if stats["messages"] >= queued and status == Campaign.Status.SENT:
            break
        if stats["messages"] != progress:
            progress_at, progress = now, stats["messages"]
        elif now - progress_at > 60:
            raise harness.BenchError(
                f"no message arrived for 60 s: {stats['messages']:,} of {queued:,} sent, "
                f"campaign {status}"
            )
        if any(worker.process.poll() is not None for worker in workers):
            raise harness.BenchError("a worker exited during the campaign")
        if now >= next_report:
            _log(f"  {stats['messages']:>9,} sent after {now - started:5.1f} s")
            next_report = now + 10
        time.sleep(0.1)
    finished = time.monotonic()
    _sample_database_backends(backends)
    cpu = {
        "workers": sum(cpu_seconds(worker.process.pid) for worker in workers)
        - cpu_before["workers"],
        # Up to a second of each session's last work is missed: the figure is a floor.
        "postgres": sum(backends.values()) - backends_before,
        "sink": cpu_seconds(sink.process.pid) - cpu_before["sink"],
        "bench": time.process_time() - cpu_before["bench"],
    }
    busy = machine.busy_seconds()
    last_at = stats["last_at"] or finished
    messages = stats["messages"] or 1
    return {
        "queued": queued,
        "freeze_seconds": frozen,
        "seconds": last_at - started,
        "messages_per_second": stats["messages"] / (last_at - started),
        "sending_seconds": last_at - stats["first_at"],
        "sending_messages_per_second": stats["messages"] / (last_at - stats["first_at"]),
        "first_message_after_seconds": stats["first_at"] - started,
        "marked_sent_seen_after_seconds": finished - started,
        "cpu_us_per_message": {name: value / messages * 1e6 for name, value in cpu.items()},
        "machine_cpus_busy": busy / (finished - started),
        "other_processes_cpus_busy": max(0.0, busy - sum(cpu.values())) / (finished - started),
        "sink": stats,
        "idle_rss_kilobytes": idle_rss,
        "started": started,
    }


def check(council: Council, result: dict, recipients: int) -> list[str]:
    """Every recipient exactly once, every row sent: what must hold whatever the speed."""
    from mailing.models import Campaign, Delivery

    problems = []
    sink = result["sink"]
    if result["queued"] != recipients:
        problems.append(f"{result['queued']:,} deliveries were queued for {recipients:,} contacts")
    if sink["messages"] != recipients:
        problems.append(f"the sink accepted {sink['messages']:,} messages, not {recipients:,}")
    if sink["distinct"] != recipients or sink["duplicates"]:
        problems.append(
            f"{sink['distinct']:,} distinct recipients and {sink['duplicates']:,} duplicates"
        )
    figures = Delivery.objects.filter(campaign=council.campaign).figures()
    if figures["sent"] != recipients or figures["total"] != recipients:
        problems.append(f"deliveries: {figures}")
    status = Campaign.objects.get(pk=council.campaign.pk).status
    if status != Campaign.Status.SENT:
        problems.append(f"the campaign is {status}, not sent")
    return problems


def memory(workers: list[Process], started: float, finished: float) -> dict:
    """Per worker: RSS over the first and last tenth of the campaign, the maximum, the growth."""
    tenth = (finished - started) / 10
    figures = {}
    for worker in workers:
        during = [(at, rss) for at, rss in worker.samples if started <= at <= finished]
        during = during or worker.samples  # a campaign shorter than the sampling interval
        first = [rss for at, rss in during if at <= started + tenth] or [during[0][1]]
        last = [rss for at, rss in during if at >= finished - tenth] or [during[-1][1]]
        first_mb, last_mb = statistics.fmean(first) / 1024, statistics.fmean(last) / 1024
        growth = last_mb - first_mb
        figures[worker.name] = {
            "samples": len(during),
            "first_tenth_mb": first_mb,
            "last_tenth_mb": last_mb,
            "max_mb": max(rss for _at, rss in during) / 1024,
            "growth_mb": growth,
            "flat": growth < FLAT_MEGABYTES and growth < FLAT_FRACTION * first_mb,
        }
    return figures


def print_profiles(workdir: Path) -> None:
    paths = sorted(str(path) for path in workdir.glob("worker*.prof"))
    if not paths:
        _log("no worker profile was written")
        return
    stats = pstats.Stats(*paths, stream=sys.stdout)
    stats.strip_dirs()
    _log("\nworkers under cProfile, both combined, by own time:")
    stats.sort_stats("tottime").print_stats(30)
    _log("by cumulative time:")
    stats.sort_stats("cumulative").print_stats(45)


def report(plain, campaign, rss, rendered, *, ratio, ratio_two, flat, met_ratio, met_rate):
    print()
    print(
        f"{RECIPIENTS:,} recipients, {WORKERS} workers (--pool=solo), chunks of {CHUNK_SIZE}, "
        f"{SINK_SERVER} sink, messages of {rendered.average_bytes / 1024:.1f} kB, "
        f"{os.cpu_count()} CPUs{', workers PROFILED' if PROFILE else ''}"
    )
    header = f"{'':<46}{'messages':>10}{'seconds':>9}{'msg/s':>9}"
    print(header)
    print("-" * len(header))
    rates = ", ".join(f"{rate:,.0f}" for rate in plain["rounds_messages_per_second"])
    rows = [
        ("ceiling: plain smtplib loop, one connection", plain["messages"],
         plain["messages"] / plain["messages_per_second"]),
        (f"  the same on {WORKERS} connections (reference)", plain["two_connections_messages"],
         plain["two_connections_seconds"]),
        ("campaign: campaign_send_now to last message", campaign["sink"]["messages"],
         campaign["seconds"]),
        ("  of which sending (first to last message)", campaign["sink"]["messages"],
         campaign["sending_seconds"]),
    ]  # fmt: skip
    for name, messages, seconds in rows:
        print(f"{name:<46}{messages:>10,}{seconds:>9.1f}{messages / seconds:>9,.0f}")
    print(f"(the ceiling is the median of its rounds: {rates} msg/s)")
    print(
        f"\ncampaign/ceiling: {ratio:.2f} (target >= {TARGET_RATIO}: "
        f"{'met' if met_ratio else 'NOT met'}); "
        f"campaign/{WORKERS}-connection ceiling: {ratio_two:.2f}"
    )
    print(
        f"campaign rate: {campaign['messages_per_second']:,.0f} msg/s (target > "
        f"{TARGET_RATE:,.0f}: {'met' if met_rate else 'NOT met'}); freezing the audience "
        f"took {campaign['freeze_seconds']:.1f} s, the first message arrived after "
        f"{campaign['first_message_after_seconds']:.1f} s"
    )
    cpu = campaign["cpu_us_per_message"]
    print(
        f"\nCPU per message, campaign: workers {cpu['workers']:,.0f} us (rendering alone "
        f"{rendered.seconds / len(rendered.messages) * 1e6:,.0f} us), their PostgreSQL sessions "
        f"{cpu['postgres']:,.0f} us, sink {cpu['sink']:,.0f} us"
    )
    print(
        f"CPU per message, ceiling loop: client {plain['client_cpu_us_per_message']:,.0f} us, "
        f"sink {plain['sink_cpu_us_per_message']:,.0f} us"
    )
    others = campaign["other_processes_cpus_busy"]
    print(
        f"during the campaign {campaign['machine_cpus_busy']:.2f} of {os.cpu_count()} CPUs were "
        f"busy, {others:.2f} of them outside the processes measured (Redis, PostgreSQL's WAL "
        f"writer, the kernel, anything else running); during the ceiling "
        f"{plain['other_processes_cpus_busy']:.2f}"
    )
    if max(others, plain["other_processes_cpus_busy"]) > BUSY_ELSEWHERE:
        print(
            "WARNING: something else was using the machine during the run; its figures are not "
            "comparable with a quiet run's. Run again when the machine is idle."
        )
    for name, tasks in campaign["tasks"].items():
        runs = ", ".join(f"{sent:,} in {seconds:.0f} s" for seconds, sent in tasks) or "none"
        print(f"{name} sent, task by task: {runs}")
    print(
        f"\n{'worker memory (RSS, MB)':<26}{'idle':>8}{'first 10%':>11}{'last 10%':>10}"
        f"{'max':>8}{'growth':>9}  flat"
    )
    for name, figures in rss.items():
        idle = campaign["idle_rss_kilobytes"][name] / 1024
        print(
            f"{name:<26}{idle:>8.1f}{figures['first_tenth_mb']:>11.1f}"
            f"{figures['last_tenth_mb']:>10.1f}{figures['max_mb']:>8.1f}"
            f"{figures['growth_mb']:>+9.1f}  {'yes' if figures['flat'] else 'NO'}"
        )
    print(
        f"memory flat (growth under {FLAT_FRACTION:.0%} and {FLAT_MEGABYTES:.0f} MB): "
        f"{'yes' if flat else 'NO'}"
    )
    print(
        f"sink: {campaign['sink']['messages']:,} messages, {campaign['sink']['distinct']:,} "
        f"distinct recipients, {campaign['sink']['duplicates']:,} duplicates"
    )


# The run ----------------------------------------------------------------------------------------


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return run()
    except harness.BenchError as error:
        print(error, file=sys.stderr)
        return 2


def run() -> int:
    bench_started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="civic-bench-mailing-") as tmp,
        smtp_sink(SINK_SERVER) as sink,
    ):
        workdir = Path(tmp)
        env = harness.civic_env(
            workdir,
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            CELERY_BROKER_URL=CELERY_BROKER_URL,
            CIVIC_MAIL_RATE_PER_SECOND="0",
            CIVIC_MAIL_CHUNK_SIZE=CHUNK_SIZE,
            CIVIC_MAIL_PARALLEL_TASKS=str(WORKERS),
            **sink.env(),
        )
        _log(f"database: recreate, migrate and load {RECIPIENTS:,} contacts who consented ...")
        harness.recreate_database(DATABASE_URL)
        harness.flush_redis(REDIS_URL)
        harness.flush_redis(CELERY_BROKER_URL)
        harness.manage("migrate", "--noinput", env=env)
        os.environ.update(env)
        import django

        django.setup()
        loaded = time.monotonic()
        council = load(RECIPIENTS)
        _log(f"  loaded in {time.monotonic() - loaded:.1f} s")

        count = min(CEILING_MESSAGES, RECIPIENTS)
        _log(f"ceiling: render {count:,} of the campaign's messages, send them in a plain loop ...")
        rendered = render(council, count)
        plain = ceiling(sink, rendered)
        _log(
            f"  {plain['messages_per_second']:,.0f} msg/s on one connection, "
            f"{plain['two_connections_messages_per_second']:,.0f} msg/s on {WORKERS}"
        )

        _log(f"campaign: start {WORKERS} workers and a beat, then send to {RECIPIENTS:,} ...")
        processes: list[Process] = []
        try:
            workers = start_workers(env, workdir)
            processes += workers
            processes.append(start_beat(env, workdir))
            campaign = send_campaign(council, sink, workers)
            finished = campaign["started"] + campaign["seconds"]
            rss = memory(workers, campaign["started"], finished)
        except harness.BenchError as error:
            for each in processes:
                _log(f"--- {each.name} log (end):\n{each.log()[-3000:]}")
            print(error, file=sys.stderr)
            return 2
        finally:
            stop_all(processes)
        campaign["tasks"] = {worker.name: worker.tasks() for worker in workers}
        problems = check(council, campaign, RECIPIENTS)
        if PROFILE:
            print_profiles(workdir)

    bench_seconds = time.monotonic() - bench_started
    ratio = campaign["messages_per_second"] / plain["messages_per_second"]
    ratio_two = campaign["messages_per_second"] / plain["two_connections_messages_per_second"]
    render_us = rendered.seconds / len(rendered.messages) * 1e6
    flat = all(worker["flat"] for worker in rss.values())
    met_ratio = ratio >= TARGET_RATIO
    met_rate = campaign["messages_per_second"] > TARGET_RATE
    report(plain, campaign, rss, rendered, ratio=ratio, ratio_two=ratio_two, flat=flat,
           met_ratio=met_ratio, met_rate=met_rate)  # fmt: skip
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"bench took {bench_seconds:.0f} s")

    path = harness.write_results(
        "mailing_send",
        {
            "machine": harness.machine(),
            "recipients": RECIPIENTS,
            "workers": WORKERS,
            "chunk_size": int(CHUNK_SIZE),
            "sink": SINK_SERVER,
            "profiled": PROFILE,
            "message_bytes": rendered.average_bytes,
            "render_cpu_us_per_message": render_us,
            "ceiling": plain,
            "campaign": {key: value for key, value in campaign.items() if key != "started"},
            "ratio_to_ceiling": ratio,
            "ratio_to_two_connection_ceiling": ratio_two,
            "memory": rss,
            "targets": {"ratio": met_ratio, "rate": met_rate, "memory_flat": flat},
            "disturbed": max(
                campaign["other_processes_cpus_busy"], plain["other_processes_cpus_busy"]
            )
            > BUSY_ELSEWHERE,
            "problems": problems,
            "bench_seconds": bench_seconds,
        },
    )
    print(f"results written to {path.relative_to(harness.BASE_DIR)}")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
