"""May this user make payments for this customer: the ONE rule, read by everything that pays or
offers to (docs/architecture.md, "Who may pay").

A user may when they are signed in and active, a portal user of that very customer (staff never
pay for a customer), and hold *make payments*. Callers word the refusal for what was attempted
(`payer_required` raises it; `payer_refusal` says which piece failed); a page that only offers
paying (a Make Payment button, a Resume link) asks `may_make_payments`. The rule's shape is
shared with "may manage billing" (accounts/rules.py).
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import Customer
from paydesk.accounts.rules import PortalRefusal, portal_refusal, refusal_raise

VIEW_ONLY_MESSAGE = "Your user may view payments but not make them."

# Why a user may not make payments for a customer: SIGNED_OUT, NOT_THEIRS or VIEW_ONLY.
PayerRefusal = PortalRefusal


def payer_refusal(*, user: Any, customer: Customer) -> PortalRefusal | None:
    """Why `user` may not make payments for `customer`, or None when they may."""
    return portal_refusal(
        user=user, customer=customer, permission="can_make_payments", lacking=PayerRefusal.VIEW_ONLY
    )


def may_make_payments(*, user: Any, customer: Customer) -> bool:
    """Whether `user` may make payments for `customer`."""
    return payer_refusal(user=user, customer=customer) is None


def payer_required(*, user: Any, customer: Customer, sign_in: str, not_theirs: str) -> None:
    """PermissionDenied unless `user` may make payments for `customer`; the first two messages
    name what was attempted ("Sign in to redeem a voucher.")."""
    refusal_raise(
        payer_refusal(user=user, customer=customer),
        sign_in=sign_in,
        not_theirs=not_theirs,
        lacking=VIEW_ONLY_MESSAGE,
    )
