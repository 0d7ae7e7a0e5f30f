"""Make Payment fixtures: the default method settings (a transactional test's flush erases the
data migration's rows, so every test puts them back), exchange rates, and a clean cache."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from paydesk.checkout.models import MethodConfig

DEFAULT_METHODS = [
    ("bank_transfer", "Bank Transfer", True),
    ("paypal", "PayPal", False),
    ("card", "Credit Card", False),
    ("sepa_debit", "SEPA Direct Debit", False),
    ("razorpay", "Razor Pay", False),
    ("paystack", "Pay Stack", False),
    ("nowpayments", "Now Payments", False),
    ("voucher", "Voucher", True),
]


@pytest.fixture(autouse=True)
def method_configs(db):
    for method, name, enabled in DEFAULT_METHODS:
        MethodConfig.objects.get_or_create(
            method=method, defaults={"display_name": name, "enabled": enabled}
        )
    cache.clear()
    yield
    cache.clear()


def configure(method: str = "bank_transfer", **settings: object) -> MethodConfig:
    """Change a method's settings directly (the back office's audited path has its own test)."""
    MethodConfig.objects.filter(method=method).update(**settings)
    return MethodConfig.objects.get(method=method)


@pytest.fixture
def rates(finance_user):
    """rates({"USD": "1.0850", "JPY": "160.5"}, days_ago=0): EUR→X rates, as the ECB gives them."""
    from paydesk.fx.services import rate_set

    def _rates(table: dict[str, str], *, days_ago: int = 0) -> None:
        day = timezone.localdate() - timedelta(days=days_ago)
        for code, rate in table.items():
            rate_set(
                base="EUR",
                quote=code,
                rate=Decimal(rate),
                rate_date=day,
                actor=finance_user,
                source="ECB",
            )

    return _rates
