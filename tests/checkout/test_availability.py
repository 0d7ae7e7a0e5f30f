"""Which Pay via methods a customer is offered (spec §5): enabled and configured, not blocked,
and with at least one currency the customer may pay in that has a usable rate."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import PortalDefaults
from paydesk.checkout.selectors import methods_available_for
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def offered(customer) -> dict[str, tuple[str, ...]]:
    return {m.method: m.currencies for m in methods_available_for(customer=customer)}


def test_by_default_bank_transfer_and_voucher_in_the_account_currency():
    customer = CustomerFactory(currency="USD")
    assert offered(customer) == {"bank_transfer": ("USD",), "voucher": ("USD",)}


def test_methods_without_a_gateway_are_never_offered_even_when_enabled(settings):
    settings.PAYDESK_GATEWAYS = {
        method: path
        for method, path in settings.PAYDESK_GATEWAYS.items()
        if method in ("bank_transfer", "voucher")
    }
    configure("paypal", enabled=True)
    configure("card", enabled=True)
    assert set(offered(CustomerFactory())) == {"bank_transfer", "voucher"}


def test_a_disabled_method_is_not_offered():
    configure("bank_transfer", enabled=False)
    assert set(offered(CustomerFactory())) == {"voucher"}


def test_a_method_blocked_for_the_customer_or_by_default_is_not_offered():
    assert set(offered(CustomerFactory(blocked_methods=["bank_transfer"]))) == {"voucher"}
    PortalDefaults.objects.create(blocked_methods=["voucher"])
    assert set(offered(CustomerFactory())) == {"bank_transfer"}
    # A customer's own list overrides the default one.
    assert set(offered(CustomerFactory(blocked_methods=[]))) == {"bank_transfer", "voucher"}


def test_vouchers_need_allow_vouchers():
    assert "voucher" not in offered(CustomerFactory(allow_vouchers=False))
    PortalDefaults.objects.create(allow_vouchers=False)
    assert "voucher" not in offered(CustomerFactory())
    assert "voucher" in offered(CustomerFactory(allow_vouchers=True))


def test_no_currency_in_common_means_not_offered():
    configure("bank_transfer", currencies=["EUR", "GBP"])
    assert "bank_transfer" not in offered(CustomerFactory(currency="USD"))


def test_only_currencies_with_a_usable_rate_are_offered(rates):
    customer = CustomerFactory(currency="USD", topup_currencies=["EUR", "GBP"])
    assert "bank_transfer" not in offered(customer)  # no rate at all

    rates({"USD": "1.0850"})
    assert offered(customer)["bank_transfer"] == ("EUR",)  # GBP has no rate yet

    rates({"GBP": "0.8700"}, days_ago=30)  # too old
    assert offered(customer)["bank_transfer"] == ("EUR",)

    rates({"GBP": "0.8700"})
    assert offered(customer)["bank_transfer"] == ("EUR", "GBP")


def test_a_fixed_surcharge_in_another_currency_needs_a_rate_to_it(rates):
    configure("bank_transfer", surcharge_fixed=5, amounts_currency="GBP")
    customer = CustomerFactory(currency="USD")
    assert "bank_transfer" not in offered(customer)
    rates({"USD": "1.0850", "GBP": "0.8700"})
    assert offered(customer)["bank_transfer"] == ("USD",)


def test_voucher_is_offered_in_the_account_currency_only():
    customer = CustomerFactory(currency="EUR", topup_currencies=["USD"])
    assert offered(customer)["voucher"] == ("EUR",)


def test_the_data_migration_enables_bank_transfer_and_voucher_only():
    import importlib

    from django.apps import apps

    from paydesk.checkout.models import MethodConfig

    migration = importlib.import_module("paydesk.checkout.migrations.0002_default_method_configs")
    MethodConfig.objects.all().delete()
    migration.create_defaults(apps, None)
    migration.create_defaults(apps, None)  # runs twice harmlessly

    enabled = dict(MethodConfig.objects.values_list("method", "enabled"))
    assert enabled == {
        "bank_transfer": True,
        "voucher": True,
        "paypal": False,
        "card": False,
        "razorpay": False,
        "paystack": False,
        "nowpayments": False,
    }
