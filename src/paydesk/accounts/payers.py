"""May this user make payments for this customer: the ONE rule, read by everything that pays or
offers to (docs/architecture.md, "Who may pay").

A user may when they are signed in and active, a portal user of that very customer (staff never
pay for a customer), and hold *make payments*. Callers word the refusal for what was attempted
(`payer_required` raises it; `payer_refusal` says which piece failed); a page that only offers
paying (a Make Payment button, a Resume link) asks `may_make_payments`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from paydesk.accounts.models import Customer
from paydesk.errors import PermissionDenied

VIEW_ONLY_MESSAGE = "Your user may view payments but not make them."


class PayerRefusal(Enum):
    """Why a user may not make payments for a customer."""

    SIGNED_OUT = "signed_out"  # no user, or one no longer active
    NOT_THEIRS = "not_theirs"  # staff, or a user of another customer (or of none)
    VIEW_ONLY = "view_only"  # a portal user of the customer without *make payments*


def payer_refusal(*, user: Any, customer: Customer) -> PayerRefusal | None:
    """Why `user` may not make payments for `customer`, or None when they may."""
    if not getattr(user, "pk", None) or not getattr(user, "is_active", False):
        return PayerRefusal.SIGNED_OUT
    if user.customer_id is None or user.customer_id != customer.pk:
        return PayerRefusal.NOT_THEIRS
    if not user.can_make_payments:
        return PayerRefusal.VIEW_ONLY
    return None


def may_make_payments(*, user: Any, customer: Customer) -> bool:
    """Whether `user` may make payments for `customer`."""
    return payer_refusal(user=user, customer=customer) is None


def payer_required(*, user: Any, customer: Customer, sign_in: str, not_theirs: str) -> None:
    """PermissionDenied unless `user` may make payments for `customer`; the first two messages
    name what was attempted ("Sign in to redeem a voucher.")."""
    refusal = payer_refusal(user=user, customer=customer)
    if refusal is PayerRefusal.SIGNED_OUT:
        raise PermissionDenied(sign_in)
    if refusal is PayerRefusal.NOT_THEIRS:
        raise PermissionDenied(not_theirs)
    if refusal is PayerRefusal.VIEW_ONLY:
        raise PermissionDenied(VIEW_ONLY_MESSAGE)
