"""The demo data: a believable year for two customers, posted through the real ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import RequestFactory

from paydesk.accounts.models import Customer, User
from paydesk.demo.seed import DEMO_LOGINS, seed_demo
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
    bookkeeper = User.objects.get(email="bookkeeper@example.com")
    assert bookkeeper.customer == acme and not bookkeeper.can_make_payments
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
