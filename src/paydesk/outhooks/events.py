"""Events written with the money change they tell about (the ledger's payment listener, see
paydesk.ledger.hooks): the rows commit or roll back with the payment, so a rolled-back change
has no event and every committed one has its events. Delivery is the worker's
(paydesk.outhooks.delivery).

Which events a change makes:

- a payment recorded pending → `payment.created`; completed → `payment.completed` (also when it
  is recorded already completed); cancelled → `payment.cancelled`;
- the same for a refund (`refund.created`, `refund.completed`, `refund.cancelled`);
- a chargeback → `chargeback.created`; its reversal → `chargeback.reversed`;
- a voucher bonus taken back with its top-up → `voucher_bonus.reversed`; given back when that
  top-up's chargeback is reversed → `voucher_bonus.restored`;
- and whenever the balance moved, `balance.changed` with the new balance and available credit.

The object is the payment exactly as the API shows it to the customer (paydesk.shapes,
the API's own function), plus `customer_id`: never the staff comment, never a secret.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from paydesk.fastsql import execute_hot
from paydesk.ledger.hooks import CANCELLED, COMPLETED, CREATED, NEW_PAYMENT, PaymentChange
from paydesk.ledger.refund_reads import refunded_of
from paydesk.money import plain_amount
from paydesk.outhooks.models import Event, EventType
from paydesk.shapes import money, payment_description_shown, payment_out

# The event types as the plain text written to the rows.
_BY_STATUS = {
    "": {
        "pending": EventType.PAYMENT_CREATED.value,
        "completed": EventType.PAYMENT_COMPLETED.value,
        "cancelled": EventType.PAYMENT_CANCELLED.value,
    },
    "refund": {
        "pending": EventType.REFUND_CREATED.value,
        "completed": EventType.REFUND_COMPLETED.value,
        "cancelled": EventType.REFUND_CANCELLED.value,
    },
}
_BY_RELATION = {
    "chargeback": EventType.CHARGEBACK_CREATED.value,
    "chargeback_reversed": EventType.CHARGEBACK_REVERSED.value,
    "bonus_reversed": EventType.VOUCHER_BONUS_REVERSED.value,
    "bonus_restored": EventType.VOUCHER_BONUS_RESTORED.value,
}


def event_type_for(change: PaymentChange) -> str:
    """The payment event a change makes (see the module's docstring)."""
    payment = change.payment
    if change.kind == CREATED and payment.relation in _BY_RELATION:
        return _BY_RELATION[payment.relation]
    family = _BY_STATUS["refund" if payment.relation == "refund" else ""]
    return family[_KIND_STATUS.get(change.kind, payment.status)]


_KIND_STATUS = {COMPLETED: "completed", CANCELLED: "cancelled"}


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
    if change.balance is None:
        raise ValueError("No balance.changed event: the balance did not move.")
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
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    rows = _event_rows(change, db)
    params = [v for kind, customer_id, now, data in rows
              for v in (kind, customer_id, change.payment.pk, now, data)]  # fmt: skip
    execute_hot(_insert_sql(len(rows), db.vendor), params, fetch=False)


def events_with_payment(change: PaymentChange) -> tuple[str, list[Any]]:
    """The same rows for a payment being created, as the INSERT the ledger sends in the
    payment's own statement (ledger/hooks.py `with_insert`): the rows' payment is the new one."""
    db = connections[DEFAULT_DB_ALIAS]
    rows = _event_rows(change, db)
    return _insert_sql(len(rows), db.vendor, new_payment=True), [v for row in rows for v in row]


def _event_rows(change: PaymentChange, db: Any) -> list[tuple[str, int, Any, str]]:
    """(type, customer_id, created_at, data) of each event row of a change, in order."""
    payment = change.payment
    customer_id = payment.customer_id
    now = db.ops.adapt_datetimefield_value(timezone.now())
    rows = [(event_type_for(change), customer_id, now, payment_json(payment))]
    if change.balance is not None:
        rows.append((_BALANCE_CHANGED, customer_id, now, balance_json(change)))
    return rows


_BALANCE_CHANGED = EventType.BALANCE_CHANGED.value


# Every posting writes these two JSON texts (bench P1, P6): `payment_json` and `balance_json`
# write them directly, byte for byte what `json_text` makes of `payment_data` and
# `balance_data` (tests/outhooks/test_event_json.py compares them over many payments), without
# building the dicts and running the generic encoder, which cost as much as the INSERT itself.
# A value of an unexpected type goes to `json_text`, so the text cannot differ.


def _value(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring(value)  # what json.dumps(ensure_ascii=False) writes for a str
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)  # as json.dumps writes an int
    if isinstance(value, datetime):
        return '"' + _default(value) + '"'
    return json_text(value)


# currency → the end of its money object, `,"currency":"USD"}`
_CURRENCY_TAILS: dict[str, str] = {}


def _money(amount: Decimal, currency: str) -> str:
    tail = _CURRENCY_TAILS.get(currency)
    if tail is None:
        tail = _CURRENCY_TAILS[currency] = f',"currency":{_value(currency)}}}'
    # plain_amount writes digits, a sign and a point only: its JSON string is itself quoted.
    return '{"amount":"' + plain_amount(amount, currency) + '"' + tail


def payment_json(payment: Any) -> str:
    """`json_text(payment_data(payment))`, written directly (the payment's event object)."""
    currency = payment.customer.currency
    if not hasattr(payment, "refunded_total"):
        payment.refunded_total = Decimal(0)  # as payment_data: nothing refunded yet
    balance_after = payment.balance_after
    refunded = refunded_of(payment)
    # A posting's created, occurred and completed times are most often one datetime.
    created_at, occurred_at, completed_at = (
        payment.created_at,
        payment.occurred_at,
        payment.completed_at,
    )
    created = _value(created_at)
    occurred = created if occurred_at is created_at else _value(occurred_at)
    completed = created if completed_at is created_at else _value(completed_at)
    return "".join(
        (
            '{"reference":', _value(payment.reference),
            ',"status":', _value(payment.status),
            ',"method":', _value(payment.method),
            ',"description":', _value(payment_description_shown(payment)),
            ',"total":', _money(payment.total, currency),
            ',"created_at":', created,
            ',"occurred_at":', occurred,
            ',"completed_at":', completed,
            ',"cancelled_at":', _value(payment.cancelled_at),
            ',"balance_after":',
            "null" if balance_after is None else _money(balance_after, currency),
            ',"reason":', _value(payment.cancel_reason or payment.pending_reason),
            ',"original":', _value(payment.original.reference if payment.original_id else ""),
            ',"relation":', _value(payment.relation),
            ',"refunded":', "null" if refunded is None else _money(refunded, currency),
            ',"customer_id":', _value(payment.customer_id),
            "}",
        )
    )  # fmt: skip


def balance_json(change: PaymentChange) -> str:
    """`json_text(balance_data(change))`, written directly (the balance.changed object)."""
    payment = change.payment
    currency = payment.customer.currency
    if change.balance is None:
        raise ValueError("No balance.changed event: the balance did not move.")
    debit_limit = change.debit_limit or Decimal(0)
    return "".join(
        (
            '{"customer_id":', _value(payment.customer_id),
            ',"balance":', _money(change.balance, currency),
            ',"debit_limit":', _money(debit_limit, currency),
            ',"available_credit":', _money(change.balance + debit_limit, currency),
            ',"payment":', _value(payment.reference),
            "}",
        )
    )  # fmt: skip


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
    params = [str(event_type), customer_id, payment_id, now, json_text(data)]
    execute_hot(_insert_sql(1), params, fetch=False)


_SQL: dict[tuple[str, int, bool], str] = {}


def _insert_sql(count: int, vendor: str | None = None, *, new_payment: bool = False) -> str:
    """The INSERT of `count` event rows; with `new_payment`, their payment_id is the id of the
    payment the same statement creates (NEW_PAYMENT, ledger/hooks.py) and not a parameter: one
    SELECT per row from NEW_PAYMENT, so that nothing is written when it wrote no payment (its
    reference was drawn before, and the ledger draws again)."""
    key = (vendor or connection.vendor, count, new_payment)
    if key not in _SQL:
        qn = connection.ops.quote_name
        columns = ("type", "customer_id", "payment_id", "created_at", "data")
        head = (
            f"INSERT INTO {qn(Event._meta.db_table)} "
            f"({', '.join(qn(c) for c in columns)}, {qn('dispatched')}) "
        )
        if new_payment:
            row = f"SELECT %s, %s, id, %s, %s, FALSE FROM {NEW_PAYMENT}"
            _SQL[key] = head + " UNION ALL ".join([row] * count)
        else:
            _SQL[key] = head + "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, FALSE)"] * count)
    return _SQL[key]
