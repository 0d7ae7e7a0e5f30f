"""Four eyes through the staff API and the ConnexCS-compatible endpoint: 202 with the pending
payment while a credit waits for its second Finance user; approve and refuse endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from tests.api.conftest import ApiClient, key_for

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/staff/payments"


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


@pytest.fixture
def first(finance_user) -> ApiClient:
    return ApiClient(key_for(finance_user))


@pytest.fixture
def second(second_finance_user) -> ApiClient:
    return ApiClient(key_for(second_finance_user))


def test_below_the_threshold_201_and_credited(first, customer):
    response = first.post(
        PAYMENTS, {"customer_id": customer.pk, "total": "999.99", "description": "Wire"}
    )
    assert response.status_code == 201 and response.json()["status"] == "completed"
    assert balance(customer) == Decimal("999.99")


def test_above_the_threshold_202_pending_then_a_second_user_approves(
    first, second, customer, finance_user
):
    body = {"customer_id": customer.pk, "total": "2500.00", "description": "Wire #big one"}
    held = first.post(PAYMENTS, body, **{"Idempotency-Key": "k-1"})

    assert held.status_code == 202, held.content
    data = held.json()
    assert data["status"] == "pending" and data["reason"].startswith("Awaiting approval")
    assert data["balance_after"] is None and balance(customer) == 0
    replay = first.post(PAYMENTS, body, **{"Idempotency-Key": "k-1"})
    assert replay.status_code == 202 and replay.content == held.content
    assert Payment.objects.count() == 1

    awaiting = second.get("/api/v1/staff/approvals").json()
    assert [(a["payment"]["reference"], a["entered_by"]) for a in awaiting] == [
        (data["reference"], finance_user.email)
    ]
    own = first.post(f"{PAYMENTS}/{data['reference']}/approve")
    assert own.status_code == 422 and own.json()["error"]["code"] == "approval_refused"
    assert balance(customer) == 0

    approved = second.post(f"{PAYMENTS}/{data['reference']}/approve")

    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "completed" and approved.json()["reason"] == ""
    assert approved.json()["balance_after"] == {"amount": "2500.00", "currency": "USD"}
    assert balance(customer) == Decimal("2500")
    assert second.get("/api/v1/staff/approvals").json() == []
    assert second.post(f"{PAYMENTS}/{data['reference']}/approve").status_code == 409
    assert balance_drifts() == []


def test_the_complete_endpoint_follows_the_same_rule(first, second, customer):
    ref = first.post(
        PAYMENTS, {"customer_id": customer.pk, "total": "2500", "description": "Wire"}
    ).json()["reference"]
    own = first.post(f"{PAYMENTS}/{ref}/complete", {})
    assert own.status_code == 422 and own.json()["error"]["code"] == "approval_refused"
    changed = second.post(f"{PAYMENTS}/{ref}/complete", {"total": "3000"})
    assert changed.status_code == 422 and changed.json()["error"]["field"] == "total"
    assert balance(customer) == 0
    assert second.post(f"{PAYMENTS}/{ref}/complete", {}).status_code == 200
    assert balance(customer) == Decimal("2500")


def test_support_and_read_only_keys_cannot_approve_or_refuse(
    first, support_user, second_finance_user, customer
):
    ref = first.post(
        PAYMENTS, {"customer_id": customer.pk, "total": "2500", "description": "Wire"}
    ).json()["reference"]
    support = ApiClient(key_for(support_user))
    assert support.get("/api/v1/staff/approvals").status_code == 200
    assert support.post(f"{PAYMENTS}/{ref}/approve").status_code == 403
    assert support.post(f"{PAYMENTS}/{ref}/refuse", {"reason": "no"}).status_code == 403
    read_only = ApiClient(key_for(second_finance_user, "read"))
    assert read_only.post(f"{PAYMENTS}/{ref}/approve").status_code == 403
    assert read_only.post(f"{PAYMENTS}/{ref}/refuse", {"reason": "no"}).status_code == 403
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"


def test_refusing_cancels_with_the_reason(first, second, customer):
    ref = first.post(
        PAYMENTS, {"customer_id": customer.pk, "total": "2500", "description": "Wire"}
    ).json()["reference"]
    assert second.post(f"{PAYMENTS}/{ref}/refuse", {}).status_code == 400
    refused = second.post(f"{PAYMENTS}/{ref}/refuse", {"reason": "Not received"})
    assert refused.status_code == 200
    assert refused.json()["status"] == "cancelled" and refused.json()["reason"] == "Not received"
    assert balance(customer) == 0
    assert AuditEntry.objects.filter(action="credit.refuse").count() == 1


def test_connexcs_answers_202_with_the_pending_payment(finance_user, second, customer):
    cp = ApiClient(key_for(finance_user))
    small = cp.post(
        "/api/cp/payment",
        {"company_id": customer.pk, "description": "Top-up", "total": "100", "status": "paid"},
    )
    assert small.status_code == 201 and small.json()["status"] == "completed"
    big = cp.post(
        "/api/cp/payment",
        {
            "company_id": customer.pk,
            "description": "Wire",
            "total": "5000",
            "status": "paid",
            "currency": "USD",
        },
    )
    assert big.status_code == 202, big.content
    assert big.json()["status"] == "pending" and big.json()["balance_after"] is None
    assert balance(customer) == Decimal("100")
    assert second.post(f"{PAYMENTS}/{big.json()['reference']}/approve").status_code == 200
    assert balance(customer) == Decimal("5100")
    purchase = cp.post(
        "/api/cp/payment",
        {"company_id": customer.pk, "description": "DIDs", "total": "-5000", "status": "paid"},
    )
    assert purchase.status_code == 201 and balance(customer) == Decimal("100")
