"""Events' background work: thin tasks that call a service."""

from celery import shared_task

from events.services.reminders import reminders_send


@shared_task(time_limit=600, soft_time_limit=540)
def event_reminders_task() -> int:
    """Beat's sweep: every reminder due (CIVIC_EVENT_REMINDERS), each sent once per booking."""
    return reminders_send()
