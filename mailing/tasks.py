"""Thin tasks over mailing.engine. Each is safe to run twice, or several at once: rows are claimed
with SKIP LOCKED, so a duplicate task finds nothing left to do."""

from __future__ import annotations

from celery import shared_task

from mailing import engine
from mailing.services import mailing_sweep
from mailing.services.notices import consenters_notify


@shared_task(acks_late=True, reject_on_worker_lost=True)
def campaign_send_task(campaign_id: int) -> int:
    return engine.campaign_send_chunks(campaign_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def transactional_send_task(delivery_id: int | None) -> int:
    return engine.transactional_send(delivery_id=delivery_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def consenters_notify_task(
    purpose_id: int, subject: str, text: str, also=(), leaving_out=()
) -> int:
    return consenters_notify(
        purpose_id=purpose_id, subject=subject, text=text, also=also, leaving_out=leaving_out
    )


@shared_task
def mailing_sweep_task() -> dict[str, int]:
    return mailing_sweep()
