"""Counting requests against a limit in the shared cache (web/cache.py): one counter per key and
window, made atomically, so every process serving counts together.

With Redis each call below is one round trip whatever the number of keys: a Lua script (atomic
on the server, so no other process's count falls between its steps) instead of Django's `add`,
then `incr` (itself EXISTS + INCRBY), per key. The counters are the same plain integers Django's
cache writes and reads (`cache.get(key)` sees them). Any other cache counts key by key with
`add`/`incr`/`decr`, which web/cache.py's database cache makes atomic.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError

# Count one under each key; a counter's window starts with its first count (EXPIRE only then).
_HIT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  counts[i] = count
end
return counts
"""

# Give one back under each key still counting (a counter whose window ended stays gone).
_GIVE_BACK = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
return 0
"""

# A sliding window of `limit` requests per `duration` seconds, the request times kept in a
# sorted set (the server's clock, one for every app server): what django-ninja's throttle keeps
# as a pickled list read and written back by each request, here in one atomic step. Returns
# {allowed, requests in the window, seconds until the oldest leaves it}.
_SLIDING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local duration = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local left = duration
  if oldest[2] then left = duration - (now - tonumber(oldest[2])) end
  return {0, count, tostring(left)}
end
redis.call('ZADD', KEYS[1], now, t[1] .. '.' .. t[2] .. ':' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(duration))
return {1, count + 1, tostring(duration)}
"""

_SHA = {
    script: hashlib.sha1(script.encode()).hexdigest() for script in (_HIT, _GIVE_BACK, _SLIDING)
}


def _redis() -> Any | None:
    """The shared cache's write client when the cache is Redis (one per pool: web/cache.py)."""
    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)  # type: ignore[attr-defined]  # (private: no stub)


def _run(client: Any, script: str, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
    """Run `script` by its digest (EVALSHA); sent whole (EVAL, which also caches it) the first
    time a Redis server has not seen it."""
    full = [cache.make_and_validate_key(key) for key in keys]
    try:
        return client.evalsha(_SHA[script], len(full), *full, *args)
    except NoScriptError:
        return client.eval(script, len(full), *full, *args)


def hit(key: str, *, window: int) -> int:
    """Count one request under `key`; how many there were in this window (1 for the first). A
    window starts with its first count and lasts `window` seconds."""
    return hit_many([key], window=window)[0]


def hit_many(keys: Sequence[str], *, window: int) -> list[int]:
    """`hit` for each key, in order: one round trip with Redis."""
    client = _redis()
    if client is not None:
        return [int(count) for count in _run(client, _HIT, keys, [window])]
    return [_hit_one(key, window) for key in keys]


def _hit_one(key: str, window: int) -> int:
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def give_back(keys: Sequence[str]) -> None:
    """Take one count back from each key whose window has not ended (one round trip with
    Redis): a request counted before it ran that turned out not to count."""
    client = _redis()
    if client is not None:
        _run(client, _GIVE_BACK, keys)
        return
    for key in keys:
        try:
            cache.decr(key)
        except ValueError:  # the window ended meanwhile: nothing to give back
            pass


def sliding_window(key: str, *, limit: int, duration: int) -> tuple[bool, int, float] | None:
    """Count a request in a sliding window of `duration` seconds holding at most `limit`
    (refused requests are not counted): (allowed, requests in the window, seconds until a place
    frees up) — one round trip. None when the cache is not Redis (the caller keeps its own)."""
    client = _redis()
    if client is None:
        return None
    # Its own key (a sorted set): never a value django-ninja's list throttle wrote under `key`.
    allowed, count, left = _run(
        client, _SLIDING, [f"{key}:times"], [duration, limit, secrets.token_hex(8)]
    )
    return bool(allowed), int(count), float(left)


def key_for(scope: str, value: str) -> str:
    """A cache key naming `value` (an address, a client's address) without storing it."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"paydesk:{scope}:{digest}"
