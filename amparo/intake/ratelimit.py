"""Rate limits without addresses: fixed-window counters in Django's cache.

A counter is keyed by the limit's name, a bucket ("global", or a form's nonce for per-form
limits) and the number of the current window. The counters live in the cache, which is process
memory unless a deployment configures a shared in-memory cache (Memcached, Redis); use no
database or file cache for it, because a stored counter would date the last report. With the
default per-process cache each server process enforces the limits on its own, so the effective
global limit is the configured one times the number of processes.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from amparo.intake import conf

GLOBAL = "global"
_PREFIX = "amparo:intake:rate:"


def _key(limit: conf.Limit, bucket: str) -> str:
    return f"{_PREFIX}{limit.name}:{bucket}:{int(time.time() // limit.seconds)}"


def exceeded(name: str, bucket: str = GLOBAL) -> bool:
    """Whether the limit is already used up in this window (without counting a request)."""
    limit = conf.limit(name)
    return int(cache.get(_key(limit, bucket), 0)) >= limit.count


def take(name: str, bucket: str = GLOBAL) -> bool:
    """Count one request; False if it goes over the limit (it is counted all the same)."""
    limit = conf.limit(name)
    key = _key(limit, bucket)
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 1)
        count = 1
    return count <= limit.count


def take_all(names: list[str], bucket: str = GLOBAL) -> bool:
    """Count the request against each limit; False if any of them is exceeded."""
    results = [take(name, bucket) for name in names]
    return all(results)
