"""The shape both of a portal user's permission rules share — "may make payments"
(accounts/payers.py) and "may manage billing" (accounts/billing_managers.py): signed in and
active, a portal user of that very customer (staff are neither), holding the permission. Each
rule names its permission and words its refusals; this module only reads them."""

from __future__ import annotations

from enum import Enum
from typing import Any

from paydesk.accounts.models import Customer
from paydesk.errors import PermissionDenied


class PortalRefusal(Enum):
    """Why a user may not do something for a customer."""

    SIGNED_OUT = "signed_out"  # no user, or one no longer active
    NOT_THEIRS = "not_theirs"  # staff, or a user of another customer (or of none)
    VIEW_ONLY = "view_only"  # a portal user of the customer without *make payments*
    NO_BILLING = "no_billing"  # a portal user of the customer without *manage billing*


def portal_refusal(
    *, user: Any, customer: Customer, permission: str, lacking: PortalRefusal
) -> PortalRefusal | None:
    """Why `user` may not act for `customer` under `permission` (the User field), `lacking`
    when only the permission is missing; None when they may."""
    if not getattr(user, "pk", None) or not getattr(user, "is_active", False):
        return PortalRefusal.SIGNED_OUT
    if user.customer_id is None or user.customer_id != customer.pk:
        return PortalRefusal.NOT_THEIRS
    if not getattr(user, permission):
        return lacking
    return None


def refusal_raise(
    refusal: PortalRefusal | None, *, sign_in: str, not_theirs: str, lacking: str
) -> None:
    """PermissionDenied worded for `refusal` (nothing when None)."""
    if refusal is PortalRefusal.SIGNED_OUT:
        raise PermissionDenied(sign_in)
    if refusal is PortalRefusal.NOT_THEIRS:
        raise PermissionDenied(not_theirs)
    if refusal is not None:
        raise PermissionDenied(lacking)
