"""A redemption's credit is dated by the ledger, holding the balance lock: a top-up that posts
between the start of the redemption and its balance UPDATE comes before the credit in the
statement, and the running balance stays in time order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from paydesk.vouchers.models import Voucher
from paydesk.vouchers.services import voucher_redeem

pytestmark = pytest.mark.django_db


def test_a_top_up_posted_while_a_redemption_runs_comes_before_its_credit(issue, portal_user):
    [code] = issue(addition="5")
    customer = portal_user.customer
    claim = f"UPDATE {connection.ops.quote_name(Voucher._meta.db_table)} "
    raced: list[Payment] = []
    busy = False

    def top_up_meanwhile(execute, sql, params, many, context):
        # Right after the redemption claims the voucher (its time already read, the balance
        # not locked yet), another payment of the customer posts — as a concurrent request
        # would, here on the same connection so that the order is fixed, not timed.
        nonlocal busy
        result = execute(sql, params, many, context)
        # (On PostgreSQL the claim is the WITH of the statement that also reads it back.)
        if not busy and not raced and claim in sql:
            busy = True
            raced.append(payment_create(customer=customer, total="20", description="Card top-up"))
        return result

    with connection.execute_wrapper(top_up_meanwhile):
        redemption = voucher_redeem(
            code=code, customer=customer, currency="USD", user=portal_user, ip_address=None
        )

    [top_up] = raced
    voucher = Voucher.objects.get()
    assert top_up.occurred_at > voucher.used_at  # the top-up did post after the redemption began
    assert redemption.payment.occurred_at >= top_up.occurred_at
    rows = Payment.objects.filter(customer=customer).order_by("occurred_at", "id")
    assert list(rows.values_list("total", "balance_after")) == [
        (Decimal("20"), Decimal("20")),
        (Decimal("5"), Decimal("25")),
    ]
    assert balance_drifts() == []
