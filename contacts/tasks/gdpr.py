"""Background work for data requests and retention. Each task takes ids and calls a service."""

from smtplib import SMTPException

from celery import shared_task

from contacts.services import gdpr

__all__ = ["contacts_retention_task", "data_exports_expire_task", "data_request_process_task"]


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=6,
    time_limit=600,
    soft_time_limit=540,
)
def data_request_process_task(data_request_id: int) -> None:
    """Idempotent: a ready download is not rebuilt (only its e-mail is sent again, which is what
    a retry after a mail server's error needs) and a finished erasure is left alone."""
    gdpr.data_request_process(data_request_id=data_request_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def contacts_retention_task() -> None:
    """Idempotent: an anonymised contact is never selected again."""
    gdpr.contacts_retention_run()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def data_exports_expire_task() -> None:
    gdpr.data_exports_expire()
