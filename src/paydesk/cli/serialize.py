"""JSON-ready dicts of customers, users and payments for `--json` output (staff tools only).

Money is always an exact decimal string (`plain_amount`), never a number; times are ISO 8601.
A payment's description reads as the portal, the API and the back office show it
(`shapes.payment_description_shown`: a chargeback's reason in its gateway's words), with the
stored text beside it (`description_stored`); its dict includes the private staff comment:
never hand it to a customer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from paydesk.accounts.models import Customer, User
from paydesk.ledger.models import Payment
from paydesk.money import plain_amount
from paydesk.shapes import payment_description_shown


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else plain_amount(amount, currency)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer_data(customer: Customer) -> dict[str, Any]:
    currency = customer.currency
    return {
        "id": customer.pk,
        "name": customer.name,
        "slug": customer.slug,
        "currency": currency,
        "balance": _money(customer.balance, currency),
        "debit_limit": _money(customer.debit_limit, currency),
        "available_credit": _money(customer.available_credit, currency),
        "minimum_payment": _money(customer.minimum_payment, currency),
        "created_at": _time(customer.created_at),
    }


def user_data(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "customer_id": user.customer_id,
        "staff_role": user.staff_role or None,
        "can_view_payments": user.can_view_payments if user.customer_id else None,
        "can_make_payments": user.can_make_payments if user.customer_id else None,
        "can_manage_billing": user.can_manage_billing if user.customer_id else None,
    }


def payment_data(payment: Payment, currency: str) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "reference": payment.reference,
        "customer_id": payment.customer_id,
        "total": _money(payment.total, currency),
        "currency": currency,
        "status": payment.status,
        "method": payment.method,
        "description": payment_description_shown(payment),
        # The row as stored (a chargeback's gateway code), for an operator comparing rows.
        "description_stored": payment.description,
        "staff_comment": payment.staff_comment,
        "fee": _money(payment.fee, currency),
        "occurred_at": _time(payment.occurred_at),
        "created_at": _time(payment.created_at),
        "completed_at": _time(payment.completed_at),
        "cancelled_at": _time(payment.cancelled_at),
        "cancel_reason": payment.cancel_reason,
        "cancel_note": payment.cancel_note,
        "balance_after": _money(payment.balance_after, currency),
        "relation": payment.relation,
        "original": payment.original.reference if payment.original is not None else "",
    }
