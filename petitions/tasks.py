"""Background work for petitions. Each task takes ids and calls a service; each is safe to run
twice."""

from celery import shared_task

from petitions.services import counting, signatures_anonymise, signatures_record, signers_notify
from petitions.services.signing import confirmations_send, unconfirmed_remove


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def confirmations_send_task(petition_id: int | None = None) -> int:
    """The confirmation e-mails of new signatures (of one petition, or of all for the sweep)."""
    return confirmations_send(petition_id=petition_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def petition_count_task(petition_id: int) -> int | None:
    total = counting.petition_count(petition_id=petition_id)
    # Confirmed signers who asked to hear become contacts, in batches, off the signing path.
    signatures_record(petition_id=petition_id, limit=2000)
    return total


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=1800, soft_time_limit=1700)
def petitions_recount_task() -> dict[str, int]:
    return counting.petitions_recount()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def petition_notify_task(petition_id: int, template: str) -> int:
    return signers_notify(petition_id=petition_id, template=template)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def petitions_housekeeping_task() -> dict[str, int]:
    """Nightly: unconfirmed signatures past their link's life go; old ones are anonymised; any
    consent not yet recorded is."""
    return {
        "unconfirmed_removed": unconfirmed_remove(),
        "anonymised": signatures_anonymise(),
        "recorded": signatures_record(),
    }
