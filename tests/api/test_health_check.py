"""The database connection's health check (CONN_HEALTH_CHECKS) on an API top-up: the request's
first statement (the API key's read) is the check — no `SELECT 1` round trip of its own — and a
connection PostgreSQL dropped since the last request is replaced, not answered with a 500."""

from __future__ import annotations

import tempfile

import psycopg
import pytest
from django.db import connection

from paydesk.ledger.models import Payment
from tests.api.conftest import ApiClient, key_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}


def _as_a_served_request_starts() -> None:
    # What Django's request_started does to a connection it keeps (CONN_MAX_AGE; the test
    # client leaves that signal out, and the tests' CONN_MAX_AGE would close it): it owes a
    # health check before its first use in this request.
    assert connection.connection is not None and connection.health_check_enabled
    connection.health_check_done = False


def _terminate(pid: int) -> None:
    """End the backend `pid` from another connection, as a PostgreSQL restart would."""
    params = connection.get_connection_params()
    keep = {k: params[k] for k in ("dbname", "user", "host", "port", "password") if k in params}
    with psycopg.connect(**keep, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]


def _sent(action) -> str:  # noqa: ANN001 — a callable making one request
    """What the client sent PostgreSQL while `action` ran (libpq's own trace)."""
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            pgconn.untrace()
        trace.seek(0)
        return trace.read()


def test_a_top_up_sends_no_select_1_its_key_read_is_the_check(
    portal_user, method_configs, bank_details
):
    api = ApiClient(key_for(portal_user))
    assert api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "first"}).status_code == 201
    _as_a_served_request_starts()
    answers = []
    sent = _sent(
        lambda: answers.append(api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "second"}))
    )
    assert answers[0].status_code == 201
    queries = [line.split("\t")[-1].strip() for line in sent.splitlines() if "\tQuery\t" in line]
    assert '"BEGIN"' in queries and '"COMMIT"' in queries  # it was traced
    assert '"SELECT 1"' not in queries
    assert connection.health_check_done


def test_a_connection_postgresql_dropped_is_replaced_by_the_next_request(
    portal_user, method_configs, bank_details
):
    api = ApiClient(key_for(portal_user))
    assert api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "before"}).status_code == 201
    old = connection.connection.info.backend_pid
    _terminate(old)
    _as_a_served_request_starts()
    answer = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "after"})
    assert answer.status_code == 201, answer.content
    assert connection.connection.info.backend_pid != old
    assert Payment.objects.count() == 2


def test_a_first_statement_that_writes_gets_djangos_check_first(portal_user):
    """A write outside a transaction is not retried (it may have happened): the connection is
    checked, and replaced, before it runs."""
    from paydesk.audit.services import audit_record

    audit_record(action="test.before", actor=portal_user)
    old = connection.connection.info.backend_pid
    _terminate(old)
    _as_a_served_request_starts()
    entry = audit_record(action="test.after", actor=portal_user)
    assert entry.pk is not None
    assert connection.connection.info.backend_pid != old
