"""A payment and money as the JSON API shows them to a customer: the API's schemas
(paydesk.api.schemas) and the outgoing webhooks' payloads (paydesk.outhooks) use these same
functions, so an event carries the object exactly as the API returns it. Never the staff comment.
"""

from __future__ import annotations

from decimal import Decimal

from paydesk.ledger.models import Payment
from paydesk.ledger.refund_reads import refunded_of
from paydesk.money import plain_amount


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": plain_amount(amount, currency), "currency": currency}


def payment_out(payment: Payment, currency: str, *, show_balance: bool) -> dict[str, object]:
    """A payment as a customer may see it (no staff comment); `balance_after` only where the
    customer's portal shows the balance (ledger.access.balance_visible), else null."""
    refunded = refunded_of(payment)
    return {
        "reference": payment.reference,
        "status": payment.status,
        "method": payment.method,
        "description": payment.description,
        "total": money(payment.total, currency),
        "created_at": payment.created_at,
        "occurred_at": payment.occurred_at,
        "completed_at": payment.completed_at,
        "cancelled_at": payment.cancelled_at,
        "balance_after": None
        if payment.balance_after is None or not show_balance
        else money(payment.balance_after, currency),
        "reason": payment.cancel_reason or payment.pending_reason,
        # Rare (late payments): read only for the rows that have one.
        "original": payment.original.reference if payment.original is not None else "",
        "relation": payment.relation,
        "refunded": None if refunded is None else money(refunded, currency),
    }
