"""The engine against real workers and a real SMTP server: everyone once, in parallel, retries,
refusals and the rate limit."""

from __future__ import annotations

import random
import re
import shutil
import socket
import subprocess
import time
from collections import Counter

import pytest

from mailing.engine import CampaignContext, RateLimiter, claim, send_rows
from mailing.models import Campaign, Delivery, RateLimit
from mailing.services import (
    audience_freeze,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_send_now,
    mailing_sweep,
)
from mailing.transports import Outcome
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status == Campaign.Status.SENT


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
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign did not finish")
    times = sorted(message.at for message in smtp_sink.received)
    assert len(times) == 160
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 38 <= rate <= 42, f"{rate:.1f} messages a second against a limit of 40"


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
    """SIGKILL workers at random moments mid-campaign and restart Redis, losing every queued task;
    beat's sweep wakes workers again, lapsed claims come back, and the sink counts one message per
    recipient."""
    contacts = newsletter.subscribe(400)
    each_smtp_sink.delay = 0.002  # a little latency, as a real server has
    env = {
        **each_smtp_sink.env(),
        "CELERY_BROKER_URL": private_redis.url,
        "CIVIC_MAIL_CHUNK_SIZE": "20",
        "CIVIC_MAIL_LEASE_SECONDS": "3",
        "CIVIC_MAIL_SWEEP_SECONDS": "1",
    }
    workers = [celery_workers.start(**env) for _number in range(2)]
    celery_workers.beat(**env)
    # The test's own broker is not the workers': beat's sweep wakes them.
    settings.CIVIC_MAIL_PARALLEL_TASKS = 0
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)

    chance = random.Random()  # the moment of each kill
    wait_for(lambda: each_smtp_sink.recipients(), timeout=30, message="sending did not start")
    for round_number in range(4):
        time.sleep(chance.uniform(0.05, 0.6))
        victim = workers.pop(chance.randrange(len(workers)))
        victim.kill()
        if round_number == 1:
            private_redis.kill()
            time.sleep(0.5)
            private_redis.start()
        workers.append(celery_workers.start(**env))

    wait_for(lambda: _finished(campaign), timeout=180, interval=0.5,
             message="the campaign did not finish after the kills")  # fmt: skip
    arrived = Counter(each_smtp_sink.recipients())
    missing = {contact.email for contact in contacts} - set(arrived)
    twice = {address: count for address, count in arrived.items() if count > 1}
    assert not missing, f"never mailed: {sorted(missing)[:10]}"
    assert not twice, f"mailed more than once: {twice}"
    assert len(arrived) == 400
    assert Delivery.objects.filter(campaign=campaign, status="sent").count() == 400


def test_the_beat_schedule_names_the_mailing_sweep():
    from django.conf import settings

    from mailing.tasks import mailing_sweep_task

    assert mailing_sweep_task.name in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_pause_stops_sending_and_resume_finishes_without_repeating_anyone(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    contacts = newsletter.subscribe(200)
    smtp_sink.delay = 0.01
    celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="10")
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    wait_for(lambda: len(smtp_sink.recipients()) >= 20, timeout=30, message="nothing was sent")

    campaign_pause(campaign=campaign, actor=newsletter.facilitator)
    rows = Delivery.objects.filter(campaign=campaign)
    wait_for(lambda: not rows.filter(status="sending").exists(), timeout=30,
             message="the worker did not stop after its chunk")  # fmt: skip
    paused_at = len(smtp_sink.recipients())
    time.sleep(1)
    assert len(smtp_sink.recipients()) == paused_at < 200
    assert rows.filter(status="sent").count() == paused_at

    campaign_resume(campaign=campaign, actor=newsletter.facilitator)
    wait_for(lambda: _finished(campaign), timeout=60, message="the campaign did not finish")
    assert Counter(smtp_sink.recipients()) == Counter({contact.email: 1 for contact in contacts})


def test_cancel_stops_for_good_and_counts_who_was_mailed(
    newsletter, celery_workers, smtp_sink, postgresql_only
):
    newsletter.subscribe(200)
    smtp_sink.delay = 0.01
    celery_workers.start(**smtp_sink.env(), CIVIC_MAIL_CHUNK_SIZE="10")
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    wait_for(lambda: len(smtp_sink.recipients()) >= 20, timeout=30, message="nothing was sent")

    campaign_cancel(campaign=campaign, actor=newsletter.facilitator)
    rows = Delivery.objects.filter(campaign=campaign)
    wait_for(lambda: not rows.filter(status__in=["sending", "queued"]).exists(), timeout=30,
             message="rows were left queued after cancelling")  # fmt: skip
    time.sleep(0.5)
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


def test_a_lost_claim_stops_the_chunk_at_the_next_commit_point_and_marks_nothing_more(
    newsletter, postgresql_only
):
    """The answer to a row's UPDATE is read at the next row's commit point: a row another worker
    took stops the chunk there, before that next message is complete."""
    newsletter.subscribe(3)
    campaign = newsletter.campaign()
    audience_freeze(campaign)
    rows = claim(token="ours", size=3, campaign_id=campaign.pk)
    Delivery.objects.filter(pk=rows[0].pk).update(claimed_by="another worker")

    class Transport:
        def __init__(self):
            self.completed: list[int] = []

        def send(self, message, commit):
            commit()  # may raise: the message is then never completed
            self.completed.append(message.delivery_id)
            return Outcome(sent=True, esp_message_id=message.message_id)

        def close(self):
            pass

    transport = Transport()
    context = CampaignContext.load(campaign)
    send_rows(rows, token="ours", transport=transport, build=context.outgoing,
              limiter=RateLimiter(None))  # fmt: skip

    assert transport.completed == [rows[0].pk]
    statuses = dict(Delivery.objects.filter(campaign=campaign).values_list("pk", "status"))
    assert statuses == {rows[0].pk: "sending", rows[1].pk: "sending", rows[2].pk: "sending"}
    assert Delivery.objects.filter(claimed_by="ours").count() == 2  # for release() to give back
