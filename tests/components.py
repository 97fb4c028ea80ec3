"""Which real components this run uses, said at the top of every test run."""

from django.conf import settings


def database_label() -> str:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return "PostgreSQL" if engine == "postgresql" else "SQLite (embedded default)"


def cache_label() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    return "Redis" if "redis" in backend.lower() else "local memory (embedded default)"


def broker_label() -> str:
    url = settings.CELERY_BROKER_URL
    return "Redis" if url.startswith("redis") else f"embedded ({url.split(':', 1)[0]})"


def describe_components() -> str:
    return (
        f"civic components: database={database_label()}, cache={cache_label()}, "
        f"broker={broker_label()}"
    )
