"""Worked examples of the staff endpoints: roles checked (Support reads only), money through
the ledger services, purchases refused past credit unless the overdraft switch is on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.api.conftest import ApiClient, key_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(finance_user) -> ApiClient:
    return ApiClient(key_for(finance_user))


def test_finance_posts_a_purchase_refused_past_credit_unless_overdraft(finance, customer):
    payment_create(customer=customer, total="50", description="Top-up")
    body = {"customer_id": customer.pk, "total": "-80.00", "description": "Package #March"}
    refused = finance.post("/api/v1/staff/payments", body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "insufficient_credit"
    assert refused.json()["error"]["field"] == "total"
    allowed = finance.post("/api/v1/staff/payments", {**body, "allow_overdraft": True})
    assert allowed.status_code == 201, allowed.content
    data = allowed.json()
    assert data["total"] == {"amount": "-80.00", "currency": "USD"}
    assert data["balance_after"] == {"amount": "-30.00", "currency": "USD"}
    assert (data["description"], data["staff_comment"]) == ("Package", "March")
    customer.refresh_from_db()
    assert customer.balance == Decimal("-30")
    assert AuditEntry.objects.filter(action="payment.create").count() == 1


def test_finance_completes_and_cancels_pending_payments(finance, customer):
    pending = payment_create(customer=customer, total="20", description="Cheque", status="pending")
    other = payment_create(customer=customer, total="5", description="Cash", status="pending")
    done = finance.post(f"/api/v1/staff/payments/{pending.reference}/complete", {"total": "19.50"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
    assert done.json()["total"] == {"amount": "19.50", "currency": "USD"}
    again = finance.post(f"/api/v1/staff/payments/{pending.reference}/complete", {})
    assert again.status_code == 409
    no_reason = finance.post(f"/api/v1/staff/payments/{other.reference}/cancel", {})
    assert no_reason.status_code == 400
    cancelled = finance.post(
        f"/api/v1/staff/payments/{other.reference}/cancel", {"reason": "Bounced"}
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["cancel_reason"] == "Bounced"
    assert finance.post("/api/v1/staff/payments/NOPE/cancel", {"reason": "x"}).status_code == 404


def test_support_reads_but_moves_no_money(support_user, customer):
    support = ApiClient(key_for(support_user))
    payment_create(customer=customer, total="10", description="Top-up #internal")
    listing = support.get("/api/v1/staff/payments", {"customer_id": customer.pk})
    assert listing.status_code == 200
    assert listing.json()["data"][0]["staff_comment"] == "internal"
    body = {"customer_id": customer.pk, "total": "5", "description": "Gift"}
    refused = support.post("/api/v1/staff/payments", body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert Payment.objects.count() == 1


def test_a_read_only_staff_key_cannot_post(finance_user, customer):
    client = ApiClient(key_for(finance_user, "read"))
    body = {"customer_id": customer.pk, "total": "5", "description": "Gift"}
    assert client.post("/api/v1/staff/payments", body).status_code == 403


def test_customers_list_read_create_update(admin_user, finance):
    CustomerFactory(name="Acme Voice", currency="EUR")
    admin = ApiClient(key_for(admin_user))
    created = admin.post(
        "/api/v1/staff/customers",
        {"name": "Zeta Telecom", "currency": "gbp", "debit_limit": "100.00"},
    )
    assert created.status_code == 201, created.content
    zeta = created.json()
    assert zeta["currency"] == "GBP"
    assert zeta["available_credit"] == {"amount": "100.00", "currency": "GBP"}
    read = finance.get(f"/api/v1/staff/customers/{zeta['id']}")
    assert read.json() == zeta
    names = [c["name"] for c in finance.get("/api/v1/staff/customers").json()["data"]]
    assert names == ["Acme Voice", "Zeta Telecom"]
    page = finance.get("/api/v1/staff/customers", {"limit": 1}).json()
    assert (
        finance.get("/api/v1/staff/customers", {"after": page["next_cursor"]}).json()["data"][0][
            "name"
        ]
        == "Zeta Telecom"
    )
    changed = admin.client.patch(
        f"/api/v1/staff/customers/{zeta['id']}",
        '{"minimum_payment": "20", "allow_vouchers": false}',
        content_type="application/json",
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["minimum_payment"] == {"amount": "20.00", "currency": "GBP"}
    assert changed.json()["allow_vouchers"] is False
    # Finance may not change customers; nobody changes a currency.
    assert (
        finance.post("/api/v1/staff/customers", {"name": "X", "currency": "USD"}).status_code == 403
    )
    currency = admin.post("/api/v1/staff/customers", {"name": "Y", "currency": "XXY"})
    assert currency.status_code == 422 and currency.json()["error"]["field"] == "currency"
    assert finance.get("/api/v1/staff/customers/999999").status_code == 404


def test_portal_users_get_nothing_from_staff_endpoints(api, customer):
    for path in [
        "/api/v1/staff/customers",
        f"/api/v1/staff/customers/{customer.pk}",
        "/api/v1/staff/payments",
    ]:
        response = api.get(path)
        assert response.status_code == 403, path
    body = {"customer_id": customer.pk, "total": "1000", "description": "Free money"}
    assert api.post("/api/v1/staff/payments", body).status_code == 403
    assert Payment.objects.count() == 0


def test_finance_issues_a_voucher_batch_whose_codes_are_shown_once(finance, customer, api):
    from paydesk.api.models import IdempotencyRecord

    body = {"count": 2, "currency": "USD", "addition": "10.00", "note": "Trade fair"}
    issued = finance.post("/api/v1/staff/voucher-batches", body, **{"Idempotency-Key": "fair-1"})
    assert issued.status_code == 201, issued.content
    data = issued.json()
    assert len(data["codes"]) == 2 and data["addition"] == {"amount": "10.00", "currency": "USD"}
    assert data["statuses"] == {"available": 2, "used": 0, "disabled": 0}
    # The replay is the same batch without the codes, which were never stored.
    replay = finance.post("/api/v1/staff/voucher-batches", body, **{"Idempotency-Key": "fair-1"})
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == data["id"] and replay.json()["codes"] is None
    stored = bytes(IdempotencyRecord.objects.get(key="fair-1").body)
    assert not [code for code in data["codes"] if code.encode() in stored]
    # A customer redeems one through the API; the list shows it used.
    redeemed = api.post(
        "/api/v1/payments", {"method": "voucher", "code": data["codes"][0], "currency": "USD"}
    )
    assert redeemed.status_code == 201
    listed = finance.get("/api/v1/staff/voucher-batches").json()
    assert listed[0]["statuses"]["used"] == 1 and listed[0]["codes"] is None


def test_support_cannot_issue_vouchers(support_user):
    support = ApiClient(key_for(support_user))
    body = {"count": 1, "currency": "USD", "addition": "10"}
    assert support.post("/api/v1/staff/voucher-batches", body).status_code == 403
    assert support.get("/api/v1/staff/voucher-batches").status_code == 200


@pytest.mark.parametrize(
    "expiry", ["9999-12-31T23:59:59-12:00", "9999-12-31T00:00:00+00:00", "9001-01-02T00:00:00Z"]
)
def test_an_expiry_past_9000_is_refused_at_its_field_not_a_500(finance_user, expiry):
    """The end of Python's calendar west of UTC has no UTC time to store: the service refused
    nothing and the save overflowed. The back office's form stops at 9000-12-31 too."""
    from paydesk.vouchers.models import VoucherBatch

    finance = ApiClient(key_for(finance_user))
    body = {"count": 1, "currency": "USD", "addition": "10", "expires_at": expiry}
    refused = finance.post("/api/v1/staff/voucher-batches", body)
    assert refused.status_code == 422, refused.content
    assert refused.json()["error"]["field"] == "expires_at"
    assert not VoucherBatch.objects.exists()
    body["expires_at"] = "9000-12-31T23:59:59-12:00"  # the latest the back office offers
    assert finance.post("/api/v1/staff/voucher-batches", body).status_code == 201


def test_the_staff_endpoints_keep_their_paths_tags_and_operation_ids():
    """The staff endpoints live in several files of paydesk.api.staff; the OpenAPI document
    (from which clients generate code) names them as one package, under /api/v1/staff/."""
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    staff = {
        (path, method): (operation["operationId"], operation["tags"])
        for path, operations in paths.items()
        if path.startswith("/api/v1/staff/")
        for method, operation in operations.items()
    }
    ids = {operation_id for operation_id, _ in staff.values()}
    assert ids == {
        f"paydesk_api_staff_{view}"
        for view in (
            "customers", "customer_detail", "customer_new", "customer_change",
            "staff_payments", "staff_payment_new", "staff_payment_complete",
            "staff_payment_cancel", "credits_awaiting", "staff_credit_approve",
            "staff_credit_refuse", "voucher_batches", "voucher_batch_new",
            "staff_voucher_batch_approve", "staff_voucher_batch_reject",
            "staff_payment_refund", "staff_disputes", "gateway_settings",
            "webhook_endpoints", "webhook_endpoint_new", "webhook_endpoint_change",
            "webhook_endpoint_resume", "webhook_endpoint_replay", "webhook_endpoint_attempts",
            "webhook_events",
        )
    }  # fmt: skip
    assert {tuple(tags) for _, tags in staff.values()} == {("staff",)}
    assert ("/api/v1/staff/payments/{reference}/approve", "post") in staff
    assert ("/api/v1/staff/customers/{customer_id}", "patch") in staff
