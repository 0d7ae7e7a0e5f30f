"""What a redemption sends PostgreSQL (bench P5): the claim and the read of the voucher it
claimed are one statement, and the payment's statement also links the voucher to its payment
and writes the payment's audit entry. Every row as the statements one by one wrote them."""

from __future__ import annotations

import tempfile
from decimal import Decimal

import pytest
from django.db import connection, transaction
from psycopg import pq

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.vouchers.models import Voucher, VoucherStatus
from paydesk.vouchers.services import voucher_redeem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _executed(action) -> list[str]:  # noqa: ANN001 — a callable
    """The statements the client had PostgreSQL run while `action` ran: Query (a statement sent
    whole) or Execute (a prepared one) — each its own wait — in order."""
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
        lines = [line.split("\t") for line in trace.read().splitlines() if line.startswith("F")]
    return [parts[2] for parts in lines if parts[2] in ("Query", "Execute")]


def test_a_free_credit_redemption_is_six_statements(issue, portal_user):
    [code] = issue(addition="5")
    customer = portal_user.customer
    done = []

    def redeem():
        with transaction.atomic():
            done.append(
                voucher_redeem(
                    code=code, customer=customer, currency="USD", user=portal_user, ip_address=None
                )
            )

    executed = _executed(redeem)
    # The test's own transaction makes atomic() a SAVEPOINT and a RELEASE (Queries); between
    # them, each prepared: the portal defaults, the claim with its read, the balance UPDATE, the
    # payment (its event rows, its audit entry, the voucher's link to it), the contacts (whom
    # a receipt goes to), the voucher's audit entry. Before: nine — the claim, its read, the
    # payment's entry and the link were statements of their own.
    assert executed == ["Query", *["Execute"] * 6, "Query"]
    [redemption] = done
    voucher = Voucher.objects.get()
    payment = Payment.objects.get()
    assert voucher.status == VoucherStatus.USED and voucher.used_by == customer
    assert voucher.redemption_payment == payment == redemption.payment
    assert payment.total == Decimal("5") and payment.status == "completed"
    entries = dict(AuditEntry.objects.values_list("action", "object_id"))
    assert entries["payment.create"] == str(payment.pk)
    assert entries["voucher.redeem"] == str(voucher.pk)
