"""What the client sent PostgreSQL while a piece of code ran, from libpq's own trace (bench P5's
round-trip counts; tests/api/test_round_trips.py, tests/vouchers/test_redeem_statements.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.db import connection
from psycopg import pq


def frontend_messages(action: Callable[[], object]) -> list[list[str]]:
    """Each message the client sent while `action` ran, as libpq's trace fields after the
    direction: [length, type, arguments…] ("Query", "Bind", "Execute", "Sync"…)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            action()
        finally:
            pgconn.untrace()
        trace.seek(0)
        return [line.rstrip("\n").split("\t")[1:] for line in trace if line.startswith("F\t")]
