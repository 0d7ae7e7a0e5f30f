"""Worked examples of the customer endpoints: the caller's own customer only, money as strings,
no staff comment, the Payments page's filters and keyset paging."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.vouchers.batches import voucher_batch_issue
from tests.api.conftest import ApiClient, key_for
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db


def test_balance_is_strings_with_the_currency(api, customer):
    customer.debit_limit = Decimal("25")
    customer.save()
    payment_create(customer=customer, total="50", description="Top-up")
    payment_create(customer=customer, total="-10.0125", description="DID rental")
    response = api.get("/api/v1/balance")
    assert response.status_code == 200
    assert response.json() == {
        "balance": {"amount": "39.9875", "currency": "USD"},
        "debit_limit": {"amount": "25.00", "currency": "USD"},
        "available_credit": {"amount": "64.9875", "currency": "USD"},
    }


def test_payments_list_filters_and_pages_by_cursor(api, customer):
    for n in range(5):
        payment_create(customer=customer, total=f"{n + 1}", description=f"Top-up {n} #note {n}")
    payment_create(customer=customer, total="-3", description="Package charge")
    first = api.get("/api/v1/payments", {"limit": 4}).json()
    assert [p["description"] for p in first["data"]] == [
        "Package charge",
        "Top-up 4",
        "Top-up 3",
        "Top-up 2",
    ]
    assert first["has_next"] and not first["has_previous"]
    second = api.get("/api/v1/payments", {"limit": 4, "after": first["next_cursor"]}).json()
    assert [p["description"] for p in second["data"]] == ["Top-up 1", "Top-up 0"]
    assert second["has_previous"] and not second["has_next"]
    back = api.get("/api/v1/payments", {"limit": 4, "before": second["previous_cursor"]}).json()
    assert back["data"] == first["data"]
    assert first["data"][0]["total"] == {"amount": "-3.00", "currency": "USD"}
    assert all("staff_comment" not in p and "note" not in str(p) for p in first["data"])
    by_total = api.get("/api/v1/payments", {"sort": "-total", "q": "top-up"}).json()["data"]
    assert [p["total"]["amount"] for p in by_total] == ["5.00", "4.00", "3.00", "2.00", "1.00"]
    today = timezone.localdate().isoformat()
    dated = api.get(
        "/api/v1/payments", {"date_from": today, "date_to": today, "status": "completed"}
    )
    assert len(dated.json()["data"]) == 6


def test_bad_filters_and_cursors_are_400_with_the_field(api):
    cases = [
        ({"status": "paid"}, "status"),
        ({"limit": 500}, "limit"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-02-02", "date_to": "2026-02-01"}, "date_to"),
        ({"after": "not-a-cursor"}, "after"),
        ({"method": "cheque"}, "method"),
    ]
    for params, field in cases:
        response = api.get("/api/v1/payments", params)
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] == field, params


def test_payment_detail_is_own_only(api, customer):
    mine = payment_create(customer=customer, total="7", description="Mine #private")
    other = payment_create(customer=CustomerFactory(), total="9", description="Theirs")
    response = api.get(f"/api/v1/payments/{mine.reference}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == mine.reference and body["description"] == "Mine"
    assert "private" not in response.content.decode()
    missing = api.get(f"/api/v1/payments/{other.reference}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert "Theirs" not in missing.content.decode()


def test_csv_has_the_rows_the_filters_list(api, customer):
    payment_create(customer=customer, total="5", description="=cmd() top-up #x")
    payment_create(customer=customer, total="-2", description="DID")
    response = api.get("/api/v1/payments.csv", {"q": "top-up"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Date / Time", "Reference", "Total"]
    assert [(r[2], r[6]) for r in rows[1:]] == [("5.00", "'=cmd() top-up")]


def test_bank_transfer_payment_returns_the_reference_and_bank_details(api, customer, bank_details):
    response = api.post(
        "/api/v1/payments", {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get(customer=customer)
    assert body["outcome"] == "pending"
    assert body["payment"]["reference"] == payment.reference
    assert body["payment"]["total"] == {"amount": "100.00", "currency": "USD"}
    assert body["charged"] == {"amount": "100.00", "currency": "USD"}
    assert body["bank_details"]["swift"] == "NWBKGB2L"
    assert body["bank_details"]["reference"] == payment.reference
    assert payment.status == "pending" and payment.method == "bank_transfer"


def test_the_customer_cancels_their_pending_transfer_once(api, customer):
    created = api.post(
        "/api/v1/payments", {"method": "bank_transfer", "amount": "40", "currency": "USD"}
    ).json()
    reference = created["payment"]["reference"]
    response = api.post(f"/api/v1/payments/{reference}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = api.post(f"/api/v1/payments/{reference}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    theirs = payment_create(
        customer=CustomerFactory(),
        total="5",
        description="x",
        status="pending",
        method="bank_transfer",
    )
    assert api.post(f"/api/v1/payments/{theirs.reference}/cancel").status_code == 404


def test_a_voucher_is_redeemed_through_the_api(api, customer):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="15", actor=None)
    response = api.post("/api/v1/payments", {"method": "voucher", "code": code, "currency": "USD"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "completed"
    assert body["payment"]["total"] == {"amount": "15.00", "currency": "USD"}
    customer.refresh_from_db()
    assert customer.balance == Decimal("15")
    assert code not in response.content.decode()
    refused = api.post("/api/v1/payments", {"method": "voucher", "code": code, "currency": "USD"})
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "voucher_rejected",
        "message": "That voucher code cannot be redeemed.",
        "field": "code",
    }


def test_voucher_guessing_is_rate_limited_with_retry_after(api, settings, any_cache):
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 2
    body = {"method": "voucher", "code": "AAAA-BBBB-CCCC-DDDD", "currency": "USD"}
    statuses = [api.post("/api/v1/payments", body).status_code for _ in range(4)]
    assert statuses[:2] == [422, 422] and statuses[-1] == 429
    limited = api.post("/api/v1/payments", body)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0


def test_an_online_method_not_enabled_is_422_method_unavailable(api):
    response = api.post("/api/v1/payments", {"method": "paypal", "amount": "10", "currency": "USD"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "method_unavailable"


def test_amounts_must_be_strings_and_valid(api):
    as_number = api.post(
        "/api/v1/payments", {"method": "bank_transfer", "amount": 10, "currency": "USD"}
    )
    assert as_number.status_code == 400 and as_number.json()["error"]["field"] == "amount"
    junk = api.post(
        "/api/v1/payments", {"method": "bank_transfer", "amount": "ten", "currency": "USD"}
    )
    assert junk.status_code == 422 and junk.json()["error"]["field"] == "amount"
    not_json = api.client.post(
        "/api/v1/payments", "{", content_type="application/json", headers=api.headers
    )
    assert not_json.status_code == 400
    assert Payment.objects.count() == 0


def test_a_read_key_cannot_pay(portal_user):
    client = ApiClient(key_for(portal_user, "read"))
    response = client.post(
        "/api/v1/payments", {"method": "bank_transfer", "amount": "10", "currency": "USD"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert Payment.objects.count() == 0


def test_a_bookkeeper_may_read_but_not_pay(customer):
    bookkeeper = PortalUserFactory(customer=customer, can_make_payments=False)
    client = ApiClient(key_for(bookkeeper))
    assert client.get("/api/v1/payments").status_code == 200
    body = {"method": "bank_transfer", "amount": "10", "currency": "USD"}
    assert client.post("/api/v1/payments", body).status_code == 403
    # Nor redeem a voucher, nor cancel a colleague's pending transfer (accounts.payers).
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="15", actor=None)
    wire = payment_create(customer=customer, total="40", description="Wire",
                          status="pending", method="bank_transfer")  # fmt: skip
    refused = [
        client.post("/api/v1/payments", {"method": "voucher", "code": code, "currency": "USD"}),
        client.post(f"/api/v1/payments/{wire.reference}/cancel"),
    ]
    assert [r.json()["error"] for r in refused] == 2 * [
        {"code": "permission_denied", "message": "Your user may not make payments.", "field": None}
    ]
    customer.refresh_from_db()
    wire.refresh_from_db()
    assert customer.balance == 0 and wire.status == "pending"


def test_session_callers_need_the_csrf_token_on_posts(portal_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    assert client.get("/api/v1/balance").status_code == 200
    body = '{"method": "bank_transfer", "amount": "10", "currency": "USD"}'
    refused = client.post("/api/v1/payments", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    client.get("/api-keys/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/payments", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content
    # A key is not a cookie: no CSRF token needed.
    keyed = Client(enforce_csrf_checks=True).post(
        "/api/v1/payments",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key_for(portal_user)}"},
    )
    assert keyed.status_code == 201


def test_without_credentials_every_endpoint_is_401_json():
    client = Client()
    for method, path in [
        ("get", "/api/v1/balance"),
        ("get", "/api/v1/payments"),
        ("get", "/api/v1/payments.csv"),
        ("get", "/api/v1/payments/X"),
        ("post", "/api/v1/payments"),
        ("post", "/api/v1/payments/X/cancel"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"


def test_the_openapi_document_and_docs_page_are_served_locally():
    document = Client().get("/api/v1/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {"/api/v1/balance", "/api/v1/payments", "/api/v1/payments/{reference}/cancel"} <= set(
        paths
    )
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "script-src 'self'" in docs["Content-Security-Policy"]
