"""Abuse protection for the forms anyone may post without an account (survey responses,
petition signatures): fixed-window rate limits in the shared cache, and the signed moment a form
was drawn, so that a form posted sooner than a person could fill it is known. The client's
address is hashed with the secret key, so the cache never holds who visited; a window's count
lives a little longer than the window.

    allowed = hit("petitions:sign", client_ip(request), limit=5, period=60)
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth reads it, honouring TRUSTED_PROXY_COUNT."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return request.META.get("REMOTE_ADDR")


def parse_rate(text: str, *, setting: str = "rate") -> tuple[int, int]:
    """'20/h' as (20, 3600); '5/10m' as (5, 600). Raises ValueError naming the setting."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", str(text))
    if not match:
        raise ValueError(f"{setting} should look like '20/h' or '5/10m', not {text!r}")
    count, multiplier, unit = match.groups()
    return int(count), _UNITS[unit] * int(multiplier or 1)


def hit(scope: str, who: str | None, *, limit: int, period: int) -> bool:
    """Count one attempt by `who` in `scope`; False once more than `limit` were made in the
    current window of `period` seconds. Nobody to count (no address) is always allowed."""
    return hits(who, [(scope, limit, period)])


def window_clock() -> float:
    """The moment whose windows an attempt counts in: the real clock. (The tests hold it still,
    so that attempts a test makes one after another never straddle the edge of a window.)"""
    return time.time()


def hits(who: str | None, windows: list[tuple[str, int, int]]) -> bool:
    """Count one attempt by `who` in each (scope, limit, period) window, every window counting
    it even when another refuses; False if any is over its limit. On Redis this is one command
    (a small Lua script: INCR each window, and give a new one its expiry), so that a form
    checked against a short burst and a long window costs one round trip."""
    if not who:
        return True
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{who}".encode()).hexdigest()[:24]
    now = window_clock()
    counted = [
        (f"ratelimit:{scope}:{period}:{digest}:{int(now // period)}", limit, period)
        for scope, limit, period in windows
    ]
    client = _redis_client()
    if client is not None:
        counts = _incr_script(client)(
            keys=[cache.make_and_validate_key(key) for key, _limit, _period in counted],
            args=[period + 60 for _key, _limit, period in counted],
        )
    else:
        counts = [_count(key, period) for key, _limit, period in counted]
    limits = [limit for _key, limit, _period in counted]
    return all(count <= limit for count, limit in zip(counts, limits, strict=True))


# INCR each key; a key just made (count 1) gets its expiry in seconds.
_INCR_LUA = """
local counts = {}
for index, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[index]) end
  counts[index] = count
end
return counts
"""
_scripts: dict[int, object] = {}


def _incr_script(client):
    """The counting script registered with this client (EVALSHA, loaded again if Redis lost it)."""
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_INCR_LUA)
    return script


def _redis_client():
    """The shared cache's Redis client, or None where the cache is not Redis (make run)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def _count(key: str, period: int) -> int:
    cache.add(key, 0, timeout=period + 60)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 60)
        return 1


def in_networks(ip: str | None, networks: list[str]) -> bool:
    """Whether the address lies in one of the networks ('192.0.2.0/24', '2001:db8::/32')."""
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


# A form left open for a day is simply drawn again.
FORM_TOKEN_MAX_AGE = 60 * 60 * 24


def form_token(salt: str, *, now: float | None = None) -> str:
    """The signed moment a form was drawn, for the form to carry back."""
    return signing.dumps(int(now if now is not None else time.time()), salt=salt)


def form_drawn_at(token: str, salt: str) -> datetime | None:
    """When the form carrying `token` was drawn, or None for a token forged, stale or absent."""
    try:
        moment = signing.loads(token or "", salt=salt, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return datetime.fromtimestamp(moment, tz=UTC) if isinstance(moment, int) else None
