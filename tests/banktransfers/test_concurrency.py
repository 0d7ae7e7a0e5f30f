"""Approvals racing each other on PostgreSQL: the payment row lock orders them, so a transfer is
credited once, and two people approving at the same moment still make one first and one second
approval (never two "first" approvals, never two credits)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from paydesk.banktransfers.models import TransferApproval
from paydesk.banktransfers.services import transfer_complete
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment
from tests.banktransfers.conftest import transfer
from tests.factories import StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(payment, approvers) -> list[str]:
    barrier = threading.Barrier(len(approvers))

    def approve(user) -> str:
        try:
            barrier.wait()
            done = transfer_complete(
                payment=payment.pk, actor=user, received_amount="5000", received_currency="USD"
            )
            return done.status
        except PaydeskError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(approvers)) as pool:
        return sorted(pool.map(approve, approvers))


def test_two_finance_users_at_once_complete_the_transfer_once(customer, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    first, second = StaffFactory(staff_role="finance"), StaffFactory(staff_role="finance")

    outcomes = _race(pending, [first, second])

    assert outcomes == ["completed", "pending"]  # one recorded the first approval, one completed
    assert TransferApproval.objects.filter(payment=pending).count() == 2
    customer.refresh_from_db()
    assert customer.balance == Decimal("5000")


def test_six_approvers_at_once_credit_once(customer, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    approvers = [StaffFactory(staff_role="finance") for _ in range(6)]

    outcomes = _race(pending, approvers)

    assert outcomes.count("completed") == 1
    assert outcomes.count("pending") == 1
    assert outcomes.count("invalid_transition") == 4
    assert Payment.objects.get(pk=pending.pk).total == Decimal("5000")
    customer.refresh_from_db()
    assert customer.balance == Decimal("5000")


def test_the_same_user_twice_at_once_records_one_approval(customer, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    user = StaffFactory(staff_role="finance")

    outcomes = _race(pending, [user, user])

    assert outcomes == ["approval_refused", "pending"]
    assert TransferApproval.objects.filter(payment=pending).count() == 1
    customer.refresh_from_db()
    assert customer.balance == 0
