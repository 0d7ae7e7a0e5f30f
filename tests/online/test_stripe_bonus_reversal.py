"""The outside review's two stories, end to end through Stripe's sandbox: a bonus voucher armed,
a 50.00 card top-up earning a 55.00 bonus, then the top-up charged back (the sandbox's Stripe
panel: dispute, then lose) or refunded by Finance through the staff API. Either way the bonus
goes back with it and the balance is what the customer actually paid; replays change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import VoucherActivation
from paydesk.vouchers.services import voucher_redeem
from tests.api.conftest import ApiClient, key_for
from tests.factories import StaffFactory
from tests.online.stripe_support import card_checkout
from tests.online.test_stripe_refunds import balance, press, replay_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid_with_bonus(sandbox, online_customer, settings):
    """The customer armed a bonus voucher (M 50, X 2, A 5) and paid 50.00 USD by card."""
    settings.PAYDESK_GATEWAY_TIMEOUT = 10  # as test_stripe_refunds' `paid`: no webhook cut short
    user = online_customer("card", "USD")
    _batch, [code] = voucher_batch_issue(
        count=1,
        currency="USD",
        actor=None,
        minimum_activation="50",
        multiplier="2",
        addition="5",
    )
    voucher_redeem(
        code=code, customer=user.customer, currency="USD", user=user, ip_address="203.0.113.9"
    )
    checkout = card_checkout(sandbox.url, user, amount="50.00")
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and payment.total == Decimal("50.00")
    assert balance(payment) == Decimal("105.00")  # 50.00 paid + 55.00 bonus
    return payment


def bonus_rows(topup: Payment) -> list[tuple[str, Decimal]]:
    bonus = VoucherActivation.objects.get(applied_payment=topup).bonus_payment
    return [(r.relation, r.total) for r in Payment.objects.filter(original=bonus).order_by("id")]


def test_a_dispute_lost_at_stripe_takes_the_bonus_back(paid_with_bonus):
    press("dispute", paid_with_bonus, reason="fraudulent")
    press("lose", paid_with_bonus)
    replay_all(paid_with_bonus)
    assert bonus_rows(paid_with_bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-55.00"))]
    assert balance(paid_with_bonus) == Decimal("0.00")
    assert balance_drifts() == []


def test_finance_refund_through_the_staff_api_takes_the_bonus_back(paid_with_bonus):
    finance = ApiClient(key_for(StaffFactory(staff_role="finance")))
    answer = finance.post(
        f"/api/v1/staff/payments/{paid_with_bonus.reference}/refund",
        {"reason": "Customer asked"},
        **{"Idempotency-Key": "refund-1"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "completed"
    replay_all(paid_with_bonus)
    assert bonus_rows(paid_with_bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-55.00"))]
    assert balance(paid_with_bonus) == Decimal("0.00")
    assert balance_drifts() == []
