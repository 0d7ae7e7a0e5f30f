"""A new payment's audit entry ("payment.create", when someone made it) is written by the
payment's own INSERT statement on PostgreSQL (one round trip fewer per top-up, bench P5): the
same entry `audit_record` writes, naming the reference the payment was recorded under even when
the first one drawn was taken, and written separately again as soon as anything listens to
AuditEntry's save signals. On SQLite it is its own INSERT, as before."""

from __future__ import annotations

import tempfile

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from psycopg import pq

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.drawn_twice import references_drawn_alike
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _create(customer, user, **extra):
    return payment_create(
        customer=customer,
        total="25",
        description="Bank Transfer 25.00 USD",
        method="bank_transfer",
        status="pending",
        actor=user,
        **extra,
    )


def _entry(payment: Payment) -> dict:
    [entry] = AuditEntry.objects.filter(action="payment.create", object_id=str(payment.pk))
    return {
        "actor": entry.actor_id,
        "actor_email": entry.actor_email,
        "object_type": entry.object_type,
        "customer_id": entry.customer_id,
        "before": entry.before,
        "after": entry.after,
        "ip_address": entry.ip_address,
    }


def _expected(payment: Payment, user) -> dict:
    return {
        "actor": user.pk,
        "actor_email": user.email,
        "object_type": "payment",
        "customer_id": payment.customer_id,
        "before": None,
        "after": {
            "reference": payment.reference,
            "total": "25",
            "status": "pending",
            "method": "bank_transfer",
            "description": "Bank Transfer 25.00 USD",
            "staff_comment": "",
            "balance_after": None,
            "allow_overdraft": False,
        },
        "ip_address": None,
    }


def test_the_entry_is_what_audit_record_writes(customer, portal_user):
    payment = _create(customer, portal_user)
    assert _entry(payment) == _expected(payment, portal_user)


@pytest.mark.postgres
def test_on_postgresql_it_is_written_by_the_payments_statement(customer, portal_user):
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace, transaction.atomic():
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            payment = _create(customer, portal_user, savepoint=False)
        finally:
            pgconn.untrace()
        trace.seek(0)
        sent = [line.split("\t") for line in trace.read().splitlines() if line.startswith("F")]
    # What the client ran: the payment's one statement (its event row and its audit entry in
    # it; parsed first when this connection had not prepared it yet), and no INSERT of the
    # entry after it, nor any other statement.
    assert [parts[2] for parts in sent if parts[2] in ("Query", "Execute")] == ["Execute"]
    assert _entry(payment) == _expected(payment, portal_user)
    assert AuditEntry.objects.count() == 1


def test_a_reference_drawn_twice_is_the_one_the_entry_names(customer, portal_user, monkeypatch):
    references_drawn_alike(monkeypatch, times=2)
    taken = payment_create(customer=CustomerFactory(), total="3", description="Earlier")
    with transaction.atomic():
        payment = _create(customer, portal_user, savepoint=False)
    assert payment.reference != taken.reference
    assert _entry(payment) == _expected(payment, portal_user)
    assert AuditEntry.objects.filter(action="payment.create").count() == 1


def test_a_listener_to_audit_entries_still_hears_the_entry(customer, portal_user):
    heard = []

    def listen(sender, instance, created, **kwargs):
        heard.append((instance.action, instance.object_id, created))

    post_save.connect(listen, sender=AuditEntry)
    try:
        payment = _create(customer, portal_user)
    finally:
        post_save.disconnect(listen, sender=AuditEntry)
    assert heard == [("payment.create", str(payment.pk), True)]
    assert _entry(payment) == _expected(payment, portal_user)
