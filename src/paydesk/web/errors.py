"""What a request answers when it fails on our side (Django's handler500, set in paydesk.urls).

- Under /api/ (the JSON APIs): the API's error body, `{"error": {"code", "message", "field"}}` —
  never Django's HTML page, which an integrator's client cannot read.
- Elsewhere (the portal, the back office, webhooks): a page of our own that renders without the
  database (no base template, no context processors), so it still renders when the database is
  the cause.
- When the cause is an outage — the database or the shared cache unreachable, a connection lost
  or refused, a lock or serialization failure — the answer is **503** with `Retry-After`: a retry
  will most likely succeed (an API POST retried with the same Idempotency-Key is never done
  twice). Anything else is a 500. Django logs both with their traceback before this runs
  (`django.request`), and sends `got_request_exception`, as for any uncaught error.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Django wraps the drivers' errors: psycopg's and sqlite3's OperationalError (connection refused
# or lost, server shutting down, deadlock, serialization failure, "database is locked") and
# InterfaceError (a connection already closed) arrive as these.
OUTAGES = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5
JSON_PREFIX = "/api/"


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def json_response(status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(code, message, field)),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGES)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called by Django inside its `except` for the uncaught error."""
    outage = is_outage(sys.exc_info()[1])
    if request.path_info.startswith(JSON_PREFIX):
        if outage:
            response = json_response(
                503,
                "unavailable",
                "The service is briefly unavailable. Retry in a few seconds; a POST retried "
                "with the same Idempotency-Key is never done twice.",
            )
        else:
            response = json_response(
                500,
                "server_error",
                "Something failed on our side; it has been logged. Nothing in your request "
                "caused it. Retry with the same Idempotency-Key.",
            )
    else:
        template = "503.html" if outage else "500.html"
        response = HttpResponse(
            loader.get_template(template).render(), status=503 if outage else 500
        )
    if outage:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
