"""The two balance watches the ledger runs inside every completed posting (ledger/hooks.py):

- "autotopup": the new balance is under the customer's active automatic top-up threshold →
  queue a Topup row (the outbox row the worker charges), in the posting's transaction;
- "balance-alerts": the new available credit crossed an armed alert's threshold downwards (or
  climbed back above a fired one's threshold plus its margin) → fire (queue the email) or re-arm.

Each probe is one SQL boolean in the RETURNING list of the balance UPDATE: a posting that
touches no threshold costs no extra round trip (bench P1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from paydesk.accounts.models import Customer
from paydesk.autotopup.models import IN_FLIGHT, BalanceAlert, Topup, TopupSettings


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _customer_column(column: str) -> str:
    return f"{_qn(Customer._meta.db_table)}.{_qn(column)}"


def autotopup_probe_sql() -> str:
    table = _qn(TopupSettings._meta.db_table)
    topups = _qn(Topup._meta.db_table)
    in_flight = ", ".join(f"'{status}'" for status in IN_FLIGHT)
    return (
        f"EXISTS (SELECT 1 FROM {table} s WHERE s.{_qn('customer_id')} = %s"
        f" AND s.{_qn('enabled')} AND s.{_qn('suspended_at')} IS NULL"
        f" AND {_customer_column('balance')} < s.{_qn('threshold')}"
        f" AND NOT EXISTS (SELECT 1 FROM {topups} t WHERE t.{_qn('customer_id')}"
        f" = s.{_qn('customer_id')} AND t.{_qn('status')} IN ({in_flight})))"
    )


def alerts_probe_sql() -> str:
    table = _qn(BalanceAlert._meta.db_table)
    available = f"({_customer_column('balance')} + {_customer_column('debit_limit')})"
    return (
        f"EXISTS (SELECT 1 FROM {table} a WHERE a.{_qn('customer_id')} = %s AND ("
        f"(a.{_qn('armed')} AND {available} < a.{_qn('threshold')}) OR "
        f"(NOT a.{_qn('armed')} AND {available} >= a.{_qn('threshold')} + a.{_qn('margin')})))"
    )


def _topup_watch(*, payment: Any, balance: Decimal) -> None:
    from paydesk.autotopup.services import topup_queue

    topup_queue(customer_id=payment.customer_id, balance=balance, trigger="posting")


def _alerts_watch(*, payment: Any, balance: Decimal) -> None:
    from paydesk.autotopup.alerts import alerts_evaluate

    alerts_evaluate(customer_id=payment.customer_id)


def register_watches() -> None:
    from paydesk.ledger.hooks import BalanceWatch, balance_watch_register

    # Only a debit can take the balance under a threshold; a credit may re-arm an alert.
    balance_watch_register(
        BalanceWatch("autotopup", autotopup_probe_sql, _topup_watch, debits_only=True)
    )
    balance_watch_register(BalanceWatch("balance-alerts", alerts_probe_sql, _alerts_watch))
