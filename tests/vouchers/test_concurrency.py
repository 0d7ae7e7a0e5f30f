"""R9: 16 people redeeming one voucher at once → exactly one succeeds, one credit.

Threads with their own database connections; on PostgreSQL the conditional UPDATE's row lock
decides, on SQLite the IMMEDIATE transactions queue the writers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.errors import VoucherRejected
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import Voucher, VoucherActivation, VoucherStatus
from paydesk.vouchers.services import Redemption, voucher_redeem
from tests.factories import CustomerFactory, PortalUserFactory
from tests.vouchers.conftest import run_at_once

RACERS = 16


def _sixteen_redeem_one(settings, **terms):
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 1000  # losers count as failures; not under test here
    customer = CustomerFactory(currency="USD")
    users = [PortalUserFactory(customer=customer) for _ in range(RACERS)]
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", actor=None, **terms)

    outcomes = run_at_once(
        RACERS,
        lambda i: voucher_redeem(
            code=code,
            customer=customer,
            currency="USD",
            user=users[i],
            ip_address=f"192.0.2.{i + 1}",
        ),
    )

    winners = [o for o in outcomes if isinstance(o, Redemption)]
    losers = [o for o in outcomes if isinstance(o, VoucherRejected)]
    assert (len(winners), len(losers)) == (1, RACERS - 1), outcomes
    assert Voucher.objects.get().status == VoucherStatus.USED
    return customer


def _free_credit_redeemed_once(settings):
    customer = _sixteen_redeem_one(settings, addition="5")
    assert Payment.objects.filter(customer=customer).count() == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("5")
    assert balance_drifts() == []


def _bonus_armed_once(settings):
    customer = _sixteen_redeem_one(settings, minimum_activation="10", multiplier="2", addition="0")
    assert VoucherActivation.objects.filter(customer=customer).count() == 1
    assert Payment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_16_concurrent_redemptions_of_one_voucher_on_sqlite(settings):
    _free_credit_redeemed_once(settings)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_concurrent_redemptions_of_one_voucher_on_postgresql(settings):
    _free_credit_redeemed_once(settings)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_concurrent_redemptions_of_one_bonus_voucher_arm_it_once(settings):
    _bonus_armed_once(settings)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_concurrent_top_ups_apply_one_armed_bonus_once(settings):
    customer = _sixteen_redeem_one(settings, minimum_activation="10", multiplier="2", addition="1")

    outcomes = run_at_once(
        8, lambda i: payment_create(customer=customer, total="10", description=f"Top-up {i}")
    )

    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    bonus = Payment.objects.get(method="voucher")
    assert bonus.total == Decimal("11")  # 10 × (2 − 1) + 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("80") + Decimal("11")
    assert customer.balance == sum(p.total for p in Payment.objects.filter(status="completed"))
    applied = VoucherActivation.objects.get().applied_payment
    assert bonus.balance_after == applied.balance_after + bonus.total  # posted right after it
    # Not balance_drifts(): its "latest balance_after" check orders by completed_at, which
    # payment_create stamps before it waits for the customer's row (reported to the lead).
