"""quality.md R4 for the Make Payment form: the same submission 8 times at once → one payment;
and R5's core for gateway events: the same event 10 times at once → one credit.

Threads with their own database connections (and their own test clients); on PostgreSQL the
unique index on (customer, form token) decides, on SQLite the IMMEDIATE transactions queue.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.models import EventResult, PaymentLogEntry, Quote
from paydesk.checkout.services import checkout_start
from paydesk.gateways.base import GatewayEvent, Outcome
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.money import Money
from tests.factories import CustomerFactory, PortalUserFactory
from tests.vouchers.conftest import run_at_once

SUBMISSIONS = 8
TOKEN = "the-one-form-token-0123456789"


def _eight_identical_form_posts(rates):
    rates({"USD": "1.0850"})
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "EUR"])
    user = PortalUserFactory(customer=customer)
    clients = []
    for _ in range(SUBMISSIONS):
        client = Client()
        client.force_login(user)
        clients.append(client)
    form = {
        "method": "bank_transfer",
        "form_token": TOKEN,
        "bank_transfer-amount": "100.00",
        "bank_transfer-currency": "EUR",
        "action": "pay",
    }

    outcomes = run_at_once(SUBMISSIONS, lambda i: clients[i].post("/pay/", form))

    assert [getattr(o, "status_code", o) for o in outcomes] == [302] * SUBMISSIONS
    payment = Payment.objects.get()
    assert {o["Location"] for o in outcomes} == {f"/transfers/{payment.reference}/"}
    assert (payment.status, payment.total, payment.paid_amount) == (
        PaymentStatus.PENDING,
        Decimal("108.50"),
        Decimal("100.00"),
    )
    assert Quote.objects.get().payment == payment
    # Every answer names the same reference.
    for outcome in outcomes:
        messages = [m.message for m in outcome.wsgi_request._messages]
        assert any(payment.reference in m for m in messages), messages


@pytest.mark.django_db(transaction=True)
def test_8_identical_make_payment_posts_at_once_make_one_payment_on_sqlite(rates):
    _eight_identical_form_posts(rates)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_identical_make_payment_posts_at_once_make_one_payment_on_postgresql(rates):
    _eight_identical_form_posts(rates)


def _ten_replays_credit_once():
    customer = CustomerFactory(currency="USD")
    user = PortalUserFactory(customer=customer)
    checkout = checkout_start(
        customer=customer,
        user=user,
        method="bank_transfer",
        amount="50",
        currency="USD",
        idempotency_key=TOKEN,
    )
    event = GatewayEvent(
        gateway="bank_transfer",
        event_id="bank-statement-line-77",
        outcome=Outcome.COMPLETED,
        payment_reference=checkout.payment.reference,
        amount=Money("50.00", "USD"),
    )

    outcomes = run_at_once(10, lambda i: gateway_event_apply(event=event))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 9
    assert PaymentLogEntry.objects.get().result == EventResult.APPLIED
    customer.refresh_from_db()
    assert customer.balance == Decimal("50.00")
    assert balance_drifts() == []


@pytest.mark.django_db(transaction=True)
def test_the_same_gateway_event_10_times_at_once_credits_once_on_sqlite():
    _ten_replays_credit_once()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_gateway_event_10_times_at_once_credits_once_on_postgresql():
    _ten_replays_credit_once()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_events_completing_one_payment_at_once_credit_once():
    customer = CustomerFactory(currency="USD")
    user = PortalUserFactory(customer=customer)
    checkout = checkout_start(
        customer=customer,
        user=user,
        method="bank_transfer",
        amount="50",
        currency="USD",
        idempotency_key=TOKEN,
    )

    def apply(i: int):
        return gateway_event_apply(
            event=GatewayEvent(
                gateway="bank_transfer",
                event_id=f"evt-{i}",
                outcome=Outcome.COMPLETED,
                payment_reference=checkout.payment.reference,
                amount=Money("50", "USD"),
            )
        )

    outcomes = run_at_once(8, apply)

    results = sorted(o.entry.result for o in outcomes)
    assert results == [EventResult.APPLIED] + [EventResult.IGNORED] * 7
    customer.refresh_from_db()
    assert customer.balance == Decimal("50")
