"""Background work for participatory budgets. Each task takes ids and calls a service; each is
safe to run twice."""

from celery import shared_task

from budgets.results import results_sweep


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=1800, soft_time_limit=1700)
def results_sweep_task() -> int:
    """Work out the results of every process whose voting has closed (beat, every few minutes).
    Two at once, or one after a worker died, count each budget once (budgets.results)."""
    return results_sweep()
