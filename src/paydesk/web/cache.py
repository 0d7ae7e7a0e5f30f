"""The shared cache that rate limits count in (vouchers, the API, password reset): Redis when
REDIS_URL is set, otherwise this database cache, so every process that serves counts together.

Django's database cache, with two changes a rate limit needs:
- `incr`/`decr` are one locked read and write in a transaction (SELECT … FOR UPDATE where the
  database has it; SQLite's IMMEDIATE transactions take the write lock at BEGIN), and keep the
  entry's expiry. Django's generic incr is a get then a set: a concurrent request's count is
  lost, and each count restarts the timeout.
- culling only drops expired entries: a live counter is never evicted to make room (an attacker
  could otherwise flood the table to reset someone's count).

Its table is made by `migrate` (cache_tables_create, on post_migrate): nothing else to run.

`RedisCache` is Django's, keeping one `redis.Redis` client per connection pool instead of
building a new one for every cache call (redis-py's client is thread-safe and its pool checks
for a fork): a voucher redemption makes ~10 cache calls, and building those clients was a sixth
of its CPU (bench P5).
Never use a process-local cache where more than one process serves (settings/production.py
refuses one).
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache with an atomic incr and a cull that spares live entries."""

    _table: str  # Django's (BaseDatabaseCache.__init__ sets it); its stubs leave it out

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0, tzinfo=None))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')} FROM {table} WHERE {quote('cache_key')} = %s "
                f"AND {quote('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",
                [encoded, key],
            )
        return value

    def _cull(self, db: str, cursor: Any, now: Any, num: int) -> None:
        connection = connections[db]
        quote = connection.ops.quote_name
        cursor.execute(
            f"DELETE FROM {quote(self._table)} WHERE {quote('expires')} < %s",
            [connection.ops.adapt_datetimefield_value(now)],
        )


class _ReusedClients(RedisCacheClient):
    """Django's Redis cache client with one `redis.Redis` per connection pool, made once."""

    # Django's (RedisCacheClient has them), left out of its stubs.
    _client: Callable[..., Any]
    _get_connection_pool: Callable[[bool], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, reusing its clients (`_ReusedClients`)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusedClients


def cache_tables_create(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: make the table of every database cache in CACHES (createcachetable: a
    table that exists is left alone), so `migrate` is all a deployment or the demo runs."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
