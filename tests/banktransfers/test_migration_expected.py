"""banktransfers 0002 gives existing approvals the amount their transfer expected: a pending
transfer's total, or a completed one's total before completion (its `payment.complete` audit
entry)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.banktransfers.models import TransferApproval
from paydesk.banktransfers.services import transfer_complete
from tests.banktransfers.conftest import transfer
from tests.migrating import migrate_back_and_forth

BEFORE = [("banktransfers", "0001_initial")]
AFTER = [("banktransfers", "0002_transferapproval_expected")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_expected_amounts(customer, finance_user, second_finance_user):
    pending = transfer(customer, total="1500.00")
    transfer_complete(
        payment=pending, actor=finance_user, received_amount="1490.00", received_currency="USD"
    )
    done = transfer_complete(
        payment=transfer(customer, total="150.00"),
        actor=finance_user,
        received_amount="148.50",
        received_currency="USD",
    )
    TransferApproval.objects.update(expected=None)  # as rows made before 0002 are

    migrate_back_and_forth(BEFORE, AFTER)

    assert TransferApproval.objects.get(payment=pending).expected == Decimal("1500.00")
    assert TransferApproval.objects.get(payment=done).expected == Decimal("150.00")
