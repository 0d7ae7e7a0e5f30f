"""Finance review: a payment that was completed or cancelled left "Payments needing attention"
(its flag stayed set), and the tile said only "a gateway said something unexpected" while it also
lists held credits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.credits.services import staff_payment_complete
from paydesk.errors import InvalidAmount
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from paydesk.ledger.services import payment_pending_note as note
from tests.backoffice.conftest import signed_in
from tests.backoffice.test_home import count_of

pytestmark = pytest.mark.django_db
LIST = "/backoffice/ledger/payment/"


def _flagged(customer, **received):
    payment = payment_create(
        customer=customer, total="30", description="Crypto", status="pending",
        method="nowpayments",
    )  # fmt: skip
    note(payment=payment, reason="Partially paid: 0.0001 of 0.0003 BTC received.",
         needs_attention=True, **received)  # fmt: skip
    return payment


def test_completing_or_cancelling_clears_the_flag(finance_user, customer):
    completed = payment_complete(payment=_flagged(customer), total="18", actor=finance_user)
    cancelled = payment_cancel(payment=_flagged(customer), reason="Refunded the BTC.")
    assert not completed.needs_attention and not cancelled.needs_attention
    assert completed.expected_total == Decimal("30")  # staff entered what arrived
    assert completed.pending_reason  # kept: why it waited, for the record


def test_a_final_payment_flagged_before_the_fix_is_not_waiting(finance_user, customer):
    """Rows completed while the flag stayed set are frozen by the ledger's guards: the home
    count, the list filter and the page compute it from the status instead."""
    waiting = _flagged(customer)
    legacy = _flagged(customer)
    now = timezone.now()
    Payment.objects.filter(pk=legacy.pk).update(  # as payment_complete did before the fix
        status=PaymentStatus.COMPLETED, completed_at=now, occurred_at=now, balance_after=30
    )
    client = signed_in(finance_user)
    home = client.get("/backoffice/").content.decode()
    assert count_of(home, "Payments needing attention") == 1
    assert "or a credit awaiting a second approver" in home
    assert "A gateway said something unexpected" not in home
    listed = client.get(LIST, {"needs_attention__exact": "1"}).context["cl"].queryset
    assert list(listed) == [waiting]
    page = client.get(f"{LIST}{legacy.pk}/change/").content.decode()
    assert "Yes: read the payment log below" not in page
    assert (
        "Yes: read the payment log below"
        in client.get(f"{LIST}{waiting.pk}/change/").content.decode()
    )


def test_a_partly_paid_payment_is_never_completed_with_the_pending_amount(finance_user, customer):
    """Behind the page, the bulk action, the staff API and the command line alike."""
    payment = _flagged(customer, gateway_received=("0.0001", "BTC"))
    with pytest.raises(InvalidAmount, match=r"only 0\.0001 BTC received"):
        staff_payment_complete(payment=payment.pk, actor=finance_user)
    done = staff_payment_complete(payment=payment.pk, actor=finance_user, total="10.00")
    assert done.total == Decimal("10.00") and done.expected_total == Decimal("30")


def test_a_partly_paid_payment_is_never_completed_for_more_than_it_expected(finance_user, customer):
    """What arrived was less than expected: crediting more than the payment expected is refused."""
    payment = _flagged(customer, gateway_received=("0.0001", "BTC"))
    with pytest.raises(InvalidAmount, match=r"at most the \$30\.00 USD expected"):
        staff_payment_complete(payment=payment.pk, actor=finance_user, total="30.01")
    payment.refresh_from_db()
    assert payment.status == "pending"
