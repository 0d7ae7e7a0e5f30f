"""Counting requests against a limit in the shared cache (web/cache.py): one counter per key and
window, made atomically (add, then incr), so every process serving counts together."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def hit(key: str, *, window: int) -> int:
    """Count one request under `key`; how many there were in this window (1 for the first). A
    window starts with its first count and lasts `window` seconds."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def key_for(scope: str, value: str) -> str:
    """A cache key naming `value` (an address, a client's address) without storing it."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"paydesk:{scope}:{digest}"
