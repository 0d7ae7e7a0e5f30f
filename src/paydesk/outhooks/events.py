"""Events written with the money change they tell about (the ledger's payment listener, see
paydesk.ledger.hooks): the rows commit or roll back with the payment, so a rolled-back change
has no event and every committed one has its events. Delivery is the worker's
(paydesk.outhooks.delivery).

Which events a change makes:

- a payment recorded pending → `payment.created`; completed → `payment.completed` (also when it
  is recorded already completed); cancelled → `payment.cancelled`;
- the same for a refund (`refund.created`, `refund.completed`, `refund.cancelled`);
- a chargeback → `chargeback.created`; its reversal → `chargeback.reversed`;
- and whenever the balance moved, `balance.changed` with the new balance and available credit.

The object is the payment exactly as the API shows it to the customer (paydesk.ledger.shapes,
the API's own function), plus `customer_id`: never the staff comment, never a secret.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

from paydesk.ledger.hooks import CANCELLED, COMPLETED, CREATED, PaymentChange
from paydesk.ledger.shapes import money, payment_out
from paydesk.outhooks.models import Event, EventType

_BY_STATUS = {
    "": {
        "pending": EventType.PAYMENT_CREATED,
        "completed": EventType.PAYMENT_COMPLETED,
        "cancelled": EventType.PAYMENT_CANCELLED,
    },
    "refund": {
        "pending": EventType.REFUND_CREATED,
        "completed": EventType.REFUND_COMPLETED,
        "cancelled": EventType.REFUND_CANCELLED,
    },
}
_BY_RELATION = {
    "chargeback": EventType.CHARGEBACK_CREATED,
    "chargeback_reversed": EventType.CHARGEBACK_REVERSED,
}


def event_type_for(change: PaymentChange) -> str:
    """The payment event a change makes (see the module's docstring)."""
    payment = change.payment
    if change.kind == CREATED and payment.relation in _BY_RELATION:
        return _BY_RELATION[payment.relation]
    family = _BY_STATUS["refund" if payment.relation == "refund" else ""]
    status = {COMPLETED: "completed", CANCELLED: "cancelled"}.get(change.kind, payment.status)
    return family[status]


def json_text(value: Any) -> str:
    """Compact JSON; datetimes in ISO 8601 UTC with `Z`, as the API writes them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def payment_data(payment: Any) -> dict[str, Any]:
    currency = payment.customer.currency
    if not hasattr(payment, "refunded_total"):
        # Just created or just completed: no refund of it can exist yet (a refund needs a
        # completed payment), so the API's "refunded" is 0.00 without a query.
        payment.refunded_total = Decimal(0)
    return {**payment_out(payment, currency, show_balance=True), "customer_id": payment.customer_id}


def balance_data(change: PaymentChange) -> dict[str, Any]:
    payment = change.payment
    currency = payment.customer.currency
    debit_limit = change.debit_limit or Decimal(0)
    return {
        "customer_id": payment.customer_id,
        "balance": money(change.balance, currency),
        "debit_limit": money(debit_limit, currency),
        "available_credit": money(change.balance + debit_limit, currency),
        "payment": payment.reference,
    }


def events_record(change: PaymentChange) -> None:
    """The ledger's listener: write this change's event rows in one INSERT, in its transaction."""
    payment = change.payment
    rows = [(event_type_for(change), json_text(payment_data(payment)))]
    if change.balance is not None:
        rows.append((EventType.BALANCE_CHANGED, json_text(balance_data(change))))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = []
    for event_type, data in rows:
        params += [str(event_type), payment.customer_id, payment.pk, now, data]
    _execute(_insert_sql(len(rows)), params)


def event_record(*, event_type: str, payment: Any, extra: dict[str, Any]) -> None:
    """An event about a payment that is not a ledger change (a bank transfer's first approval):
    the payment as the API shows it, with `extra`; in the caller's transaction."""
    data = {**payment_data(payment), **extra}
    event_write(event_type=event_type, customer_id=payment.customer_id, payment_id=payment.pk,
                data=data)  # fmt: skip


def event_write(
    *, event_type: str, customer_id: int, data: dict[str, Any], payment_id: int | None = None
) -> None:
    """One event row with `data` (no secret, no staff comment), in the caller's transaction."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    _execute(_insert_sql(1), [str(event_type), customer_id, payment_id, now, json_text(data)])


_SQL: dict[tuple[str, int], str] = {}


def _insert_sql(count: int) -> str:
    key = (connection.vendor, count)
    if key not in _SQL:
        qn = connection.ops.quote_name
        columns = ("type", "customer_id", "payment_id", "created_at", "data")
        _SQL[key] = (
            f"INSERT INTO {qn(Event._meta.db_table)} "
            f"({', '.join(qn(c) for c in columns)}, {qn('dispatched')}) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, FALSE)"] * count)
        )
    return _SQL[key]


def _execute(sql: str, params: list[Any]) -> None:
    """On PostgreSQL a prepared, server-side-binding statement on Django's own connection (the
    ledger's hot statements do the same, docs/decisions.md): parsed and planned once per
    connection, not on every top-up. Elsewhere Django's cursor."""
    if connection.vendor == "postgresql" and settings.PAYDESK_PG_PREPARED:
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
