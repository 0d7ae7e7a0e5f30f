"""The event rows' JSON is written directly (outhooks/events.py `payment_json`, `balance_json`),
not through the generic encoder: it must be byte for byte what `json_text` makes of the API's
own shape (`payment_data`, `balance_data`) — for every kind of payment, currency and text."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.hooks import PaymentChange
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import (
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import currency_exponent, plain_amount, round_half_up
from paydesk.outhooks.events import (
    balance_data,
    balance_json,
    json_text,
    payment_data,
    payment_json,
)
from paydesk.outhooks.models import Event
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "Top-up",
    'Quote " and \\ backslash',
    "Ünïcødé 日本 €",
    "tab\there\nnewline",
    "Line\u2028sep",
]


def generic(payment: Payment) -> str:
    copy = Payment.objects.select_related("customer").get(pk=payment.pk)
    return json_text(payment_data(copy))


def direct(payment: Payment) -> str:
    copy = Payment.objects.select_related("customer").get(pk=payment.pk)
    return payment_json(copy)


def test_payment_json_is_byte_for_byte_the_generic_text_of_every_kind_of_payment():
    rng = random.Random(7)
    payments = []
    for currency in ("USD", "JPY", "KWD"):
        customer = CustomerFactory(currency=currency, debit_limit=Decimal("100"))
        for n, text in enumerate(TEXTS):
            total = Decimal(rng.randint(1, 900000)) / Decimal(10) ** rng.randint(0, 4)
            payments.append(payment_create(customer=customer, total=total, description=text))
            pending = payment_create(
                customer=customer, total=total, description=text, status="pending"
            )
            payments.append(pending)
            if n % 2:
                payment_pending_note(payment=pending, reason=f"Waiting {text}")
                payments.append(payment_cancel(payment=pending, reason=f"Gone {text}"))
            else:
                payments.append(payment_complete(payment=pending))
        paid = payment_create(customer=customer, total="30.125", description="Card")
        payments.append(paid)
        payments.append(refund_create(original=paid, total="10", reason="Asked"))
        # A chargeback's reason stored as Stripe's code: both texts carry it in Stripe's words.
        card = payment_create(customer=customer, total="20", description="Card", method="card")
        lost = dispute_apply(
            original=card, gateway="card", dispute_id=f"dp_{currency}", stage="lost",
            reason="fraudulent",
        )  # fmt: skip
        assert lost.posted is not None and "fraudulent" not in direct(lost.posted)
        payments.append(lost.posted)
        payments.append(payment_create(customer=customer, total="-0.0001", description="Fee"))
    for payment in payments:
        assert direct(payment) == generic(payment)


def test_the_json_written_to_the_event_rows_is_the_generic_text(customer):
    payment = payment_create(customer=customer, total="25.5", description='Top-up "€"')
    completed, balance = Event.objects.filter(payment=payment).order_by("pk")
    assert completed.data == generic(payment)
    change = PaymentChange(
        kind="created", payment=payment, balance=Decimal("25.5000"), debit_limit=Decimal(0)
    )
    assert balance.data == json_text(balance_data(change)) == balance_json(change)


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "BHD"])
def test_balance_json_is_the_generic_text_for_any_amounts(currency):
    customer = CustomerFactory(currency=currency)
    payment = payment_create(customer=customer, total="1", description="Top-up")
    rng = random.Random(currency)
    for _ in range(200):
        balance = Decimal(rng.randint(-(10**9), 10**9)).scaleb(-rng.randint(0, 4))
        limit = rng.choice([None, Decimal(0), Decimal(rng.randint(0, 10**6)).scaleb(-4)])
        change = PaymentChange(kind="created", payment=payment, balance=balance, debit_limit=limit)
        assert balance_json(change) == json_text(balance_data(change))


def test_plain_amount_is_the_amount_at_its_full_places_rounded_half_up():
    rng = random.Random(3)
    for currency in ("USD", "JPY", "KWD", "CLF"):
        for _ in range(500):
            amount = Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 6))
            places = max(currency_exponent(currency), -amount.normalize().as_tuple().exponent)
            assert plain_amount(amount, currency) == f"{round_half_up(amount, places):f}"
    assert plain_amount(Decimal("-0.00"), "USD") == "-0.00"
    assert plain_amount(Decimal("12.3400"), "USD") == "12.34"
    assert plain_amount(Decimal("0.0125"), "USD") == "0.0125"
    assert plain_amount(Decimal("7"), "JPY") == "7"
