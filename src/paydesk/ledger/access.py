"""Who in a customer's portal sees which payment, and the balance: one rule for every page and
endpoint that shows them (the Payments page and its CSV, a payment's status page, a bank
transfer's page, the Razorpay page, the API).

A payment: its creator always (they just paid and follow it); anyone else with *view payments*
and only where the payments list is shown (the *show payments* flag). The balance, and anything
it can be read from (`balance after`): only where the *show balance* flag allows. The lookup
that finds the payment is scoped to the user's own customer before these rules run.
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.accounts.payers import may_make_payments
from paydesk.ledger.models import Payment


def payment_visible_to(*, user: Any, payment: Payment, defaults: PortalDefaults) -> bool:
    """May this portal user see this payment of their own customer?"""
    if payment.created_by_id is not None and payment.created_by_id == user.pk:
        return True
    return bool(user.can_view_payments) and payment.customer.flag("show_payments", defaults)


def payment_cancellable_by(*, user: Any, payment: Payment, defaults: PortalDefaults) -> bool:
    """May this portal user cancel this pending payment (an online payment left unpaid at its
    gateway, a bank transfer): its creator, or a user with *make payments* who may see it."""
    if not getattr(user, "is_active", False) or user.customer_id != payment.customer_id:
        return False
    if payment.created_by_id is not None and payment.created_by_id == user.pk:
        return True
    return may_make_payments(user=user, customer=payment.customer) and payment_visible_to(
        user=user, payment=payment, defaults=defaults
    )


def balance_visible(*, customer: Customer, defaults: PortalDefaults) -> bool:
    """May the customer's portal users see its balance (and a payment's balance after)?"""
    return customer.flag("show_balance", defaults)
