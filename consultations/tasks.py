"""Background work for consultations. Each task takes ids and calls a service; each is safe to
run twice."""

from celery import shared_task

from consultations.services import exports, responding
from consultations.services.results import results_recount


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def results_recount_task(consultation_id: int) -> int | None:
    return results_recount(consultation_id=consultation_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def response_export_task(export_id: int) -> int | None:
    export = exports.export_write(export_id=export_id)
    return export.rows if export else None


@shared_task
def exports_sweep_task() -> dict[str, int]:
    return exports.exports_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def drafts_remove_task() -> int:
    return responding.drafts_remove()
