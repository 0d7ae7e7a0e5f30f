"""A top-up through the API whose payment reference was drawn before (one transaction per
request, no savepoint in the ledger: bench P5) is recorded under a new reference and answered
201, never 500; a reference that stays taken is a JSON error with a code, and nothing is
written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import Voucher
from tests.drawn_twice import references_drawn_alike
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BANK_TRANSFER = {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}


def _taken(monkeypatch, times: int = 2) -> Payment:
    """Another customer's payment, holding the reference the request's payment draws next."""
    references_drawn_alike(monkeypatch, times=times)
    return payment_create(customer=CustomerFactory(), total="3", description="Earlier")


def _new_payment(customer) -> Payment:
    return Payment.objects.get(customer=customer)


def test_a_bank_transfer_drawing_a_taken_reference_is_201_with_a_new_one(
    api, customer, bank_details, monkeypatch
):
    taken = _taken(monkeypatch)

    response = api.post("/api/v1/payments", BANK_TRANSFER, **{"Idempotency-Key": "t-1"})

    assert response.status_code == 201, response.content
    payment = _new_payment(customer)
    body = response.json()
    assert body["payment"]["reference"] == payment.reference != taken.reference
    assert body["bank_details"]["reference"] == payment.reference
    assert payment.status == "pending" and payment.total == Decimal("100")
    customer.refresh_from_db()
    assert customer.balance == 0
    events = Event.objects.filter(payment=payment)
    assert [e.type for e in events] == ["payment.created"]
    assert payment.reference in events[0].data
    assert not Event.objects.filter(payment__isnull=True).exists()


def test_a_voucher_drawing_a_taken_reference_is_201_with_a_new_one(api, customer, monkeypatch):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="15", actor=None)
    taken = _taken(monkeypatch)

    response = api.post(
        "/api/v1/payments",
        {"method": "voucher", "code": code, "currency": "USD"},
        **{"Idempotency-Key": "v-1"},
    )

    assert response.status_code == 201, response.content
    payment = _new_payment(customer)
    assert response.json()["payment"]["reference"] == payment.reference != taken.reference
    customer.refresh_from_db()
    assert customer.balance == payment.balance_after == Decimal("15")
    assert Voucher.objects.get().redemption_payment_id == payment.pk
    types = list(Event.objects.filter(payment=payment).values_list("type", flat=True))
    assert types == ["payment.completed", "balance.changed"]
    assert not Event.objects.filter(payment__isnull=True).exists()


@pytest.mark.parametrize("method", ["bank_transfer", "voucher"])
def test_a_reference_that_stays_taken_is_a_json_error_and_writes_nothing(
    api, customer, bank_details, monkeypatch, method
):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="15", actor=None)
    _taken(monkeypatch, times=100)
    body = BANK_TRANSFER if method == "bank_transfer" else {
        "method": "voucher", "code": code, "currency": "USD"
    }  # fmt: skip

    response = api.post("/api/v1/payments", body, **{"Idempotency-Key": "s-1"})

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "payment_error"
    assert not Payment.objects.filter(customer=customer).exists()
    customer.refresh_from_db()
    assert customer.balance == 0
    assert Voucher.objects.get().status == "available"
