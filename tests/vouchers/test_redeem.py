"""Redeeming vouchers: a free-credit voucher credits A at once; every failure looks the same."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.errors import (
    InvalidAmount,
    InvalidCurrency,
    PaymentError,
    PermissionDenied,
    VoucherError,
    VoucherRejected,
)
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.vouchers.batches import voucher_batch_disable, voucher_batch_issue, voucher_disable
from paydesk.vouchers.codes import voucher_code_new
from paydesk.vouchers.models import Voucher, VoucherStatus
from paydesk.vouchers.selectors import voucher_batch_status_counts, voucher_find_by_code
from paydesk.vouchers.services import REJECTED_MESSAGE, voucher_redeem
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db
IP = "198.51.100.7"


def redeem(code, user, currency="USD"):
    return voucher_redeem(
        code=code, customer=user.customer, currency=currency, user=user, ip_address=IP
    )


def test_a_free_credit_voucher_of_5_dollars_credits_5_dollars_at_once(issue, portal_user):
    [code] = issue(addition="5")
    redemption = redeem(code, portal_user)
    payment = redemption.payment
    assert (payment.total, payment.status, payment.method) == (Decimal("5"), "completed", "voucher")
    assert payment.description == f"Voucher …{code.replace('-', '')[-4:]}"
    assert payment.staff_comment == ""
    assert redemption.activation is None
    voucher = Voucher.objects.get()
    assert voucher.status == VoucherStatus.USED
    assert voucher.used_by == portal_user.customer
    assert voucher.redemption_payment == payment
    portal_user.customer.refresh_from_db()
    assert portal_user.customer.balance == Decimal("5")
    assert balance_drifts() == []
    assert AuditEntry.objects.filter(action="voucher.redeem", ip_address=IP).count() == 1


def test_a_typed_code_in_lower_case_with_spaces_redeems(issue, portal_user):
    [code] = issue(addition="12.50")
    redeem(code.lower().replace("-", " "), portal_user)
    portal_user.customer.refresh_from_db()
    assert portal_user.customer.balance == Decimal("12.50")


def _failures(issue, portal_user):
    """One code of each kind that must not redeem, for a USD customer."""
    [used] = issue()
    redeem(used, portal_user)
    [disabled] = issue()
    voucher_disable(voucher=voucher_find_by_code(code=disabled), actor=None)
    [expired] = issue(expires_at=timezone.now() + timedelta(days=1))
    Voucher.objects.filter(pk=voucher_find_by_code(code=expired).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    [euro] = issue(currency="EUR")
    good = voucher_code_new()
    bad_check = good[:-1] + ("A" if good[-1] != "A" else "B")
    return {
        "used": used,
        "disabled": disabled,
        "expired": expired,
        "wrong currency": euro,
        "nonexistent": good,
        "bad check character": bad_check,
        "empty": "",
        "junk": "'; DROP TABLE vouchers; --",
    }


def test_every_kind_of_failure_gets_the_same_error_and_message(issue, portal_user, settings):
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 100
    seen = set()
    for kind, code in _failures(issue, portal_user).items():
        with pytest.raises(VoucherRejected) as caught:
            redeem(code, portal_user)
        seen.add((type(caught.value), caught.value.message, caught.value.field, caught.value.code))
        assert caught.value.message == REJECTED_MESSAGE, kind
    assert seen == {(VoucherRejected, REJECTED_MESSAGE, "code", "voucher_rejected")}
    portal_user.customer.refresh_from_db()
    assert portal_user.customer.balance == Decimal("5")  # only the one good redemption
    assert Voucher.objects.filter(status=VoucherStatus.USED).count() == 1


def test_a_failed_redemption_leaves_the_voucher_available(issue, portal_user):
    [euro] = issue(currency="EUR")
    with pytest.raises(VoucherRejected):
        redeem(euro, portal_user)
    voucher = voucher_find_by_code(code=euro)
    assert (voucher.status, voucher.used_by) == (VoucherStatus.AVAILABLE, None)
    euro_user = PortalUserFactory(customer=CustomerFactory(currency="EUR"))
    redeem(euro, euro_user, currency="EUR")
    euro_user.customer.refresh_from_db()
    assert euro_user.customer.balance == Decimal("5")


def test_only_the_account_currency_is_accepted_for_now(issue, portal_user):
    [code] = issue()
    with pytest.raises(InvalidCurrency, match="account currency, USD"):
        redeem(code, portal_user, currency="EUR")
    assert voucher_find_by_code(code=code).status == VoucherStatus.AVAILABLE


def test_who_may_redeem(issue, portal_user, support_user):
    [code] = issue()
    bookkeeper = PortalUserFactory(customer=portal_user.customer, can_make_payments=False)
    stranger = PortalUserFactory()
    with pytest.raises(PermissionDenied):
        redeem(code, bookkeeper)
    with pytest.raises(PermissionDenied):
        voucher_redeem(
            code=code, customer=portal_user.customer, currency="USD", user=stranger, ip_address=IP
        )
    with pytest.raises(PermissionDenied):
        voucher_redeem(
            code=code,
            customer=portal_user.customer,
            currency="USD",
            user=support_user,
            ip_address=IP,
        )
    customer = portal_user.customer
    customer.allow_vouchers = False
    customer.save(update_fields=["allow_vouchers"])
    with pytest.raises(PaymentError, match="not available"):
        redeem(code, portal_user)
    customer.allow_vouchers = None
    customer.blocked_methods = ["voucher"]
    customer.save(update_fields=["allow_vouchers", "blocked_methods"])
    with pytest.raises(PaymentError, match="not available"):
        redeem(code, portal_user)
    assert voucher_find_by_code(code=code).status == VoucherStatus.AVAILABLE


def test_issuing_and_disabling_need_finance_or_admin(support_user, admin_user, finance_user):
    with pytest.raises(PermissionDenied):
        voucher_batch_issue(count=1, currency="USD", addition="5", actor=support_user)
    batch, codes = voucher_batch_issue(count=3, currency="USD", addition="5", actor=admin_user)
    with pytest.raises(PermissionDenied):
        voucher_disable(voucher=batch.vouchers.first(), actor=support_user)
    assert voucher_disable(voucher=batch.vouchers.first(), actor=finance_user).status == "disabled"
    assert voucher_batch_disable(batch=batch, actor=finance_user) == 2
    assert voucher_batch_status_counts(batch=batch) == {"available": 0, "used": 0, "disabled": 3}
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("id"))
    assert actions == ["voucher_batch.issue", "voucher.disable", "voucher_batch.disable"]
    for entry in AuditEntry.objects.all():
        for code in codes:
            assert code not in repr((entry.before, entry.after))


def test_a_used_voucher_cannot_be_disabled(issue, portal_user, finance_user):
    [code] = issue()
    redeem(code, portal_user)
    with pytest.raises(VoucherError, match="is used: only an available voucher"):
        voucher_disable(voucher=voucher_find_by_code(code=code), actor=finance_user)


@pytest.mark.parametrize(
    ("terms", "error", "field"),
    [
        ({"count": 0}, VoucherError, "count"),
        ({"count": 10_001}, VoucherError, "count"),
        ({"currency": "XYZ"}, InvalidCurrency, "currency"),
        ({"addition": "0"}, VoucherError, "addition"),
        ({"addition": "-5"}, InvalidAmount, "addition"),
        ({"addition": "5.001"}, InvalidAmount, "addition"),
        ({"addition": 5.5}, InvalidAmount, "addition"),
        ({"multiplier": "-1"}, InvalidAmount, "multiplier"),
        ({"multiplier": "1.00001"}, InvalidAmount, "multiplier"),
        (
            {"minimum_activation": "10", "multiplier": "1", "addition": "0"},
            VoucherError,
            "multiplier",
        ),
        ({"expires_at": "past"}, VoucherError, "expires_at"),
    ],
)
def test_bad_batch_terms_are_refused_with_a_clear_field_error(finance_user, terms, error, field):
    arguments = {"count": 1, "currency": "USD", "addition": "5", **terms}
    if arguments.get("expires_at") == "past":
        arguments["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(error) as caught:
        voucher_batch_issue(actor=finance_user, **arguments)
    assert caught.value.field == field
    assert not Voucher.objects.exists()


def test_a_free_credit_voucher_in_yen_is_whole_yen(finance_user):
    with pytest.raises(InvalidAmount, match="JPY"):
        voucher_batch_issue(count=1, currency="JPY", addition="500.5", actor=finance_user)
    batch, _codes = voucher_batch_issue(count=1, currency="jpy", addition="500", actor=finance_user)
    assert batch.currency == "JPY"
    assert Payment.objects.count() == 0
