"""Background work of contact imports: the task takes the import's id and calls the service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from contacts.services import imports

__all__ = ["contact_import_task"]


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3300
)
def contact_import_task(self, contact_import_id: int) -> None:
    """Idempotent: a finished import is left alone, and a rerun resumes at the last batch
    committed, so a killed worker's redelivered message or a requeue after the time limit
    continues the import without duplicating anyone."""
    try:
        imports.contact_import_run(contact_import_id=contact_import_id)
    except SoftTimeLimitExceeded as error:
        if self.request.retries >= 5:
            imports.contact_import_fail(contact_import_id=contact_import_id)
            raise
        raise self.retry(exc=error, countdown=5, max_retries=5) from error
