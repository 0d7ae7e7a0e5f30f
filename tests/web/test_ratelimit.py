"""web/ratelimit.py: the counters every rate limit uses, on Redis (one Lua script per call) and on
a cache counting key by key — the same answers from both, and from Redis the same plain integers
Django's cache reads. The API throttle's sliding window on Redis: at most N requests in any
period, refused requests not counted, shared by every client of the server.

Redis: PAYDESK_TEST_REDIS_URL (database 5 unless set), flushed before and after; skipped without
one (failed under CI=true).
"""

from __future__ import annotations

from django.core.cache import cache
from django.test import override_settings

from paydesk.web.ratelimit import give_back, hit, hit_many, sliding_window
from tests.conftest import REDIS_URL

MEMORY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_hit_many_counts_each_key_and_give_back_takes_one_back(any_cache):
    keys = ["paydesk:test:a", "paydesk:test:b", "paydesk:test:c"]
    assert hit_many(keys, window=60) == [1, 1, 1]
    assert hit_many(keys[:2], window=60) == [2, 2]
    assert hit("paydesk:test:a", window=60) == 3
    # The counters are what Django's cache itself reads.
    assert [cache.get(key) for key in keys] == [3, 2, 1]
    give_back(keys)
    assert [cache.get(key) for key in keys] == [2, 1, 0]


def test_give_back_leaves_a_counter_whose_window_ended_alone(any_cache):
    hit_many(["paydesk:test:live"], window=60)
    give_back(["paydesk:test:gone", "paydesk:test:live"])
    assert cache.get("paydesk:test:gone") is None  # not recreated at -1
    assert cache.get("paydesk:test:live") == 0


def test_on_redis_a_window_starts_with_its_first_count_and_is_not_extended(redis_cache):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    hit_many(["paydesk:test:w"], window=300)
    full = cache.make_and_validate_key("paydesk:test:w")
    client.expire(full, 100)  # as if 200 s of the window had passed
    assert hit_many(["paydesk:test:w"], window=300) == [2]
    assert 0 < client.ttl(full) <= 100


def test_sliding_window_allows_the_limit_then_refuses_without_counting(redis_cache):
    answers = [sliding_window("paydesk:test:caller", limit=3, duration=60) for _ in range(5)]
    assert [allowed for allowed, _count, _left in answers] == [True, True, True, False, False]
    assert [count for _allowed, count, _left in answers] == [1, 2, 3, 3, 3]
    _allowed, _count, left = answers[-1]
    assert 0 < left <= 60  # until the oldest request leaves the window
    # Another caller has a window of its own.
    assert sliding_window("paydesk:test:other", limit=3, duration=60)[0] is True


def test_sliding_window_frees_a_place_when_the_oldest_request_leaves(redis_cache):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for _ in range(2):
        assert sliding_window("paydesk:test:slide", limit=2, duration=60)[0]
    assert not sliding_window("paydesk:test:slide", limit=2, duration=60)[0]
    full = cache.make_and_validate_key("paydesk:test:slide:times")
    oldest = client.zrange(full, 0, 0)[0]
    client.zadd(full, {oldest: 0})  # the oldest request made at the epoch: out of the window
    assert sliding_window("paydesk:test:slide", limit=2, duration=60)[:2] == (True, 2)


def test_sliding_window_is_none_without_redis():
    with override_settings(CACHES=MEMORY_CACHE):
        assert sliding_window("paydesk:test:none", limit=1, duration=60) is None
