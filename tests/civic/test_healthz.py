import pytest
from django.test import override_settings

from tests.components import broker_label, cache_label


@pytest.mark.django_db
def test_healthz_answers_200_when_database_cache_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_it_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "failing"}


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_cache_when_it_does_not_answer(client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable):
        from django.core.cache import caches

        caches._settings = caches.settings = unreachable
        try:
            response = client.get("/healthz")
        finally:
            del caches._settings
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing"


def test_the_run_says_which_components_it_uses():
    assert cache_label() in {"Redis", "local memory (embedded default)"}
    assert broker_label().startswith(("Redis", "embedded"))
