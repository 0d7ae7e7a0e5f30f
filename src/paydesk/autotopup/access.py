"""Who may change a customer's automatic top-up and alerts.

- Switch it off, set the alerts: a user who may manage billing for the customer (the one rule,
  paydesk.accounts.billing_managers); in the back office Finance and Administrators (they may
  switch it off).
- Turn it on or change its terms (amount, threshold, cap, wait, payment method), which is giving
  the consent to charge a saved method: a user who may manage billing AND make payments for the
  customer (paydesk.accounts.payers): consenting to automatic charges is paying. Staff never do.

An automatic top-up already on keeps the consent it was given under, by whoever gave it, even
when that user later loses *make payments* or leaves (docs/autotopup.md, "Who may turn it on").
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.billing_managers import billing_manager_required
from paydesk.accounts.models import Customer
from paydesk.accounts.payers import PayerRefusal, payer_refusal
from paydesk.errors import PermissionDenied

NOT_A_PAYER_MESSAGE = (
    "Turning automatic top-up on or changing it authorises charges to a saved payment method: "
    "your user may manage billing but not make payments. A user who may make payments can do "
    "it; you can switch it off."
)


def check_may_change(*, actor: Any, customer: Customer) -> None:
    """Switching off, the alerts: PermissionDenied unless `actor` may."""
    if getattr(actor, "pk", None) and actor.is_active and actor.is_staff:
        if not actor.can_move_money:
            raise PermissionDenied("Your role cannot change automatic top-ups.")
        return
    billing_manager_required(
        user=actor,
        customer=customer,
        sign_in="Sign in to change automatic top-up.",
        not_theirs="You can change automatic top-up only for your own account.",
    )


def check_may_authorise(*, actor: Any, customer: Customer) -> None:
    """Turning on or changing the terms (consenting to the charges): PermissionDenied unless
    `actor` may manage billing and make payments for `customer`."""
    if getattr(actor, "pk", None) and actor.is_active and actor.is_staff:
        raise PermissionDenied("Only the customer can turn automatic top-up on.")
    check_may_change(actor=actor, customer=customer)
    if payer_refusal(user=actor, customer=customer) is PayerRefusal.VIEW_ONLY:
        raise PermissionDenied(NOT_A_PAYER_MESSAGE)


def may_authorise(*, user: Any, customer: Customer) -> bool:
    """Whether `user` may turn automatic top-up on or change it (the page offers its form)."""
    try:
        check_may_authorise(actor=user, customer=customer)
    except PermissionDenied:
        return False
    return True
