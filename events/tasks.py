"""Background work for events. Each task calls a service and is safe to run twice."""

from celery import shared_task

from events.services.waiting import offers_expire


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def offers_expire_task() -> int:
    """Beat's sweep: offers of a place past their time end, and the places pass on."""
    return offers_expire()
