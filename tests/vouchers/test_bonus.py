"""Bonus vouchers told as worked examples: arm it, top up, receive a separate bonus payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from paydesk.vouchers.bonus import voucher_bonus_amount
from paydesk.vouchers.models import VoucherActivation
from paydesk.vouchers.selectors import activation_list_armed
from paydesk.vouchers.services import voucher_redeem
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db


def arm(issue, user, **terms):
    [code] = issue(**terms)
    redemption = voucher_redeem(
        code=code,
        customer=user.customer,
        currency=user.customer.currency,
        user=user,
        ip_address="203.0.113.9",
    )
    assert redemption.payment is None
    return redemption.activation


def top_up(customer, total, **extra):
    return payment_create(customer=customer, total=total, description="Card top-up", **extra)


def balance(customer):
    customer.refresh_from_db()
    return customer.balance


def test_top_up_of_100_with_x_2_and_a_5_earns_a_separate_bonus_of_105(issue, portal_user):
    customer = portal_user.customer
    activation = arm(issue, portal_user, minimum_activation="50", multiplier="2", addition="5")
    assert balance(customer) == 0  # arming credits nothing
    assert list(activation_list_armed(customer=customer)) == [activation]

    payment = top_up(customer, "100", method="card")

    bonus = Payment.objects.exclude(pk=payment.pk).get()
    assert (bonus.total, bonus.status, bonus.method) == (Decimal("105"), "completed", "voucher")
    assert bonus.description.startswith("Voucher bonus …")
    assert bonus.balance_after == Decimal("205")
    assert balance(customer) == Decimal("205")
    activation.refresh_from_db()
    assert (activation.applied_payment, activation.bonus_payment) == (payment, bonus)
    assert list(activation_list_armed(customer=customer)) == []
    assert AuditEntry.objects.filter(action="voucher.bonus").count() == 1
    assert balance_drifts() == []


def test_x_1_1_adds_ten_percent(issue, portal_user):
    arm(issue, portal_user, minimum_activation="10", multiplier="1.1", addition="0")
    top_up(portal_user.customer, "100")
    assert balance(portal_user.customer) == Decimal("110")


def test_x_at_most_1_adds_no_multiple_only_a(issue, portal_user):
    arm(issue, portal_user, minimum_activation="10", multiplier="0.5", addition="3")
    top_up(portal_user.customer, "100")
    assert balance(portal_user.customer) == Decimal("103")


def test_a_top_up_below_m_earns_nothing_and_the_voucher_stays_armed(issue, portal_user):
    customer = portal_user.customer
    activation = arm(issue, portal_user, minimum_activation="50", multiplier="2", addition="5")
    top_up(customer, "49.99")
    assert balance(customer) == Decimal("49.99")
    assert activation_list_armed(customer=customer).get() == activation
    top_up(customer, "50")  # exactly M qualifies
    assert balance(customer) == Decimal("49.99") + Decimal("50") + Decimal("55")


def test_a_bonus_applies_once(issue, portal_user):
    customer = portal_user.customer
    arm(issue, portal_user, minimum_activation="10", multiplier="2", addition="0")
    top_up(customer, "20")
    top_up(customer, "20")
    assert balance(customer) == Decimal("60")
    assert Payment.objects.filter(method="voucher").count() == 1


def test_two_armed_vouchers_apply_to_two_top_ups_oldest_first(issue, portal_user):
    customer = portal_user.customer
    first = arm(issue, portal_user, minimum_activation="10", multiplier="1", addition="1")
    second = arm(issue, portal_user, minimum_activation="10", multiplier="1", addition="2")
    one = top_up(customer, "10")
    two = top_up(customer, "10")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.applied_payment, second.applied_payment) == (one, two)
    assert balance(customer) == Decimal("23")


def test_a_pending_top_up_earns_the_bonus_when_it_completes_not_before(issue, portal_user):
    customer = portal_user.customer
    arm(issue, portal_user, minimum_activation="10", multiplier="2", addition="0")
    pending = top_up(customer, "30", status="pending", method="bank_transfer")
    assert Payment.objects.filter(method="voucher").count() == 0
    payment_complete(payment=pending)
    assert balance(customer) == Decimal("60")


def test_a_cancelled_top_up_a_purchase_or_a_voucher_credit_earns_nothing(issue, portal_user):
    customer = portal_user.customer
    activation = arm(issue, portal_user, minimum_activation="1", multiplier="2", addition="0")
    payment_cancel(payment=top_up(customer, "30", status="pending"), reason="Abandoned")
    payment_create(customer=customer, total="-10", description="DID rental", allow_overdraft=True)
    [free] = issue(addition="5")
    voucher_redeem(
        code=free, customer=customer, currency="USD", user=portal_user, ip_address="203.0.113.9"
    )
    activation.refresh_from_db()
    assert activation.is_armed
    assert balance(customer) == Decimal("-5")
    top_up(customer, "40")  # the first real top-up takes it
    activation.refresh_from_db()
    assert activation.applied_payment.total == Decimal("40")
    assert balance(customer) == Decimal("-5") + Decimal("40") + Decimal("40")


def test_the_bonus_is_rounded_once_half_up_to_the_minor_unit(finance_user):
    assert voucher_bonus_amount(
        topup=Decimal("33.33"), multiplier=Decimal("1.15"), addition=Decimal(0), currency="USD"
    ) == Decimal("5.00")  # 4.9995 → 5.00
    assert voucher_bonus_amount(
        topup=Decimal("999"), multiplier=Decimal("1.15"), addition=Decimal(0), currency="JPY"
    ) == Decimal("150")  # 149.85 → 150
    assert voucher_bonus_amount(
        topup=Decimal("10.0001"),
        multiplier=Decimal("1.5"),
        addition=Decimal("0.25"),
        currency="KWD",
    ) == Decimal("5.250")  # 5.00005 + 0.25 → 5.250


def test_a_bonus_in_yen_is_whole_yen(issue, finance_user):
    user = PortalUserFactory(customer=CustomerFactory(currency="JPY"))
    arm(issue, user, currency="JPY", minimum_activation="500", multiplier="1.15", addition="0")
    top_up(user.customer, "999")
    assert Payment.objects.get(method="voucher").total == Decimal("150")
    assert VoucherActivation.objects.get().bonus_payment.total == Decimal("150")
