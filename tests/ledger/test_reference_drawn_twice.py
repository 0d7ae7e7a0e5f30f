"""A payment reference drawn twice (50 random bits: over tens of millions of payments, once)
is drawn again by the ledger: the payment is recorded under a new one, with its balance and
its event rows, whether or not payment_create has a savepoint of its own (the API's
one-transaction requests call it without). A reference that stays taken is a PaymentError and
writes nothing. History imports draw again too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.errors import PaymentError
from paydesk.ledger.imports import HistoryEntry, history_post
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event
from tests.drawn_twice import references_drawn_alike
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def taken(monkeypatch):
    """A payment of another customer holding the reference the next payment draws first."""
    references_drawn_alike(monkeypatch, times=2)
    return payment_create(customer=CustomerFactory(), total="3", description="Earlier")


def _events(payment):
    return list(Event.objects.filter(payment=payment).values_list("type", flat=True))


@pytest.mark.parametrize("savepoint", [True, False])
def test_a_top_up_drawing_a_taken_reference_is_recorded_under_a_new_one(customer, taken, savepoint):
    with transaction.atomic():
        payment = payment_create(
            customer=customer, total="25", description="Top-up", savepoint=savepoint
        )

    stored = Payment.objects.get(pk=payment.pk)
    assert stored.reference == payment.reference != taken.reference
    assert Payment.objects.get(pk=taken.pk).reference == taken.reference
    customer.refresh_from_db()
    assert customer.balance == stored.balance_after == Decimal("25")
    assert _events(stored) == ["payment.completed", "balance.changed"]
    assert payment.reference in Event.objects.get(payment=stored, type="balance.changed").data
    assert not Event.objects.filter(payment__isnull=True).exists()
    assert Event.objects.count() == 4  # the earlier payment's two, this one's two


def test_a_pending_payment_drawing_a_taken_reference_gets_a_new_one(customer, taken):
    with transaction.atomic():
        payment = payment_create(
            customer=customer,
            total="40",
            description="Bank transfer",
            method="bank_transfer",
            status="pending",
            savepoint=False,
        )

    assert Payment.objects.get(pk=payment.pk).reference == payment.reference != taken.reference
    assert _events(payment) == ["payment.created"]
    assert not Event.objects.filter(payment__isnull=True).exists()


def test_a_used_idempotency_key_still_breaks_the_callers_transaction(customer, monkeypatch):
    """Only the reference's conflict is drawn again: a used key is the caller's to answer."""
    from django.db import IntegrityError

    payment_create(customer=customer, total="5", description="Top-up", idempotency_key="k")
    references_drawn_alike(monkeypatch, times=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_create(
            customer=customer, total="7", description="Top-up", idempotency_key="k", savepoint=False
        )
    customer.refresh_from_db()
    assert customer.balance == Decimal("5") and Payment.objects.count() == 1


@pytest.mark.parametrize("savepoint", [True, False])
def test_a_reference_that_stays_taken_is_a_payment_error_and_writes_nothing(
    customer, monkeypatch, savepoint
):
    references_drawn_alike(monkeypatch, times=100)
    earlier = payment_create(customer=CustomerFactory(), total="3", description="Earlier")

    with pytest.raises(PaymentError, match="reference"), transaction.atomic():
        payment_create(customer=customer, total="25", description="Top-up", savepoint=savepoint)

    assert list(Payment.objects.values_list("pk", flat=True)) == [earlier.pk]
    customer.refresh_from_db()
    assert customer.balance == 0
    assert not Event.objects.exclude(payment=earlier).exists()


def _history(count: int) -> Iterator[HistoryEntry]:
    start = datetime(2024, 6, 1, tzinfo=UTC)
    for n in range(count):
        yield HistoryEntry(
            occurred_at=start + timedelta(days=n),
            total=Decimal("10"),
            status="completed",
            description=f"Old top-up {n}",
        )


def test_imported_history_drawing_a_taken_reference_is_posted_under_new_ones(customer, taken):
    ids = history_post(customer=customer, entries=_history(3))

    references = [Payment.objects.get(pk=pk).reference for pk in ids]
    assert len(set(references)) == 3 and taken.reference not in references
    customer.refresh_from_db()
    assert customer.balance == Decimal("30")


def test_imported_history_drawing_one_reference_twice_in_a_batch_is_posted(customer, monkeypatch):
    references_drawn_alike(monkeypatch, times=2)
    ids = history_post(customer=customer, entries=_history(2))

    assert len({Payment.objects.get(pk=pk).reference for pk in ids}) == 2
    customer.refresh_from_db()
    assert customer.balance == Decimal("20")
