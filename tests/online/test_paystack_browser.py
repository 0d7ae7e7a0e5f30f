"""Issue 4's browser tests for Paystack, in Debian's Chromium: Make Payment → Pay Stack → the
sandbox's hosted checkout → Pay (success) or Decline (failure) → back through Paydesk's return
URL → /pay/status/<ref>/ with the right status and balance. No CSP refusal on the way."""

from __future__ import annotations

import pytest

from paydesk.ledger.models import Payment
from paydesk.money import format_money
from tests.online.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay_by_paystack(page, base_url: str, amount: str) -> Payment:
    page.goto(f"{base_url}/pay/")
    page.get_by_label("Pay via").select_option("paystack")
    page.locator("#id_paystack-amount").fill(amount)
    page.locator("#id_paystack-currency").select_option("NGN")
    page.wait_for_selector("#quote-body [data-quote='total_charged']")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{base_url}/sandbox/paystack/checkout/**")
    payment = Payment.objects.get(method="paystack")
    assert page.locator("[data-reference]").inner_text() == payment.reference
    assert "NGN" in page.locator("[data-amount]").inner_text()
    return payment


def test_paystack_success_ends_completed_with_the_credit_in_the_balance(
    sandbox, online_customer, page
):
    user = online_customer("paystack", "NGN", account="USD")
    sign_in(page, sandbox.url, user)
    payment = _pay_by_paystack(page, sandbox.url, "16500")
    page.get_by_role("button", name="Pay (success)").click()
    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")

    payment.refresh_from_db()
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "completed"
    assert payment.status == "completed"
    user.customer.refresh_from_db()
    assert user.customer.balance == payment.total > 0
    shown = format_money(user.customer.balance, "USD")
    assert page.locator("[data-balance]").inner_text() == shown
    assert page.locator("[data-credit]").inner_text() == format_money(payment.total, "USD")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_paystack_failure_ends_cancelled_with_the_reason_and_nothing_credited(
    sandbox, online_customer, page
):
    user = online_customer("paystack", "NGN", account="USD")
    sign_in(page, sandbox.url, user)
    payment = _pay_by_paystack(page, sandbox.url, "8250")
    page.get_by_role("button", name="Decline (failure)").click()
    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")

    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
    assert page.locator("[data-reason]").inner_text() == "Failed at Paystack: Declined"
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    user.customer.refresh_from_db()
    assert user.customer.balance == 0
    assert page.locator("[data-balance]").inner_text() == format_money(0, "USD")
    assert page.console_errors == []  # type: ignore[attr-defined]
