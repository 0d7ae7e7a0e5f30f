"""The low-balance banner: every portal page of a customer shows it while the available credit
is under one of their low-balance alerts' thresholds."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest

from paydesk.autotopup.models import BalanceAlert
from paydesk.money import format_money


def low_balance(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    customer_id = getattr(user, "customer_id", None) if user is not None else None
    if user is None or not customer_id or user.is_staff:
        return {}
    fired = (
        BalanceAlert.objects.filter(
            customer_id=customer_id,
            threshold__gt=F("customer__balance") + F("customer__debit_limit"),
        )
        .select_related("customer")
        .order_by("threshold")
        .first()
    )
    if fired is None:
        return {}
    customer = fired.customer
    return {
        "low_balance": {
            "threshold": format_money(fired.threshold, customer.currency),
            "available": format_money(customer.balance + customer.debit_limit, customer.currency),
            "postpaid": customer.debit_limit > 0,
        }
    }
