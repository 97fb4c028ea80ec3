"""Background work of the platform core. Tasks take ids and call a service."""

from celery import shared_task

from civic import services


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=1800, soft_time_limit=1700)
def postcode_import_task(postcode_import_id: int) -> None:
    """Idempotent: a finished import is skipped, and loading a postcode twice adds nothing."""
    services.postcode_import_run(postcode_import_id=postcode_import_id)


@shared_task(time_limit=10, soft_time_limit=8)
def ping() -> str:
    """Answers the health check's round trip through the broker."""
    return "pong"
