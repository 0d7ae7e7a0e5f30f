"""Four eyes on voucher batches: a batch whose free credit can exceed the manual-credit threshold
waits for a second Finance user, and its codes do not redeem until one approves it. Worked
examples with the threshold at 1000 (JPY 150,000)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.errors import (
    InvalidTransition,
    PermissionDenied,
    VoucherBatchApprovalRefused,
    VoucherRejected,
)
from paydesk.ledger.selectors import balance_drifts
from paydesk.settings.values import Threshold
from paydesk.vouchers.batches import (
    voucher_batch_approve,
    voucher_batch_issue,
    voucher_batch_reject,
)
from paydesk.vouchers.models import BatchApproval, Voucher, VoucherStatus
from paydesk.vouchers.services import REJECTED_MESSAGE, voucher_redeem
from tests.factories import PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = Threshold(
        Decimal("1000"), {"JPY": Decimal("150000")}
    )


@pytest.fixture
def second_finance_user(db):
    return StaffFactory(staff_role="finance")


def redeem(code, user, currency="USD"):
    return voucher_redeem(
        code=code, customer=user.customer, currency=currency, user=user, ip_address=IP
    )


def issue(actor, count=1, currency="USD", **terms):
    return voucher_batch_issue(count=count, currency=currency, actor=actor, **terms)


def test_one_code_of_50000_waits_and_redeems_only_after_a_second_approval(
    finance_user, second_finance_user, portal_user
):
    batch, [code] = issue(finance_user, addition="50000.00", multiplier="0")
    assert batch.approval == BatchApproval.WAITING
    assert batch.worst_case_credit == Decimal("50000")

    with pytest.raises(VoucherRejected) as refused:
        redeem(code, portal_user)
    assert refused.value.message == REJECTED_MESSAGE  # as for an unknown code: no oracle
    portal_user.customer.refresh_from_db()
    assert portal_user.customer.balance == 0
    assert Voucher.objects.get().status == VoucherStatus.AVAILABLE

    approved = voucher_batch_approve(batch=batch, actor=second_finance_user)
    assert (approved.approval, approved.decided_by) == (BatchApproval.APPROVED, second_finance_user)
    payment = redeem(code, portal_user).payment
    assert (payment.status, payment.total) == ("completed", Decimal("50000"))
    assert balance_drifts() == []
    audit = AuditEntry.objects.get(action="voucher_batch.approve")
    assert audit.actor == second_finance_user
    assert audit.after["issued_by"] == finance_user.email
    hold = AuditEntry.objects.get(action="voucher_batch.hold")
    assert hold.after == {
        "worst_case_credit": "50000.00",
        "currency": "USD",
        "threshold": "1000.00",
    }


def test_many_small_codes_count_together(finance_user):
    held, _codes = issue(finance_user, count=201, addition="5")  # 1,005.00 in all
    at_threshold, _codes = issue(finance_user, count=200, addition="5")  # 1,000.00: not above
    assert held.approval == BatchApproval.WAITING
    assert at_threshold.approval == BatchApproval.NOT_NEEDED


def test_a_bonus_that_grows_with_the_top_up_has_no_bound_and_always_waits(finance_user):
    growing, _ = issue(finance_user, minimum_activation="50", multiplier="1.01", addition="0")
    flat, _ = issue(finance_user, count=10, minimum_activation="50", multiplier="1", addition="5")
    assert (growing.worst_case_credit, growing.approval) == (None, BatchApproval.WAITING)
    assert (flat.worst_case_credit, flat.approval) == (Decimal("50"), BatchApproval.NOT_NEEDED)


def test_the_threshold_is_the_batch_currency_s_own_without_conversion(finance_user):
    yen, _ = issue(finance_user, currency="JPY", addition="100000")
    assert yen.approval == BatchApproval.NOT_NEEDED  # JPY 100,000 ≤ JPY 150,000
    more, _ = issue(finance_user, currency="JPY", count=2, addition="100000")
    assert more.approval == BatchApproval.WAITING


def test_the_issuer_cannot_approve_and_the_refusal_is_audited(finance_user, portal_user):
    batch, [code] = issue(finance_user, addition="5000")
    with pytest.raises(VoucherBatchApprovalRefused) as refused:
        voucher_batch_approve(batch=batch, actor=finance_user)
    assert refused.value.code == "approval_refused"
    batch.refresh_from_db()
    assert batch.approval == BatchApproval.WAITING
    assert AuditEntry.objects.get(action="voucher_batch.approval_refused").actor == finance_user
    with pytest.raises(VoucherRejected):
        redeem(code, portal_user)


def test_support_and_the_system_cannot_approve_or_reject(finance_user, support_user):
    batch, _ = issue(finance_user, addition="5000")
    for actor in (support_user, None):
        with pytest.raises(PermissionDenied):
            voucher_batch_approve(batch=batch, actor=actor)
        with pytest.raises(PermissionDenied):
            voucher_batch_reject(batch=batch, actor=actor)


def test_a_rejected_batch_is_void_and_cannot_be_approved_after(
    finance_user, second_finance_user, portal_user
):
    batch, [code] = issue(finance_user, addition="5000")
    rejected = voucher_batch_reject(batch=batch, actor=finance_user)  # the issuer withdraws it
    assert rejected.approval == BatchApproval.REJECTED
    assert Voucher.objects.get().status == VoucherStatus.DISABLED
    assert AuditEntry.objects.get(action="voucher_batch.reject").after == {
        "approval": "rejected",
        "disabled": 1,
    }
    with pytest.raises(InvalidTransition):
        voucher_batch_approve(batch=batch, actor=second_finance_user)
    with pytest.raises(VoucherRejected):
        redeem(code, portal_user)


def test_a_batch_that_needed_nobody_cannot_be_approved(finance_user, second_finance_user):
    batch, _ = issue(finance_user, addition="5")
    with pytest.raises(InvalidTransition):
        voucher_batch_approve(batch=batch, actor=second_finance_user)


def test_the_system_issuing_from_the_command_line_is_never_held(portal_user):
    batch, [code] = issue(None, addition="5000")
    assert batch.approval == BatchApproval.NOT_NEEDED
    assert redeem(code, portal_user).payment.total == Decimal("5000")


def test_a_waiting_bonus_voucher_is_not_armed(finance_user, second_finance_user):
    user = PortalUserFactory()
    batch, [code] = issue(finance_user, minimum_activation="50", multiplier="2", addition="5")
    with pytest.raises(VoucherRejected):
        redeem(code, user)
    voucher_batch_approve(batch=batch, actor=second_finance_user)
    assert redeem(code, user).activation is not None


def test_a_batch_written_by_code_from_before_the_approval_column_needs_no_second_approval():
    """During a rolling deployment an app server still running the code before approvals existed
    inserts batches without the column: the database fills in 'not needed', as that code meant."""
    from django.db import connection
    from django.utils import timezone

    from paydesk.vouchers.models import VoucherBatch

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vouchers_voucherbatch (currency, minimum_activation, multiplier, "
            "addition, count, note, created_at) VALUES ('USD', 0, 10000, 0, 1, '', %s)",
            [timezone.now()],
        )
    assert VoucherBatch.objects.get().approval == BatchApproval.NOT_NEEDED
