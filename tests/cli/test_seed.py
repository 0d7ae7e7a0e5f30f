"""The demo data: a believable year for two customers, posted through the real ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import RequestFactory

from paydesk.accounts.models import Customer, User
from paydesk.demo.customers import DEMO_LOGINS
from paydesk.demo.seed import seed_demo, seed_demo_vouchers
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.money import decimal_places

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_two_customers_with_a_year_of_payments_and_no_drift():
    acme, nordlicht = seed_demo(now=NOW)
    assert (acme.currency, nordlicht.currency) == ("USD", "EUR")
    assert acme.debit_limit > 0 and acme.minimum_payment > 0
    assert acme.contacts.exists()
    for customer in (acme, nordlicht):
        payments = Payment.objects.filter(customer=customer)
        assert payments.count() >= 200
        oldest = payments.order_by("created_at").first()
        assert (NOW - oldest.created_at).days >= 360
        assert payments.filter(created_at__gt=NOW).count() == 0
        assert payments.filter(status="pending").exists()
        assert payments.filter(status="cancelled").exclude(cancel_reason="").exists()
        assert payments.filter(total__lt=0, status="completed").count() >= 100
        assert payments.filter(total__gt=0, status="completed").count() >= 30
        assert any(decimal_places(p.total) > 2 for p in payments.filter(total__lt=0))
        latest = payments.filter(status="completed").order_by("-completed_at", "-id").first()
        assert latest.balance_after == customer.balance
    assert balance_drifts() == []
    commented = Payment.objects.get(customer=acme, description="PayPal 87878787744")
    assert commented.staff_comment == "payment from the demo"


def test_every_demo_login_signs_in_with_its_password():
    acme, nordlicht = seed_demo(now=NOW)
    request = RequestFactory().post("/accounts/login/")
    for login in DEMO_LOGINS:
        user = authenticate(request, username=login.email, password=login.password)
        assert user is not None, login.email
    roles = dict(User.objects.values_list("email", "staff_role"))
    assert (roles["admin@example.com"], roles["finance@example.com"]) == ("admin", "finance")
    assert roles["support@example.com"] == "support"
    customer_user = User.objects.get(email="customer@example.com")
    assert customer_user.customer == acme and customer_user.can_make_payments
    assert customer_user.can_manage_billing
    bookkeeper = User.objects.get(email="bookkeeper@example.com")
    assert bookkeeper.customer == acme and not bookkeeper.can_make_payments
    assert not bookkeeper.can_manage_billing
    assert User.objects.get(email="eur@example.com").customer == nordlicht


def test_the_same_history_every_time():
    def history() -> list[tuple]:
        return list(
            Payment.objects.order_by("customer__name", "occurred_at", "id").values_list(
                "customer__name", "occurred_at", "total", "status", "description", "staff_comment"
            )
        )

    with transaction.atomic():
        seed_demo(now=NOW)
        first = history()
        transaction.set_rollback(True)
    assert not Customer.objects.exists()
    seed_demo(now=NOW)
    assert history() == first


# --- demo exchange rates and vouchers ----------------------------------------------------------


def test_the_demo_rates_are_dated_that_day_so_other_currencies_can_be_quoted():
    from paydesk.fx.selectors import convert, rate_for

    seed_demo(now=NOW)
    day = NOW.date()
    for quote in ("USD", "GBP", "JPY"):
        rate = rate_for(base="EUR", quote=quote, on=day)
        assert rate is not None and rate.rate_date == day and rate.source == "demo"
    # Both ways and across: a EUR customer can be quoted a USD top-up and the reverse.
    assert convert(amount="100", from_currency="EUR", to_currency="USD", on=day).amount == (
        Decimal("108.50")
    )
    assert rate_for(base="USD", quote="EUR", on=day) is not None
    assert rate_for(base="GBP", quote="JPY", on=day) is not None


def test_the_demo_vouchers_are_unused_real_codes_and_redeem():
    from django.core.cache import cache

    from paydesk.vouchers.codes import voucher_code_hash, voucher_code_is_well_formed
    from paydesk.vouchers.models import Voucher, VoucherBatch
    from paydesk.vouchers.services import voucher_redeem

    cache.clear()
    acme, _nordlicht = seed_demo(now=NOW)
    vouchers = seed_demo_vouchers()
    free_batch = VoucherBatch.objects.get(note="Demo: free credit")
    bonus_batch = VoucherBatch.objects.get(note="Demo: bonus on the next top-up")
    assert (free_batch.currency, free_batch.minimum_activation, free_batch.addition) == (
        "USD", 0, Decimal(25)
    )  # fmt: skip
    assert (bonus_batch.minimum_activation, bonus_batch.multiplier, bonus_batch.addition) == (
        Decimal(50), Decimal(2), Decimal(5)
    )  # fmt: skip
    assert free_batch.created_by.email == "finance@example.com"
    for code, batch in ((vouchers.free_credit, free_batch), (vouchers.bonus, bonus_batch)):
        assert voucher_code_is_well_formed(code)
        voucher = Voucher.objects.get(code_hash=voucher_code_hash(code))
        assert voucher.batch == batch and voucher.status == "available"
    user = User.objects.get(email="customer@example.com")
    before = acme.balance

    def redeem(code):
        return voucher_redeem(
            code=code, customer=acme, currency="USD", user=user, ip_address="127.0.0.1"
        )

    credit = redeem(vouchers.free_credit)
    acme.refresh_from_db()
    assert credit.payment.total == Decimal(25)
    assert acme.balance == before + Decimal(25)
    armed = redeem(vouchers.bonus)
    assert armed.activation is not None and armed.payment is None
    assert balance_drifts() == []
    cache.clear()


def test_paydesk_demo_prints_one_free_credit_code_and_one_bonus_code_beside_the_logins():
    import io

    from paydesk.cli.management.commands.demo import Command as DemoCommand

    seed_demo(now=NOW)
    vouchers = seed_demo_vouchers(count=1)
    out = io.StringIO()
    command = DemoCommand(stdout=out)
    command.demo_vouchers = vouchers
    command.print_welcome("127.0.0.1", 8000)
    text = out.getvalue()
    assert "customer@example.com" in text
    free_line = next(line for line in text.splitlines() if vouchers.free_credit in line)
    bonus_line = next(line for line in text.splitlines() if vouchers.bonus in line)
    assert "Free credit, $25.00" in free_line
    assert "Bonus voucher" in bonus_line
    assert "at least $50.00 then earns a bonus of 100% of the top-up plus $5.00" in text
