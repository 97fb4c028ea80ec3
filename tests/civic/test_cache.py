"""The shared Redis cache keeps one client per connection pool, and works from many threads."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache


@pytest.fixture
def redis_cache(settings):
    if settings.CACHES["default"]["BACKEND"] != "civic.cache.RedisCache":
        pytest.skip("needs Redis: set REDIS_URL=redis://… (CI does)")
    return cache


def test_every_call_uses_the_same_client(redis_cache):
    client = redis_cache._cache
    assert client.get_client() is client.get_client(write=True)


def test_threads_sharing_the_client_each_read_their_own_values(redis_cache):
    failures = []

    def work(number: int) -> None:
        for round_number in range(50):
            key = f"cache-test:{number}:{round_number}"
            redis_cache.set(key, (number, round_number), 30)
            if redis_cache.get(key) != (number, round_number):
                failures.append(key)
            redis_cache.delete(key)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert redis_cache.add("cache-test:once", 1, 30) and not redis_cache.add(
        "cache-test:once", 2, 30
    )
