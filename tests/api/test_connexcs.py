"""The ConnexCS-compatible endpoints: a provider's existing scripts post a payment and read a
company's payments by row window and sort model, with a staff key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.services import payment_create
from tests.api.conftest import ApiClient, key_for

pytestmark = pytest.mark.django_db


def test_a_script_posts_a_purchase_and_lists_payments_newest_first(finance_user, customer):
    staff = ApiClient(key_for(finance_user))
    payment_create(customer=customer, total="100", description="Top-up")
    posted = staff.post(
        "/api/cp/payment",
        {
            "company_id": customer.pk,
            "description": "DID rental #auto",
            "total": "-12.50",
            "status": "Paid",
            "currency": "USD",
        },
    )
    assert posted.status_code == 201, posted.content
    row = posted.json()
    assert (row["total"], row["currency"], row["status"]) == ("-12.50", "USD", "completed")
    assert row["description"] == "DID rental" and row["balance_after"] == "87.50"
    customer.refresh_from_db()
    assert customer.balance == Decimal("87.50")
    listing = staff.get(
        "/api/cp/payment",
        {
            "company_id": customer.pk,
            "_startRow": 0,
            "_endRow": 1,
            "_sortModel[0][colId]": "payment.payment_time",
            "_sortModel[0][sort]": "desc",
        },
    )
    assert listing.status_code == 200
    assert listing.json()["lastRow"] == 2
    assert [r["description"] for r in listing.json()["rows"]] == ["DID rental"]
    rest = staff.get("/api/cp/payment", {"company_id": customer.pk, "_startRow": 1, "_endRow": 50})
    assert [r["description"] for r in rest.json()["rows"]] == ["Top-up"]


def test_compat_endpoint_refuses_what_the_ledger_refuses(finance_user, support_user, customer, api):
    staff = ApiClient(key_for(finance_user))
    body = {"company_id": customer.pk, "description": "Big package", "total": "-500"}
    short = staff.post("/api/cp/payment", body)
    assert short.status_code == 422 and short.json()["error"]["code"] == "insufficient_credit"
    wrong = staff.post("/api/cp/payment", {**body, "total": "5", "currency": "EUR"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "currency"
    assert staff.post("/api/cp/payment", {**body, "company_id": 999999}).status_code == 404
    assert (
        ApiClient(key_for(support_user)).post("/api/cp/payment", {**body, "total": "5"}).status_code
        == 403
    )
    assert api.get("/api/cp/payment", {"company_id": customer.pk}).status_code == 403  # portal
    bad = staff.get("/api/cp/payment", {"company_id": customer.pk, "_sortModel[0][colId]": "x"})
    assert bad.status_code == 400
    huge = staff.get("/api/cp/payment", {"company_id": customer.pk, "_endRow": 100000})
    assert huge.status_code == 400
