"""Four eyes on voucher batches through the staff API: 202 while a batch waits for its second
Finance user, approve and reject endpoints; the customer's redemption meanwhile fails as an
unknown code does. The reviewers' reproduction, step by step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.settings.values import Threshold
from tests.api.conftest import ApiClient, key_for
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/staff/voucher-batches"
FREE_50000 = {
    "count": 1,
    "currency": "USD",
    "addition": "50000.00",
    "multiplier": "0",
    "minimum_activation": "0",
}


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = Threshold(Decimal("1000"))


@pytest.fixture
def first(finance_user) -> ApiClient:
    return ApiClient(key_for(finance_user))


@pytest.fixture
def second() -> ApiClient:
    return ApiClient(key_for(StaffFactory(staff_role="finance")))


@pytest.fixture
def customer_api(portal_user) -> ApiClient:
    portal_user.customer.allow_vouchers = True
    portal_user.customer.save(update_fields=["allow_vouchers"])
    return ApiClient(key_for(portal_user))


def redeem(api: ApiClient, code: str):
    return api.post("/api/v1/payments", {"method": "voucher", "code": code, "currency": "USD"})


def test_a_50000_batch_waits_and_redeems_after_a_second_approval(first, second, customer_api):
    issued = first.post(BATCHES, FREE_50000)
    assert issued.status_code == 202, issued.content
    body = issued.json()
    assert body["approval"] == "waiting"
    assert body["worst_case_credit"] == {"amount": "50000.00", "currency": "USD"}
    assert body["message"] == (
        f"Batch {body['id']} is waiting for a second approval: its codes can credit up to "
        "$50,000.00 USD in all, above the four-eyes threshold of $1,000.00 USD. Its codes cannot "
        "be redeemed until another Finance user approves it."
    )
    [code] = body["codes"]

    refused = redeem(customer_api, code)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "voucher_rejected",
        "message": "That voucher code cannot be redeemed.",
        "field": "code",
    }

    own = first.post(f"{BATCHES}/{body['id']}/approve")
    assert own.status_code == 422 and own.json()["error"]["code"] == "approval_refused"
    approved = second.post(f"{BATCHES}/{body['id']}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["approval"] == "approved" and approved.json()["message"] is None
    assert second.post(f"{BATCHES}/{body['id']}/approve").status_code == 409

    credited = redeem(customer_api, code)
    assert credited.status_code == 201, credited.content
    assert credited.json()["payment"]["total"] == {"amount": "50000.00", "currency": "USD"}


def test_a_batch_within_the_threshold_is_201_and_needs_nobody(first):
    issued = first.post(BATCHES, {**FREE_50000, "count": 4, "addition": "250.00"})
    assert issued.status_code == 201, issued.content
    assert issued.json()["approval"] == "not_needed"


def test_a_rejected_batch_is_void(first, second, customer_api):
    body = first.post(BATCHES, FREE_50000).json()
    rejected = second.post(f"{BATCHES}/{body['id']}/reject")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["approval"] == "rejected"
    assert rejected.json()["statuses"] == {"available": 0, "used": 0, "disabled": 1}
    assert redeem(customer_api, body["codes"][0]).status_code == 422
    assert second.post(f"{BATCHES}/{body['id']}/approve").status_code == 409
    assert second.post(f"{BATCHES}/999999/approve").status_code == 404


def test_support_cannot_decide(first, support_user):
    body = first.post(BATCHES, FREE_50000).json()
    support = ApiClient(key_for(support_user))
    assert support.post(f"{BATCHES}/{body['id']}/approve").status_code == 403
    assert support.post(f"{BATCHES}/{body['id']}/reject").status_code == 403
