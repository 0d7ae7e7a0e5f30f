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
`paydesk.accounts.payers.may_make_payments` both (`paydesk.autotopup.access`). The rule's shape
is shared with "may make payments" (accounts/rules.py).
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import Customer
from paydesk.accounts.rules import PortalRefusal, portal_refusal, refusal_raise

NO_BILLING_MESSAGE = "Your user may not manage billing."

# Why a user may not manage billing for a customer: SIGNED_OUT, NOT_THEIRS or NO_BILLING.
BillingRefusal = PortalRefusal


def billing_refusal(*, user: Any, customer: Customer) -> PortalRefusal | None:
    """Why `user` may not manage billing for `customer`, or None when they may."""
    return portal_refusal(
        user=user,
        customer=customer,
        permission="can_manage_billing",
        lacking=BillingRefusal.NO_BILLING,
    )


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
    refusal_raise(
        billing_refusal(user=user, customer=customer),
        sign_in=sign_in,
        not_theirs=not_theirs,
        lacking=NO_BILLING_MESSAGE,
    )
