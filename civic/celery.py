"""The Celery app: Redis in production, the embedded SQLite broker for `make run`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")

app = Celery("civic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
