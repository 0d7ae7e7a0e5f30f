"""Events are written in the transaction of the money change: none for one that rolled back,
every committed change has its own, and each carries the object as the API shows it — never the
staff comment."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.api.schemas import payment_out
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from paydesk.outhooks.models import Event
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def types_of(payment: Payment) -> list[str]:
    return list(Event.objects.filter(payment=payment).order_by("pk").values_list("type", flat=True))


def test_top_up_writes_completed_and_balance_changed_as_the_api_shows_them(customer):
    payment = payment_create(customer=customer, total="25.50", description="Top-up # secret note")
    assert types_of(payment) == ["payment.completed", "balance.changed"]
    completed, balance = Event.objects.filter(payment=payment).order_by("pk")
    data = json.loads(completed.data)
    api = json.loads(json.dumps(payment_out(payment, "USD", show_balance=True), default=str))
    assert data["reference"] == api["reference"] == payment.reference
    assert data["total"] == {"amount": "25.50", "currency": "USD"}
    assert data["balance_after"] == {"amount": "25.50", "currency": "USD"}
    assert data["refunded"] == {"amount": "0.00", "currency": "USD"}
    assert data["customer_id"] == customer.pk
    assert set(data) - {"customer_id"} == set(api)
    assert "secret note" not in completed.data and "staff_comment" not in completed.data
    assert json.loads(balance.data) == {
        "customer_id": customer.pk,
        "balance": {"amount": "25.50", "currency": "USD"},
        "debit_limit": {"amount": "0.00", "currency": "USD"},
        "available_credit": {"amount": "25.50", "currency": "USD"},
        "payment": payment.reference,
    }


def test_pending_then_completed_and_cancelled(customer):
    first = payment_create(customer=customer, total="10", description="Wire", status="pending")
    second = payment_create(customer=customer, total="5", description="Wire", status="pending")
    assert types_of(first) == ["payment.created"]
    payment_complete(payment=first)
    payment_cancel(payment=second, reason="Never paid")
    assert types_of(first) == ["payment.created", "payment.completed", "balance.changed"]
    assert types_of(second) == ["payment.created", "payment.cancelled"]
    cancelled = json.loads(Event.objects.get(payment=second, type="payment.cancelled").data)
    assert cancelled["status"] == "cancelled" and cancelled["reason"] == "Never paid"


def test_refund_events(customer):
    paid = payment_create(customer=customer, total="30", description="Card")
    refund = refund_create(original=paid, total="10", reason="Asked", status="completed")
    assert types_of(refund) == ["refund.completed", "balance.changed"]
    data = json.loads(Event.objects.get(payment=refund, type="refund.completed").data)
    assert data["relation"] == "refund" and data["original"] == paid.reference
    assert data["total"] == {"amount": "-10.00", "currency": "USD"}


def test_no_event_for_a_change_that_rolled_back(customer):
    with pytest.raises(Boom), transaction.atomic():
        payment_create(customer=customer, total="7", description="Rolled back")
        raise Boom
    pending = payment_create(customer=customer, total="3", description="Wire", status="pending")
    with pytest.raises(Boom), transaction.atomic():
        payment_complete(payment=pending)
        raise Boom
    assert Event.objects.filter(customer=customer).count() == 1  # payment.created only
    with pytest.raises(PaydeskError):  # refused past the available credit: nothing written
        payment_create(customer=customer, total="-100", description="Too big")
    assert list(Event.objects.filter(customer=customer).values_list("type", flat=True)) == [
        "payment.created"
    ]


def test_every_committed_change_has_its_events_over_many_operations():
    rng = random.Random(20)
    customers = [CustomerFactory(currency=c) for c in ("USD", "EUR", "JPY")]
    pending: list[Payment] = []
    expected: dict[int, list[str]] = {}
    for _ in range(150):
        customer = rng.choice(customers)
        roll_back = rng.random() < 0.25
        op = rng.choice(["top_up", "purchase", "pending", "complete", "cancel"])
        settles = op in ("complete", "cancel") and bool(pending)
        try:
            with transaction.atomic():
                if settles:
                    payment = pending.pop(rng.randrange(len(pending)))
                    if op == "complete":
                        payment = payment_complete(payment=payment)
                        made = ["payment.completed", "balance.changed"]
                    else:
                        payment = payment_cancel(payment=payment, reason="Not paid")
                        made = ["payment.cancelled"]
                elif op == "pending":
                    payment = payment_create(
                        customer=customer, total="12", description="Wire", status="pending"
                    )
                    made = ["payment.created"]
                else:
                    total = Decimal(rng.randint(1, 5000)) / 100
                    payment = payment_create(
                        customer=customer,
                        total=total if op == "top_up" else -total,
                        description=op,
                        allow_overdraft=True,
                    )
                    made = ["payment.completed", "balance.changed"]
                if roll_back:
                    raise Boom
        except Boom:
            if settles:
                pending.append(Payment.objects.get(pk=payment.pk))  # still pending
            continue
        expected.setdefault(payment.pk, []).extend(made)
        if payment.status == PaymentStatus.PENDING:
            pending.append(payment)
    written: dict[int, list[str]] = {}
    for payment_id, kind in Event.objects.order_by("pk").values_list("payment_id", "type"):
        written.setdefault(payment_id, []).append(kind)
    assert written == expected
    assert set(written) == set(Payment.objects.values_list("pk", flat=True))
    # balance.changed events chain to each customer's stored balance.
    for customer in customers:
        customer.refresh_from_db()
        last = Event.objects.filter(customer=customer, type="balance.changed").last()
        if last is not None:
            stated = json.loads(last.data)["balance"]["amount"]
            assert Decimal(stated) == customer.balance
