"""Template context of every page: whether the signed-in user may make payments for their
customer (paydesk.accounts.payers), for the pages that offer paying (Make Payment, Resume, a
transfer's Cancel). The views that pay decide again; this only keeps the offer in step."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

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
