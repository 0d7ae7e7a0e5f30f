"""The demo data: a believable year for two customers, posted through the real ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_the_demo_s_cancel_reasons_speak_to_the_customer_who_reads_them():
    """A customer's own payment page read "Reason: The customer left the PayPal checkout
    without paying."; the gateways' own reasons say "You closed the Razorpay checkout…"."""
    seed_demo(now=NOW)
    reasons = set(
        Payment.objects.filter(status="cancelled").values_list("cancel_reason", flat=True)
    )
    assert "You left the PayPal checkout without paying." in reasons
    assert [reason for reason in reasons if "the customer" in reason.lower()] == []


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


# --- the demo's webhook endpoint and its deliveries --------------------------------------------


def test_the_demo_endpoint_has_deliveries_as_the_worker_leaves_them(settings):
    from paydesk.demo.seed import seed_demo_webhook
    from paydesk.demo.webhooks import HISTORY_DAYS
    from paydesk.outhooks.delivery import deliveries_send_due
    from paydesk.outhooks.models import Delivery, Endpoint, Event

    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True  # the demo's receiver is on this machine
    seed_demo(now=NOW)
    seed_demo_webhook(base_url="http://127.0.0.1:8000", now=NOW)
    endpoint = Endpoint.objects.get()
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    states = {state: [d for d in deliveries if d.status == state] for state in
              ("delivered", "pending", "failed")}  # fmt: skip
    assert len(states["delivered"]) >= 20 and len(deliveries) == sum(map(len, states.values()))
    for delivery in states["delivered"]:
        (attempt,) = delivery.log.all()
        assert attempt.ok and attempt.status_code == 200 and delivery.attempts == 1
        assert delivery.event.created_at < delivery.delivered_at == attempt.at <= NOW
    (given_up,) = states["failed"]
    assert given_up.give_up_at <= given_up.given_up_at <= NOW
    assert given_up.log.count() == given_up.attempts > 1
    assert not given_up.log.filter(ok=True).exists()
    (pending,) = states["pending"]
    assert pending.next_attempt_at > NOW and pending.attempts >= 1
    assert pending.log.count() == pending.attempts and not pending.log.filter(ok=True).exists()
    # Ordered: the pending one is its customer's newest (it holds nothing that was delivered).
    assert not deliveries.filter(customer_id=pending.customer_id, event_id__gt=pending.event_id)
    assert given_up.customer_id != pending.customer_id
    # The history covers the last days only, and the worker sends nothing of the seed now.
    assert min(d.event.created_at for d in deliveries) >= NOW - timedelta(days=HISTORY_DAYS)
    assert not Event.objects.filter(dispatched=False).exists()
    assert deliveries_send_due(now=NOW) == 0
    assert Delivery.objects.filter(status="delivered").count() == len(states["delivered"])
    # Restarted on a kept database: the endpoint and its history are kept as they are.
    seed_demo_webhook(base_url="http://127.0.0.1:8001", now=NOW)
    assert Delivery.objects.count() == len(deliveries)


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
    # A bonus of 100% of the top-up has no bound: the demo's Administrator gave the second
    # approval, so its code redeems.
    assert (bonus_batch.approval, bonus_batch.decided_by.email) == ("approved", "admin@example.com")
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
