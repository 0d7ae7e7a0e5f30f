"""Template context of every page: whether the signed-in user may make payments for their
customer (paydesk.accounts.payers), for the pages that offer paying (Make Payment, Resume, a
transfer's Cancel), and whether they may manage its billing (paydesk.accounts.billing_managers),
for the pages that offer the billing pages (the Billing link, "Saved payment methods", automatic
top-up's form). The views decide again; this only keeps the offer in step."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

from paydesk.accounts.billing_managers import may_manage_own_billing
from paydesk.accounts.payers import may_make_payments


def payer(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    @cache
    def may() -> bool:
        user: Any = getattr(request, "user", None)
        if not getattr(user, "customer_id", None):
            return False
        return may_make_payments(user=user, customer=user.customer)

    # A template calls it only where it asks (Django calls a callable it is given), so a page
    # that offers no payment reads nothing for it.
    return {"may_make_payments": may}


def billing_manager(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    @cache
    def may() -> bool:
        return may_manage_own_billing(getattr(request, "user", None))

    return {"may_manage_billing": may}
