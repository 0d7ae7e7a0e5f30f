"""A completed payment given an explicit time (`at=`) is refused when dated before the customer's
latest completed payment: the running balance (`balance_after`) is read in time order, so history
goes forward only (docs/import.md) — on every path, not only the import's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from paydesk.errors import PaymentError
from paydesk.ledger.imports import BackdatedEntry
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EARLIER = T0 - timedelta(seconds=1)


def chain(customer) -> list[tuple[Decimal, Decimal]]:
    """(total, balance after) of the completed payments, in statement order."""
    return list(
        Payment.objects.filter(customer=customer, status="completed")
        .order_by("occurred_at", "id")
        .values_list("total", "balance_after")
    )


def test_a_completed_payment_dated_before_the_latest_completed_one_is_refused(customer):
    payment_create(customer=customer, total="50", description="Top-up", at=T0)
    with pytest.raises(BackdatedEntry) as refused:
        payment_create(customer=customer, total="10", description="Late credit", at=EARLIER)
    assert refused.value.field == "at"
    assert "before" in refused.value.message and "forward in time" in refused.value.message
    customer.refresh_from_db()
    assert customer.balance == Decimal("50")  # the balance UPDATE went back with the refusal
    assert chain(customer) == [(Decimal("50"), Decimal("50"))]
    assert balance_drifts() == []


def test_a_backdated_purchase_is_refused_too(customer):
    payment_create(customer=customer, total="50", description="Top-up", at=T0)
    with pytest.raises(BackdatedEntry):
        payment_create(customer=customer, total="-5", description="DID rental", at=EARLIER)
    customer.refresh_from_db()
    assert customer.balance == Decimal("50")


def test_the_same_time_or_later_is_accepted_and_the_chain_stays_in_order(customer):
    payment_create(customer=customer, total="50", description="Top-up", at=T0)
    payment_create(customer=customer, total="-20", description="Package", at=T0)
    payment_create(customer=customer, total="5", description="Credit", at=T0 + timedelta(days=1))
    assert chain(customer) == [
        (Decimal("50"), Decimal("50")),
        (Decimal("-20"), Decimal("30")),
        (Decimal("5"), Decimal("35")),
    ]
    assert balance_drifts() == []


def test_pending_and_cancelled_payments_may_be_dated_anywhere(customer):
    payment_create(customer=customer, total="50", description="Top-up", at=T0)
    pending = payment_create(
        customer=customer, total="9", description="Card", status="pending", at=EARLIER
    )
    payment_create(customer=customer, total="7", description="Card", status="cancelled", at=EARLIER)
    payment_cancel(payment=pending, reason="Abandoned", at=EARLIER)
    assert Payment.objects.filter(customer=customer).count() == 3


def test_another_customers_payments_do_not_count(customer):
    other = CustomerFactory(currency="USD")
    payment_create(customer=other, total="50", description="Top-up", at=T0)
    payment_create(customer=customer, total="10", description="Top-up", at=EARLIER)
    assert chain(customer) == [(Decimal("10"), Decimal("10"))]


def test_completing_a_pending_payment_with_an_earlier_time_is_refused(customer):
    pending = payment_create(
        customer=customer, total="30", description="Bank transfer", status="pending",
        method="bank_transfer", at=T0 - timedelta(days=3),
    )  # fmt: skip
    payment_create(customer=customer, total="50", description="Top-up", at=T0)
    with pytest.raises(BackdatedEntry):
        payment_complete(payment=pending, at=T0 - timedelta(days=1))
    pending.refresh_from_db()
    customer.refresh_from_db()
    assert (pending.status, customer.balance) == ("pending", Decimal("50"))

    payment_complete(payment=pending, at=T0 + timedelta(hours=1))
    assert chain(customer) == [(Decimal("50"), Decimal("50")), (Decimal("30"), Decimal("80"))]


def test_a_backdated_completed_refund_is_refused(customer):
    paid = payment_create(customer=customer, total="50", description="Top-up", at=T0)
    payment_create(customer=customer, total="-5", description="Calls", at=T0 + timedelta(hours=2))
    with pytest.raises(BackdatedEntry):
        refund_create(
            original=paid, total="10", reason="Unused", status="completed",
            at=T0 + timedelta(hours=1),
        )  # fmt: skip
    assert not Payment.objects.filter(relation="refund").exists()


def test_a_time_without_a_time_zone_is_refused_clearly(customer):
    with pytest.raises(PaymentError, match="time zone") as refused:
        payment_create(
            customer=customer, total="5", description="Top-up", at=datetime(2026, 3, 2, 9, 30)
        )
    assert refused.value.field == "at"
    assert not Payment.objects.filter(customer=customer).exists()
