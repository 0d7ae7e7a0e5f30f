"""The staff API's refund (with Idempotency-Key) and disputes; payments carry relation, original
and, for a top-up, what was refunded — for staff and for the customer."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.api.conftest import ApiClient, key_for
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(finance_user) -> ApiClient:
    return ApiClient(key_for(finance_user))


def refund_path(payment) -> str:
    return f"/api/v1/staff/payments/{payment.reference}/refund"


def test_a_partial_refund_once_per_idempotency_key(finance, card_gateway, customer):
    payment = card_payment(customer)
    body = {"total": "20.00", "reason": "Unused minutes"}
    first = finance.post(refund_path(payment), body, **{"Idempotency-Key": "r-1"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["total"] == {"amount": "-20.00", "currency": "USD"}
    assert (data["relation"], data["original"], data["status"]) == (
        "refund",
        payment.reference,
        "completed",
    )
    assert data["refunded"] is None
    again = finance.post(refund_path(payment), body, **{"Idempotency-Key": "r-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Payment.objects.filter(original=payment).count() == 1
    assert len(card_gateway.requests) == 1
    assert AuditEntry.objects.filter(action="payment.refund").count() == 1
    listed = finance.get("/api/v1/staff/payments", {"customer_id": customer.pk}).json()["data"]
    by_ref = {row["reference"]: row for row in listed}
    assert by_ref[payment.reference]["refunded"] == {"amount": "20.00", "currency": "USD"}
    detail = finance.get("/api/v1/staff/payments", {"customer_id": customer.pk, "q": "top-up"})
    assert detail.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"total": "60", "reason": "x"}, 422, "refund_refused", "total"),
        ({"total": "abc", "reason": "x"}, 422, "invalid_amount", "total"),
        ({"total": "5", "reason": " "}, 422, "payment_error", "reason"),
        ({"total": "5", "reason": "x", "outside": True}, 422, "payment_error", "outside"),
        ({"total": 5, "reason": "x"}, 400, "invalid_request", "total"),
    ],
)
def test_refusals_are_json_errors_with_codes(
    finance, card_gateway, customer, body, status, code, field
):
    payment = card_payment(customer)
    response = finance.post(refund_path(payment), body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert not Payment.objects.filter(original=payment).exists()


def test_insufficient_credit_unless_allow_overdraft(finance, card_gateway, customer):
    payment = card_payment(customer)
    payment_create(customer=customer, total="-45", description="Calls", method="manual")
    refused = finance.post(refund_path(payment), {"reason": "Asked"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "insufficient_credit"
    allowed = finance.post(refund_path(payment), {"reason": "Asked", "allow_overdraft": True})
    assert allowed.status_code == 201
    customer.refresh_from_db()
    assert customer.balance == Decimal("-45.00")


def test_support_and_read_only_keys_are_refused(support_user, finance_user, card_gateway, customer):
    payment = card_payment(customer)
    support = ApiClient(key_for(support_user)).post(refund_path(payment), {"reason": "x"})
    assert support.status_code == 403
    assert support.json()["error"]["code"] == "permission_denied"
    read_only = ApiClient(key_for(finance_user, "read")).post(refund_path(payment), {"reason": "x"})
    assert read_only.status_code == 403
    missing = ApiClient(key_for(finance_user)).post(
        "/api/v1/staff/payments/PD-NOPE/refund", {"reason": "x"}
    )
    assert missing.status_code == 404
    assert not Payment.objects.filter(original=payment).exists()


def test_a_bank_transfer_refund_is_recorded_outside(finance, customer):
    payment = payment_create(
        customer=customer, total="30", description="Wire", method="bank_transfer"
    )
    response = finance.post(
        refund_path(payment), {"reason": "Closed", "outside": True, "note": "OUT-9"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["staff_comment"] == "OUT-9"


def test_the_customer_api_shows_the_link_and_the_refunded_amount(
    finance, card_gateway, api, portal_user
):
    payment = card_payment(portal_user.customer)
    finance.post(refund_path(payment), {"total": "12.50", "reason": "Goodwill"})
    rows = {r["reference"]: r for r in api.get("/api/v1/payments").json()["data"]}
    refund = next(r for r in rows.values() if r["relation"] == "refund")
    assert refund["original"] == payment.reference
    assert "staff_comment" not in refund
    assert rows[payment.reference]["refunded"] == {"amount": "12.50", "currency": "USD"}
    one = api.get(f"/api/v1/payments/{payment.reference}").json()
    assert one["refunded"] == {"amount": "12.50", "currency": "USD"}


def test_staff_read_disputes(support_user, customer):
    payment = card_payment(customer)
    due = datetime.datetime(2027, 1, 15, 12, 0, tzinfo=datetime.UTC)
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_9", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="fraudulent", evidence_due=due,
    )  # fmt: skip
    dispute_apply(original=payment, gateway="card", dispute_id="dp_9", stage="lost")
    other = card_payment(customer, n=2)
    dispute_apply(original=other, gateway="card", dispute_id="dp_10", stage="opened")
    support = ApiClient(key_for(support_user))
    rows = support.get("/api/v1/staff/disputes").json()
    assert [r["dispute_id"] for r in rows] == ["dp_10", "dp_9"]  # open first
    lost = support.get("/api/v1/staff/disputes", {"status": "lost"}).json()
    assert len(lost) == 1
    assert lost[0]["payment"] == payment.reference
    assert lost[0]["amount"] == {"amount": "50.00", "currency": "USD"}
    assert lost[0]["reason"] == "fraudulent"
    chargeback = Payment.objects.get(original=payment, relation="chargeback")
    assert lost[0]["chargeback"] == chargeback.reference
    assert lost[0]["evidence_due"].startswith("2027-01-15")
    by_payment = support.get("/api/v1/staff/disputes", {"payment": other.reference}).json()
    assert [r["dispute_id"] for r in by_payment] == ["dp_10"]


def test_a_dispute_lists_the_refunds_the_payer_already_got(support_user, finance_user, customer):
    """The evidence Finance sends the gateway, as the dispute's back-office page lists it:
    completed and pending refunds, oldest first; a declined one is not there."""
    from paydesk.ledger.refunds import refund_create, refund_settle

    payment = card_payment(customer)
    done = [
        refund_create(
            original=payment, total=total, reason="Asked", actor=finance_user, status="completed"
        )
        for total in ("3.00", "1.00")
    ]
    pending = refund_create(
        original=payment, total="2.00", reason="Asked", actor=finance_user, status="pending"
    )
    declined = refund_create(
        original=payment, total="5.00", reason="Asked", actor=finance_user, status="pending"
    )
    refund_settle(refund=declined, completed=False, reason="declined")
    dispute_apply(original=payment, gateway="card", dispute_id="dp_r", stage="opened")
    dispute_apply(
        original=card_payment(customer, n=2), gateway="card", dispute_id="dp_n", stage="opened"
    )

    rows = ApiClient(key_for(support_user)).get("/api/v1/staff/disputes").json()
    by_id = {r["dispute_id"]: r for r in rows}
    refunds = by_id["dp_r"]["refunds"]
    assert [(r["reference"], r["status"], r["amount"]) for r in refunds] == [
        (done[0].reference, "completed", {"amount": "3.00", "currency": "USD"}),
        (done[1].reference, "completed", {"amount": "1.00", "currency": "USD"}),
        (pending.reference, "pending", {"amount": "2.00", "currency": "USD"}),
    ]
    assert refunds[0]["completed_at"] and refunds[2]["completed_at"] is None
    assert by_id["dp_n"]["refunds"] == []
