"""Four eyes on voucher batches in the back office: the batch shows "Waiting for a second
approval", Approve for another Finance user (never the issuer), Reject for Finance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.settings.values import Threshold
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import BatchApproval, VoucherStatus
from tests.backoffice.conftest import signed_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BATCHES = "/backoffice/vouchers/voucherbatch/"
WAITING = "Waiting for a second approval"


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = Threshold(Decimal("1000"))


@pytest.fixture
def batch(finance_user):
    held, _codes = voucher_batch_issue(count=10, currency="USD", addition="500", actor=finance_user)
    return held


def test_another_finance_user_sees_it_waiting_and_approves_it(batch, support):
    approver = signed_in(StaffFactory(staff_role="finance"))
    assert WAITING in approver.get(BATCHES).content.decode()
    page = approver.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert WAITING in page and "$5,000.00 USD" in page
    assert f"{BATCHES}{batch.pk}/approve/" in page and f"{BATCHES}{batch.pk}/reject/" in page
    readonly = support.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert WAITING in readonly and f"{BATCHES}{batch.pk}/approve/" not in readonly
    assert support.post(f"{BATCHES}{batch.pk}/approve/").status_code == 403

    assert approver.get(f"{BATCHES}{batch.pk}/approve/").status_code == 405
    response = approver.post(f"{BATCHES}{batch.pk}/approve/", follow=True)
    assert "approved: its codes can be redeemed" in response.content.decode()
    batch.refresh_from_db()
    assert batch.approval == BatchApproval.APPROVED


def test_the_issuer_sees_no_approve_button_and_a_post_is_refused(batch, finance):
    page = finance.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert "You issued this batch: a second Finance user must approve it." in page
    assert f"{BATCHES}{batch.pk}/approve/" not in page
    response = finance.post(f"{BATCHES}{batch.pk}/approve/", follow=True)
    assert "Nobody approves a batch they issued" in response.content.decode()
    batch.refresh_from_db()
    assert batch.approval == BatchApproval.WAITING


def test_the_issuer_rejects_it_and_its_codes_are_disabled(batch, finance):
    response = finance.post(f"{BATCHES}{batch.pk}/reject/", follow=True)
    assert "rejected: its codes are disabled" in response.content.decode()
    batch.refresh_from_db()
    assert batch.approval == BatchApproval.REJECTED
    assert set(batch.vouchers.values_list("status", flat=True)) == {VoucherStatus.DISABLED}


def test_issuing_a_held_batch_says_so_on_the_next_page(finance):
    response = finance.post(
        f"{BATCHES}add/",
        {
            "count": "3",
            "currency": "USD",
            "minimum_activation": "0",
            "multiplier": "1",
            "addition": "400",
            "form_token": "held-batch-token-0001",
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    listing = finance.get(BATCHES).content.decode()
    assert "is waiting for a second approval: its codes can credit up to $1,200.00 USD" in listing
