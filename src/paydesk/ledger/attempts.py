"""Online checkouts the customer has not finished, as the portal shows them apart.

Each start of an online checkout (card, PayPal, Razorpay, Paystack, NOWPayments) writes a
pending payment: that row is what makes its credit exactly-once, so it stays in the ledger. The
customer, though, reads a row as a charge: the Payments page lists *unfinished* checkouts apart
(with Resume and Cancel) and leaves them, and cancelled checkouts, out of the default list.
"""

from __future__ import annotations

from django.db.models import Q

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.ledger.models import Payment, PaymentStatus

# The methods whose checkout happens at an online gateway's page (Make Payment).
ONLINE_CHECKOUT_METHODS = (
    PaymentMethod.CARD,
    PaymentMethod.PAYPAL,
    PaymentMethod.RAZORPAY,
    PaymentMethod.PAYSTACK,
    PaymentMethod.NOWPAYMENTS,
)


def _online_checkout() -> Q:
    return Q(method__in=ONLINE_CHECKOUT_METHODS) & ~Q(gateway="") & Q(original__isnull=True)


def unfinished_checkout_q() -> Q:
    """An *unfinished* checkout: a pending online payment of which its gateway has reported
    nothing since the checkout started: no transaction (no money seen), no reason it waits (a
    gateway that is confirming money, or did not answer, gives one) and nothing for staff to
    check. The customer has not completed it at the gateway (yet): they may resume or cancel."""
    return (
        _online_checkout()
        & Q(status=PaymentStatus.PENDING, gateway_transaction="", pending_reason="")
        & Q(needs_attention=False)
    )


def checkout_attempt_q() -> Q:
    """Online checkouts that never became money: unfinished ones and cancelled ones."""
    return unfinished_checkout_q() | (_online_checkout() & Q(status=PaymentStatus.CANCELLED))


# What a customer-facing list of them loads (never `staff_comment`).
CUSTOMER_FIELDS = (
    "id",
    "customer_id",
    "reference",
    "total",
    "status",
    "method",
    "description",
    "gateway",
    "created_at",
    "occurred_at",
    "created_by",
)


def payment_list_unfinished(*, customer: Customer, limit: int = 20) -> list[Payment]:
    """The customer's unfinished online checkouts (unfinished_checkout_q), newest first."""
    rows = Payment.objects.filter(customer=customer).filter(unfinished_checkout_q())
    return list(rows.only(*CUSTOMER_FIELDS).order_by("-created_at", "-id")[:limit])
