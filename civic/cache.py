"""Django's Redis cache, keeping one client per connection pool instead of building one for
every call.

Django's RedisCacheClient makes a new `redis.Redis` for each cache operation, and redis-py's
constructor fills a table of a few hundred response callbacks each time: about a tenth of a
millisecond, which on a petition's signing path (three cache calls) cost more than the Redis
round trips themselves. A `redis.Redis` is safe to share between threads (each command borrows a
connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
