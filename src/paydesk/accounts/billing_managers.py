"""May this user manage billing for this customer: the ONE rule, read by everything that shows or
changes a customer's billing setup — the billing profile, the saved payment methods, automatic
top-up and the low-balance alerts (docs/architecture.md, "Who may manage billing").

A user may when they are signed in and active, a portal user of that very customer, and hold
*manage billing*. Staff are not billing managers: a service that staff may use as well (the
billing profile for Administrators, switching automatic top-up off for Finance) checks their role
itself. Callers word the refusal for what was attempted (`billing_manager_required` raises it;
`billing_refusal` says which piece failed); a page that only offers the billing pages (the
Billing link, "Saved payment methods") asks `may_manage_billing`.

Turning automatic top-up on, or changing its terms, authorises charges: it needs this rule and
`paydesk.accounts.payers.may_make_payments` both (`paydesk.autotopup.access`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from paydesk.accounts.models import Customer
from paydesk.errors import PermissionDenied

NO_BILLING_MESSAGE = "Your user may not manage billing."


class BillingRefusal(Enum):
    """Why a user may not manage billing for a customer."""

    SIGNED_OUT = "signed_out"  # no user, or one no longer active
    NOT_THEIRS = "not_theirs"  # staff, or a user of another customer (or of none)
    NO_BILLING = "no_billing"  # a portal user of the customer without *manage billing*


def billing_refusal(*, user: Any, customer: Customer) -> BillingRefusal | None:
    """Why `user` may not manage billing for `customer`, or None when they may."""
    if not getattr(user, "pk", None) or not getattr(user, "is_active", False):
        return BillingRefusal.SIGNED_OUT
    if user.customer_id is None or user.customer_id != customer.pk:
        return BillingRefusal.NOT_THEIRS
    if not user.can_manage_billing:
        return BillingRefusal.NO_BILLING
    return None


def may_manage_billing(*, user: Any, customer: Customer) -> bool:
    """Whether `user` may manage billing for `customer`."""
    return billing_refusal(user=user, customer=customer) is None


def may_manage_own_billing(user: Any) -> bool:
    """Whether `user` may manage billing for their own customer (False for staff and for a user
    of no customer): the pages' and the API's question, where the customer is the user's."""
    customer = getattr(user, "customer", None) if getattr(user, "customer_id", None) else None
    return customer is not None and may_manage_billing(user=user, customer=customer)


def billing_manager_required(
    *, user: Any, customer: Customer, sign_in: str, not_theirs: str
) -> None:
    """PermissionDenied unless `user` may manage billing for `customer`; the first two messages
    name what was attempted ("Sign in to change automatic top-up.")."""
    refusal = billing_refusal(user=user, customer=customer)
    if refusal is BillingRefusal.SIGNED_OUT:
        raise PermissionDenied(sign_in)
    if refusal is BillingRefusal.NOT_THEIRS:
        raise PermissionDenied(not_theirs)
    if refusal is BillingRefusal.NO_BILLING:
        raise PermissionDenied(NO_BILLING_MESSAGE)
