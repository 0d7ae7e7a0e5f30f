"""Who may change a customer's automatic top-up and alerts: a portal user of that customer with
*manage billing*; in the back office Finance and Administrators (they may switch it off)."""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import Customer
from paydesk.errors import PermissionDenied


def check_may_change(*, actor: Any, customer: Customer) -> None:
    if not getattr(actor, "pk", None) or not actor.is_active:
        raise PermissionDenied("Sign in to change automatic top-up.")
    if actor.is_staff:
        if not actor.can_move_money:
            raise PermissionDenied("Your role cannot change automatic top-ups.")
        return
    if actor.customer_id != customer.pk:
        raise PermissionDenied("You can change automatic top-up only for your own account.")
    if not actor.can_manage_billing:
        raise PermissionDenied("Your user may not manage billing.")
