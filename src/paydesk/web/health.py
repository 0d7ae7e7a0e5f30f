"""Health endpoints for the reverse proxy and orchestrators (docs/deployment.md).

- `GET /health/live`: the process answers (no database, nothing else).
- `GET /health/ready`: the default database answers and every migration on disk is applied; else
  503, saying which check failed and nothing more (never an error text, a host or a name).

Answered by the first middleware, before the HTTPS redirect, host validation, sessions and
authentication: a proxy probes the app server over plain HTTP on its own address, and a probe
must cost next to nothing. Unauthenticated, and they tell nothing a stranger could use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"

_expected: frozenset[tuple[str, str]] | None = None


def expected_migrations() -> frozenset[tuple[str, str]]:
    """Every (app, migration) on disk: read once per process (the code does not change under a
    running process; a deploy restarts it)."""
    global _expected
    if _expected is None:
        loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
        _expected = frozenset(loader.disk_migrations)
    return _expected


def readiness() -> dict[str, str]:
    """{"database": "ok" | "unreachable", "migrations": "ok" | "pending" | "unknown"}."""
    checks = {"database": "ok", "migrations": "unknown"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        checks["database"] = "unreachable"
        logger.warning("Readiness: the database is unreachable (%s)", type(exc).__name__)
        connection.close_if_unusable_or_obsolete()
        return checks
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:  # never migrated: no table yet
        checks["migrations"] = "pending"
        return checks
    checks["migrations"] = "ok" if expected_migrations() <= applied else "pending"
    return checks


def _json(status: int, data: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    """Answers the two health paths itself; every other request goes on down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in (LIVE_PATH, READY_PATH):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _json(405, {"status": "error", "code": "method_not_allowed"})
        if path == LIVE_PATH:
            return _json(200, {"status": "ok"})
        checks = readiness()
        ready = all(value == "ok" for value in checks.values())
        return _json(200 if ready else 503, {"status": "ok" if ready else "unavailable", **checks})
