"""Events' background work: thin tasks that call a service, each safe to run twice."""

from celery import shared_task

from events.services.reminders import reminders_send
from events.services.waiting import offers_expire


@shared_task(time_limit=600, soft_time_limit=540)
def event_reminders_task() -> int:
    """Beat's sweep: every reminder due (CIVIC_EVENT_REMINDERS), each sent once per booking."""
    return reminders_send()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def offers_expire_task() -> int:
    """Beat's sweep: offers of a place past their time end, and the places pass on."""
    return offers_expire()
