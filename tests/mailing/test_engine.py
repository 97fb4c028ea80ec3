"""The engine against real workers and a real SMTP server: everyone once, in parallel, retries,
refusals and the rate limit; and at least once, never twice from a worker that lost its claim,
with workers killed or paused at set steps of the SMTP conversation (the sink holds a recipient's
conversation at that step until the test has done its deed, so that no run depends on timing)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from mailing.engine import RateLimiter, send_rows
from mailing.messages import CampaignContext
from mailing.models import Campaign, Delivery, RateLimit
from mailing.outbox import claim, claimable_q
from mailing.services import (
    audience_freeze,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_send_now,
    mailing_sweep,
)
from mailing.transports import SmtpTransport
from tests.worker import ROOT, Worker, _database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status == Campaign.Status.SENT


def _worker_on(workers: list[Worker], client_port: int) -> Worker:
    """The worker process holding the client end of the connection from `client_port`, found in
    the kernel's socket table: the sink knows the connection, not which worker made it."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for worker in workers:
        for descriptor in Path(f"/proc/{worker.process.pid}/fd").iterdir():
            try:
                if os.readlink(descriptor) in inodes:
                    return worker
            except OSError:
                continue
    pytest.fail(f"no worker holds the connection from port {client_port}")


def _succeeded(worker: Worker) -> int:
    return len(re.findall(r"campaign_send_task\[[^\]]+\] succeeded", worker.log()))


def _tasks_ended(worker: Worker) -> bool:
    """Every campaign task the worker has taken has ended: none of them can send any more."""
    log = worker.log()
    taken = set(re.findall(r"campaign_send_task\[([^\]]+)\] received", log))
    ended = set(re.findall(r"campaign_send_task\[([^\]]+)\] (?:succeeded|raised)", log))
    return taken <= ended


def test_two_workers_send_every_recipient_exactly_one_message(
    newsletter, celery_workers, each_smtp_sink, postgresql_only
):
    contacts = newsletter.subscribe(300)
    for _number in range(2):
        celery_workers.start(**each_smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="25")
    campaign = newsletter.campaign()

    queued = campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    assert queued == 300
    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign did not finish")
    arrived = Counter(each_smtp_sink.recipients())
    assert arrived == Counter({contact.email: 1 for contact in contacts})
    assert Delivery.objects.filter(campaign=campaign, status="sent").count() == 300
    # Both workers took part: chunks were shared, not sent by one while the other idled.
    logs = [worker.log() for worker in celery_workers.started]
    assert all("campaign_send_task" in log and "succeeded" in log for log in logs)


def test_a_transient_refusal_is_retried_and_a_permanent_one_fails_with_its_reason(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    newsletter.subscribe(3)
    smtp_sink.answers["resident0@example.org"] = ["451 4.3.0 Try again later", "250"]
    smtp_sink.answers["resident1@example.org"] = ["550 5.1.1 No such mailbox"]
    celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_RETRY_SECONDS="0.5")
    campaign = newsletter.campaign()

    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    def settled():
        mailing_sweep()  # what beat does every few seconds: wake a worker for the retry
        return _finished(campaign)

    wait_for(settled, timeout=60, interval=0.5, message="the campaign did not finish")
    rows = {row.to_email: row for row in Delivery.objects.filter(campaign=campaign)}
    retried = rows["resident0@example.org"]
    assert (retried.status, retried.attempts) == ("sent", 2)
    refused = rows["resident1@example.org"]
    assert refused.status == "failed"
    assert "550 5.1.1 No such mailbox" in refused.error
    assert rows["resident2@example.org"].status == "sent"
    assert sorted(smtp_sink.recipients()) == ["resident0@example.org", "resident2@example.org"]


def test_transient_failures_stop_at_the_ceiling(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    newsletter.subscribe(1)
    smtp_sink.answers["resident0@example.org"] = ["421 4.7.0 Throttled"]
    celery_workers.start(
        **smtp_sink.env(), CIVIC_MAIL_RETRY_SECONDS="0.2", CIVIC_MAIL_MAX_ATTEMPTS="3"
    )
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    def settled():
        mailing_sweep()
        return _finished(campaign)

    wait_for(settled, timeout=60, interval=0.3, message="the campaign did not finish")
    row = Delivery.objects.get(campaign=campaign)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error.startswith("Gave up: RCPT TO: 421")
    assert smtp_sink.recipients() == []


def test_the_rate_limit_holds_across_two_workers(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    newsletter.subscribe(160)
    RateLimit.objects.create(organisation=newsletter.council, per_second=40)
    for _number in range(2):
        celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="20")
    campaign = newsletter.campaign()
    started = time.monotonic()  # the sink's clock; every slot is reserved after this moment
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    wait_for(lambda: _finished(campaign), timeout=120, message="the campaign did not finish")
    times = sorted(message.at for message in smtp_sink.received)
    assert len(times) == 160
    assert len(set(smtp_sink.recipients())) == 160
    # The limit as a bound that load cannot blur: the workers share slots 1/40 s apart, starting
    # no earlier than the send, and no message leaves before its slot, so the k-th message to
    # arrive cannot arrive before k/40 s after the send, however the two workers interleave.
    # (How close to 40 a second they come on a quiet machine is the mailing bench's business.)
    early = [
        (index, round(started + index / 40 - at, 3))
        for index, at in enumerate(times)
        if at < started + index / 40 - 0.005
    ]
    assert early == [], f"messages sent ahead of the 40/s limit (index, seconds early): {early}"


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of the test's own, to kill and restart without touching anyone else's."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("needs redis-server on the PATH")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--dir", str(tmp_path)]  # fmt: skip

    class Redis:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            wait_for(self._answers, timeout=10, message="the private Redis did not start")

        def _answers(self) -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        def kill(self):
            self.process.kill()
            self.process.wait()

    redis = Redis()
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def test_killed_workers_and_a_restarted_redis_miss_no_one_and_mail_no_one_twice(
    newsletter, celery_workers, each_smtp_sink, private_redis, settings, postgresql_only
):
    """SIGKILL four workers mid-campaign, each at a set step of a message, and restart Redis,
    losing every queued task; beat's sweep wakes workers again and lapsed claims come back.
    Killed while the server waits for the rest of a message, a worker leaves nothing delivered
    and the message goes once, later. Killed after the server has the message but before its 250
    reaches the worker, it leaves a row not marked sent: that message goes again, the one copy
    at-least-once allows per kill, with the same Message-ID so that receivers can drop it."""
    contacts = newsletter.subscribe(400)
    sink = each_smtp_sink
    env = {
        **sink.env(),
        "CELERY_BROKER_URL": private_redis.url,
        "CIVIC_MAIL_CHUNK_SIZE": "20",
        "CIVIC_MAIL_LEASE_SECONDS": "3",
        "CIVIC_MAIL_SWEEP_SECONDS": "1",
    }
    kills = [
        sink.hold("resident30@example.org", "rcpt"),
        sink.hold("resident130@example.org", "data"),
        sink.hold("resident230@example.org", "rcpt"),
        sink.hold("resident330@example.org", "data"),
    ]
    workers = [celery_workers.start(**env) for _number in range(2)]
    celery_workers.beat(**env)
    # The test's own broker is not the workers': beat's sweep wakes them.
    settings.CIVIC_MAIL_PARALLEL_TASKS = 0
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    for number, hold in enumerate(kills):
        victim = _worker_on(workers, hold.wait().client_port)
        victim.kill()
        workers.remove(victim)
        hold.release()
        if number == 1:
            private_redis.kill()
            private_redis.start()
        workers.append(celery_workers.start(**env))

    wait_for(lambda: _finished(campaign), timeout=180, interval=0.5,
             message="the campaign did not finish after the kills")  # fmt: skip
    arrived = Counter(sink.recipients())
    missing = {contact.email for contact in contacts} - set(arrived)
    twice = {address: count for address, count in arrived.items() if count > 1}
    assert not missing, f"never mailed: {sorted(missing)[:10]}"
    assert sum(count - 1 for count in twice.values()) <= len(kills)
    assert twice == {"resident130@example.org": 2, "resident330@example.org": 2}
    for address in twice:
        assert len(set(sink.message_ids(address))) == 1
    assert len(arrived) == 400
    assert Delivery.objects.filter(campaign=campaign, status="sent").count() == 400


def test_a_worker_paused_past_its_lease_completes_nothing_its_successor_sent(
    newsletter, celery_workers, pipelining_smtp_sink, postgresql_only
):
    """SIGSTOP a worker in the middle of a message, for longer than its lease, as a frozen virtual
    machine or heavy swapping would: the other worker takes its rows and sends them; resumed,
    the paused worker finds its claim gone before the end of its message and abandons it."""
    contacts = newsletter.subscribe(60)
    sink = pipelining_smtp_sink
    env = {**sink.env(), "CIVIC_MAIL_CHUNK_SIZE": "10", "CIVIC_MAIL_LEASE_SECONDS": "2"}
    hold = sink.hold("resident5@example.org", "rcpt")
    workers = [celery_workers.start(**env) for _number in range(2)]
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    paused = _worker_on(workers, hold.wait().client_port)
    paused.process.send_signal(signal.SIGSTOP)
    hold.release()  # the server's answers wait in the paused worker's socket
    try:

        def taken_over():
            mailing_sweep()  # what beat does every few seconds
            return _finished(campaign)

        wait_for(taken_over, timeout=60, interval=0.5,
                 message="the other worker did not take over the paused one's rows")  # fmt: skip
        assert sink.recipients().count("resident5@example.org") == 1
        tasks_done = _succeeded(paused)
    finally:
        paused.process.send_signal(signal.SIGCONT)

    wait_for(lambda: _succeeded(paused) > tasks_done, timeout=60,
             message="the resumed worker did not end its task")  # fmt: skip
    assert Counter(sink.recipients()) == Counter({contact.email: 1 for contact in contacts})
    assert Delivery.objects.filter(campaign=campaign, status="sent").count() == 60
    assert "Lost the claim on delivery" in paused.log()


def _default_recovery_settings() -> tuple[float, float]:
    """The lease and the sweep's interval as settings.py gives them with nothing set."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"CIVIC_MAIL_LEASE_SECONDS", "CIVIC_MAIL_SWEEP_SECONDS"}}  # fmt: skip
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CIVIC_MAIL_LEASE_SECONDS, s.CELERY_BEAT_SCHEDULE['mailing-sweep']['schedule'])"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "civic.settings", "CIVIC_TESTING": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    lease, sweep = answer.stdout.split()
    return float(lease), float(sweep)


def test_a_killed_workers_share_resumes_within_its_lease_and_one_sweep(
    newsletter, celery_workers, pipelining_smtp_sink, postgresql_only
):
    """By default a killed worker's rows are sent again within 30 s: they wait out the lease
    (nothing can tell a dead worker from a slow one sooner), then the next sweep gives them to
    a worker. Each half is shown without timing it: while the lease runs, a sweep leaves the
    rows to their worker and nobody else takes them; once the lease has lapsed (on the
    database's clock, moved on here rather than waited for), one sweep is enough for another
    worker to finish the campaign, with each resident sent one message."""
    lease, sweep = _default_recovery_settings()
    assert lease + sweep <= 30
    sink = pipelining_smtp_sink
    env = {
        **sink.env(),
        "CIVIC_MAIL_CHUNK_SIZE": "40",  # one chunk: the whole campaign is the first worker's
        "CIVIC_MAIL_LEASE_SECONDS": "600",  # no lease lapses by itself during the test
    }
    newsletter.subscribe(40)
    hold = sink.hold("resident10@example.org", "rcpt")
    first = celery_workers.start(**env)
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    hold.wait()
    celery_workers.start(**env)  # a fresh worker, as the process supervisor starts one
    first.kill()
    hold.release()
    sent_before = len(sink.recipients())

    rows = Delivery.objects.filter(campaign=campaign)
    held = rows.filter(status=Delivery.Status.SENDING)
    tokens = set(held.values_list("claimed_by", flat=True))
    assert held.count() == 40 - sent_before and len(tokens) == 1
    assert mailing_sweep()["woken"] == 0  # the lease runs: the rows are still the first's
    assert set(held.values_list("claimed_by", flat=True)) == tokens
    assert rows.filter(status=Delivery.Status.SENDING).count() == 40 - sent_before

    held.update(lease_until=Now() - timedelta(seconds=1))  # the lease lapses
    assert mailing_sweep()["woken"] == 1
    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign did not finish")
    assert Counter(sink.recipients()) == Counter(
        f"resident{number}@example.org" for number in range(40)
    )


def test_the_beat_schedule_names_the_mailing_sweep():
    from django.conf import settings

    from mailing.tasks import mailing_sweep_task

    assert mailing_sweep_task.name in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_pause_stops_sending_and_resume_finishes_without_repeating_anyone(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    """The officer pauses while the worker is in its third chunk of ten: it finishes that chunk
    and sends no more. (The pause lands at a set step, with the sink holding a recipient, not
    whenever twenty messages happen to have arrived.)"""
    contacts = newsletter.subscribe(200)
    hold = smtp_sink.hold("resident25@example.org", "rcpt")
    worker = celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="10")
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    hold.wait()

    campaign_pause(campaign=campaign, actor=newsletter.facilitator)
    hold.release()
    rows = Delivery.objects.filter(campaign=campaign)
    # Once no row is being sent and every task the worker took has ended, nothing more can go:
    # a task that starts later finds the campaign paused. (Not a second of waiting and hoping.)
    wait_for(lambda: not rows.filter(status="sending").exists() and _tasks_ended(worker),
             timeout=60, message="the worker did not stop after its chunk")  # fmt: skip
    assert len(smtp_sink.recipients()) == 30
    assert rows.filter(status="sent").count() == 30

    campaign_resume(campaign=campaign, actor=newsletter.facilitator)
    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign did not finish")
    assert Counter(smtp_sink.recipients()) == Counter({contact.email: 1 for contact in contacts})


def test_cancel_stops_for_good_and_counts_who_was_mailed(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    newsletter.subscribe(200)
    smtp_sink.delay = 0.01
    worker = celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="10")
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    wait_for(lambda: len(smtp_sink.recipients()) >= 20, timeout=30, message="nothing was sent")

    campaign_cancel(campaign=campaign, actor=newsletter.facilitator)
    rows = Delivery.objects.filter(campaign=campaign)
    wait_for(lambda: not rows.filter(status__in=["sending", "queued"]).exists()
             and _tasks_ended(worker), timeout=60,
             message="rows were left queued after cancelling")  # fmt: skip
    figures = rows.figures()
    assert figures["sent"] == len(smtp_sink.recipients()) < 200
    assert figures["sent"] + figures["skipped"] == 200
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED


def test_a_task_out_of_time_hands_the_rest_of_the_campaign_to_a_fresh_task(
    newsletter, celery_workers, pipelining_smtp_sink, settings, postgresql_only
):
    """One task queued, one worker, no beat: only the task that ran out of time can keep the
    campaign going."""
    contacts = newsletter.subscribe(120)
    pipelining_smtp_sink.delay = 0.02  # about 2.5 s of sending: more than two tasks' time
    worker = celery_workers.start(
        **pipelining_smtp_sink.env(), CIVIC_MAIL_TASK_SECONDS="1", CIVIC_MAIL_CHUNK_SIZE="5"
    )
    settings.CIVIC_MAIL_PARALLEL_TASKS = 1
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign stalled")
    assert Counter(pipelining_smtp_sink.recipients()) == Counter(
        {contact.email: 1 for contact in contacts}
    )
    tasks = re.findall(r"campaign_send_task\[[^\]]+\] succeeded", worker.log())
    assert len(tasks) >= 3


def _send(rows, *, token, campaign, transport) -> int:
    build = CampaignContext.load(campaign).outgoing
    return send_rows(rows, token=token, transport=transport, build=build, limiter=RateLimiter(None))


def _take_lapsed_rows(token: str) -> int:
    """What another worker's claim does, on a connection of its own."""
    with psycopg.connect(_database_url(), autocommit=True) as other:
        return other.execute(
            "UPDATE mailing_delivery SET claimed_by = %s, "
            "lease_until = now() + interval '1 minute' "
            "WHERE status = 'sending' AND lease_until < now()",
            [token],
        ).rowcount


def test_a_row_another_worker_took_is_abandoned_before_its_end_of_data_and_the_rest_go(
    newsletter, pipelining_smtp_sink, postgresql_only
):
    newsletter.subscribe(3)
    campaign = newsletter.campaign()
    audience_freeze(campaign)
    rows = claim(token="ours", size=3, campaign_id=campaign.pk)
    Delivery.objects.filter(pk=rows[0].pk).update(claimed_by="another worker")
    transport = SmtpTransport(host="127.0.0.1", port=pipelining_smtp_sink.port, timeout=5)

    sent = _send(rows, token="ours", campaign=campaign, transport=transport)

    assert sent == 2
    assert pipelining_smtp_sink.recipients() == ["resident1@example.org", "resident2@example.org"]
    statuses = dict(Delivery.objects.filter(campaign=campaign).values_list("pk", "status"))
    assert statuses == {rows[0].pk: "sending", rows[1].pk: "sent", rows[2].pk: "sent"}
    assert Delivery.objects.get(pk=rows[0].pk).claimed_by == "another worker"


def test_a_worker_paused_in_a_message_past_its_lease_abandons_it_to_the_worker_that_took_it(
    newsletter, pipelining_smtp_sink, settings, postgresql_only
):
    """The fence's answer came before the pause: too old to trust, it is asked again."""
    settings.CIVIC_MAIL_LEASE_SECONDS = 1
    newsletter.subscribe(2)
    campaign = newsletter.campaign()
    audience_freeze(campaign)
    rows = claim(token="ours", size=2, campaign_id=campaign.pk)
    taken: list[int] = []

    class PausedBeforeTheEndOfData(SmtpTransport):
        def send(self, message, confirm):
            def paused_then_confirm():
                time.sleep(1.5)  # stopped past the lease, the message's data all written
                taken.append(_take_lapsed_rows("theirs"))
                confirm()

            return super().send(message, paused_then_confirm)

    transport = PausedBeforeTheEndOfData(host="127.0.0.1", port=pipelining_smtp_sink.port,
                                         timeout=5)  # fmt: skip
    sent = _send(rows, token="ours", campaign=campaign, transport=transport)

    assert (sent, taken) == (0, [2])
    pipelining_smtp_sink.wait_closed()
    assert pipelining_smtp_sink.received == []
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", "claimed_by")) == {
        ("sending", "theirs")
    }


def test_a_worker_killed_between_its_fence_and_its_end_of_data_loses_no_one(
    newsletter, pipelining_smtp_sink, postgresql_only
):
    """Until the server has said 250 the message is the sender's: the row stays claimed, and goes
    again once the lease lapses. (The row used to be marked sent just before the end-of-data
    line, so a kill between the two writes lost the message for good.)"""
    newsletter.subscribe(1)
    campaign = newsletter.campaign()
    audience_freeze(campaign)
    rows = claim(token="ours", size=1, campaign_id=campaign.pk)

    class Killed(BaseException):
        """The process ends here, with no chance to clean up."""

    class KilledBeforeTheEndOfData(SmtpTransport):
        def send(self, message, confirm):
            def confirm_then_die():
                confirm()
                raise Killed

            return super().send(message, confirm_then_die)

    transport = KilledBeforeTheEndOfData(host="127.0.0.1", port=pipelining_smtp_sink.port,
                                         timeout=5)  # fmt: skip
    with pytest.raises(Killed):
        _send(rows, token="ours", campaign=campaign, transport=transport)
    connection.close()  # as the process's end would

    pipelining_smtp_sink.wait_closed()
    assert pipelining_smtp_sink.received == []
    row = Delivery.objects.get(pk=rows[0].pk)
    assert (row.status, row.claimed_by, row.sent_at) == ("sending", "ours", None)
    assert Delivery.objects.filter(claimable_q(timezone.now() + timedelta(minutes=1))).count() == 1
