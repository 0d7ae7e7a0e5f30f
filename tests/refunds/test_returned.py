"""What went back from payments is summed in one place (ledger/refund_reads.py): the list's
"refunded X of Y", a payment's page and the refund checks read the same numbers; a dispute's
account-currency value comes from the refund rule, not a copy of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.posting import PaidDetails
from paydesk.ledger.refund_reads import (
    Returned,
    refund_returned,
    refunded_totals,
    returned_by_payment,
)
from paydesk.ledger.refunds import (
    chargeback_record,
    chargeback_reversal_record,
    dispute_total_for,
    refund_create,
    refund_left,
    refund_settle,
)
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db

EUR_92_59 = PaidDetails(
    amount=Decimal("92.59"), currency="EUR", fx_rate="1.08", surcharge=Decimal(0)
)


def test_every_reader_gets_the_same_sums_from_one_query(finance, django_assert_num_queries):
    busy = card_payment(total="50.00")
    customer = busy.customer
    refund_create(original=busy, total="5.00", reason="Done", actor=finance, status="completed")
    refund_create(original=busy, total="3.00", reason="Asked", actor=finance)  # pending
    failed = refund_create(original=busy, total="1.00", reason="Failed", actor=finance)
    refund_settle(refund=failed, completed=False, reason="declined", actor=finance)
    chargeback, _new = chargeback_record(original=busy, total=Decimal("2.00"), dispute_id="dp_1")
    chargeback_reversal_record(original=busy, chargeback=chargeback, dispute_id="dp_1")
    abroad = card_payment(customer, total="100.00", paid=EUR_92_59, n=2)
    refund_create(original=abroad, total="50.00", reason="Half", actor=finance, status="completed")
    untouched = card_payment(customer, n=3)

    with django_assert_num_queries(1):
        returned = returned_by_payment(payment_ids=[busy.pk, abroad.pk, untouched.pk])
    assert returned == {
        busy.pk: Returned(
            refunded=Decimal("5.00"),
            refunding=Decimal("3.00"),
            charged_back=Decimal("0.00"),
            refunded_paid=Decimal("8.00"),
        ),
        abroad.pk: Returned(refunded=Decimal("50.00"), refunded_paid=Decimal("46.30")),
    }
    assert refunded_totals(payment_ids=[busy.pk, abroad.pk, untouched.pk]) == {
        busy.pk: Decimal("5.00"),
        abroad.pk: Decimal("50.00"),
    }
    assert refund_returned(payment=busy) == returned[busy.pk]
    assert refund_returned(payment=untouched) == Returned()
    assert refund_left(payment=busy) == Decimal("42.00")


def test_a_dispute_is_worth_the_whole_credit_or_a_refund_s_share(finance):
    payment = card_payment(total="100.00", paid=EUR_92_59)
    assert dispute_total_for(original=payment, paid_amount=Decimal("92.59")) == Decimal("100.00")
    assert dispute_total_for(original=payment, paid_amount=Decimal("46.30")) == Decimal("50.01")
    refund_create(original=payment, total="50.00", reason="Half", actor=finance, status="completed")
    # What is left at the gateway (46.29 EUR) is exactly what is left of the credit.
    assert dispute_total_for(original=payment, paid_amount=Decimal("46.29")) == Decimal("50.00")
    plain = card_payment(payment.customer, n=2)
    assert dispute_total_for(original=plain, paid_amount=Decimal("20.00")) == Decimal("20.00")
