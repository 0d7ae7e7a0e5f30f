"""Spec §6: Finance completes a transfer with the amount actually received; the credit follows
it (converted at the day's rate), the difference is shown; the two-person rule above the
threshold; nobody approves a transfer they created; Support completes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.banktransfers.errors import ApprovalRefused, TransferError
from paydesk.banktransfers.models import TransferApproval
from paydesk.banktransfers.selectors import transfer_receipt
from paydesk.banktransfers.services import transfer_complete
from paydesk.errors import PermissionDenied, RateUnavailable
from paydesk.fx.services import rate_set
from paydesk.ledger.models import Payment
from tests.banktransfers.conftest import transfer
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


def test_worked_example_smaller_amount_received(customer, finance_user):
    # The customer announces $250.00; the bank statement shows $240.00 (fees on the way).
    pending = transfer(customer, total="250")
    receipt = transfer_receipt(payment=pending, received_amount="240.00", received_currency="USD")
    assert receipt.credit == Decimal("240.00")
    assert receipt.difference == Decimal("-10.00")

    done = transfer_complete(
        payment=pending, actor=finance_user, received_amount="240.00", received_currency="USD"
    )

    assert done.status == "completed"
    assert done.total == Decimal("240.00")
    assert done.balance_after == Decimal("240.00")
    assert _balance(customer) == Decimal("240.00")
    entry = AuditEntry.objects.get(action="banktransfer.approve")
    assert entry.after["difference"] == "-10.00"
    assert entry.after["expected"] == "250.00"
    assert entry.actor == finance_user
    assert AuditEntry.objects.filter(action="payment.complete", actor=finance_user).count() == 1


def test_received_in_another_currency_is_converted_at_the_days_rate(customer, finance_user):
    # Expected $108.00; EUR 100.00 arrived; today 1 EUR = 1.0850 USD → $108.50, $0.50 more.
    rate_set(
        base="EUR", quote="USD", rate="1.0850", rate_date=timezone.localdate(), actor=finance_user
    )
    pending = transfer(customer, total="108")

    done = transfer_complete(
        payment=pending, actor=finance_user, received_amount="100.00", received_currency="eur"
    )

    assert done.total == Decimal("108.50")
    assert _balance(customer) == Decimal("108.50")
    approval = TransferApproval.objects.get(payment=pending)
    assert (approval.received_amount, approval.received_currency) == (Decimal("100"), "EUR")
    assert approval.credit == Decimal("108.50")
    assert approval.rate == Decimal("1.085")
    assert AuditEntry.objects.get(action="banktransfer.approve").after["difference"] == "0.50"


def test_received_in_a_currency_without_a_rate_is_refused(customer, finance_user, pending):
    with pytest.raises(RateUnavailable):
        transfer_complete(
            payment=pending, actor=finance_user, received_amount="100", received_currency="GBP"
        )
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert not TransferApproval.objects.exists()


def test_jpy_received_is_converted_to_whole_cents(finance_user):
    customer = CustomerFactory(currency="USD")
    rate_set(
        base="USD", quote="JPY", rate="150", rate_date=timezone.localdate(), actor=finance_user
    )
    pending = transfer(customer, total="70")
    receipt = transfer_receipt(payment=pending, received_amount="10000", received_currency="JPY")
    # 10,000 / 150 = 66.666… → $66.67 (half-up at the cent).
    assert receipt.credit == Decimal("66.67")
    with pytest.raises(TransferError):
        transfer_receipt(payment=pending, received_amount="10000.5", received_currency="JPY")


def test_below_the_threshold_one_approval_completes(customer, finance_user, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="1000")  # exactly the threshold: not above it
    done = transfer_complete(
        payment=pending, actor=finance_user, received_amount="1000", received_currency="USD"
    )
    assert done.status == "completed"
    assert _balance(customer) == Decimal("1000")


def test_two_person_rule(customer, finance_user, second_finance_user, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")

    first = transfer_complete(
        payment=pending, actor=finance_user, received_amount="4990", received_currency="USD"
    )
    assert first.status == "pending"  # awaiting second approval
    assert _balance(customer) == 0
    assert AuditEntry.objects.filter(action="banktransfer.approve_first").count() == 1

    # The same Finance user again: refused, nothing changes, the refusal is audited.
    with pytest.raises(ApprovalRefused):
        transfer_complete(
            payment=pending, actor=finance_user, received_amount="4990", received_currency="USD"
        )
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert TransferApproval.objects.filter(payment=pending).count() == 1
    assert AuditEntry.objects.filter(action="banktransfer.approval_refused").count() == 1

    # A second user who read another amount: refused (they must agree on what arrived).
    with pytest.raises(ApprovalRefused):
        transfer_complete(
            payment=pending,
            actor=second_finance_user,
            received_amount="5000",
            received_currency="USD",
        )
    assert _balance(customer) == 0

    done = transfer_complete(
        payment=pending, actor=second_finance_user, received_amount="4990", received_currency="USD"
    )
    assert done.status == "completed"
    assert done.completed_by == second_finance_user
    assert _balance(customer) == Decimal("4990")
    assert TransferApproval.objects.filter(payment=pending).count() == 2
    assert AuditEntry.objects.get(action="banktransfer.approve").after["first_approver"] == (
        finance_user.email
    )


def test_the_two_person_rule_follows_the_credit_not_the_currency(customer, finance_user, settings):
    # EUR 950 arrives for a USD account: 950 × 1.10 = $1,045.00 > $1,000 → two approvals.
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    rate_set(
        base="EUR", quote="USD", rate="1.10", rate_date=timezone.localdate(), actor=finance_user
    )
    pending = transfer(customer, total="1045")
    result = transfer_complete(
        payment=pending, actor=finance_user, received_amount="950", received_currency="EUR"
    )
    assert result.status == "pending"


def test_nobody_approves_a_transfer_they_created(customer, finance_user, second_finance_user):
    pending = transfer(customer, total="50", actor=finance_user)
    with pytest.raises(ApprovalRefused, match="created"):
        transfer_complete(
            payment=pending, actor=finance_user, received_amount="50", received_currency="USD"
        )
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert not TransferApproval.objects.exists()
    refused = AuditEntry.objects.get(action="banktransfer.approval_refused")
    assert refused.actor == finance_user
    # Someone else may.
    done = transfer_complete(
        payment=pending, actor=second_finance_user, received_amount="50", received_currency="USD"
    )
    assert done.status == "completed"


def test_administrator_may_approve_as_finance(customer, admin_user, pending):
    done = transfer_complete(
        payment=pending, actor=admin_user, received_amount="250", received_currency="USD"
    )
    assert done.status == "completed"


def test_support_cannot_complete_anything(customer, support_user, pending):
    with pytest.raises(PermissionDenied):
        transfer_complete(
            payment=pending, actor=support_user, received_amount="250", received_currency="USD"
        )
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert not TransferApproval.objects.exists()
    assert not AuditEntry.objects.filter(actor=support_user).exists()
    assert _balance(customer) == 0


def test_a_portal_user_cannot_complete(customer, portal_user, pending):
    with pytest.raises(PermissionDenied):
        transfer_complete(
            payment=pending, actor=portal_user, received_amount="250", received_currency="USD"
        )
    assert Payment.objects.get(pk=pending.pk).status == "pending"


def test_only_pending_bank_transfers_complete(customer, finance_user):
    from paydesk.errors import InvalidTransition
    from paydesk.ledger.services import payment_create

    card = payment_create(
        customer=customer, total="20", description="Card", status="pending", method="card"
    )
    with pytest.raises(TransferError):
        transfer_complete(
            payment=card, actor=finance_user, received_amount="20", received_currency="USD"
        )
    pending = transfer(customer, total="20")
    transfer_complete(
        payment=pending, actor=finance_user, received_amount="20", received_currency="USD"
    )
    with pytest.raises(InvalidTransition):
        transfer_complete(
            payment=pending,
            actor=StaffFactory(staff_role="finance"),
            received_amount="20",
            received_currency="USD",
        )
    assert _balance(customer) == Decimal("20")


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "12.345", ""])
def test_bad_received_amounts_are_refused_at_the_field(customer, finance_user, pending, amount):
    from paydesk.errors import PaydeskError

    with pytest.raises(PaydeskError) as refused:
        transfer_complete(
            payment=pending, actor=finance_user, received_amount=amount, received_currency="USD"
        )
    assert refused.value.field == "received_amount"
    assert Payment.objects.get(pk=pending.pk).status == "pending"
