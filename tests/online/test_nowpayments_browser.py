"""NOWPayments in a real browser (issue 4): Make Payment → Pay → the sandbox's hosted invoice page
→ a button → back through /pay/return/<ref>/ to /pay/status/<ref>/, which shows the right status
and balance. Finished: Completed and credited. Partially paid: Pending, nothing credited, the
payment flagged for staff with the reason shown. No script or style refused by the CSP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay_at_nowpayments(page, base_url: str, user, button: str) -> Payment:
    sign_in(page, base_url, user)
    page.goto(f"{base_url}/pay/")
    page.get_by_label("Pay via").select_option("nowpayments")
    page.locator("#id_nowpayments-amount").fill("10")
    page.wait_for_selector("#quote-body [data-quote='credit']:has-text('$10.00 USD')")
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url(re.compile(rf"^{re.escape(base_url)}/sandbox/nowpayments/payment/\?iid=\d+$"))
    assert "$10.00 USD" in page.locator("[data-price]").inner_text()
    assert "0.00016667 BTC" in page.locator("[data-pay-amount]").inner_text()
    payment = Payment.objects.get(customer=user.customer)
    assert page.url.endswith(f"iid={payment.gateway_reference}")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{base_url}/pay/status/{payment.reference}/")
    payment.refresh_from_db()
    return payment


def test_nowpayments_finished(sandbox, online_customer, page):
    user = online_customer("nowpayments")
    payment = _pay_at_nowpayments(page, sandbox.url, user, "Pay in full (finished)")

    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    assert page.locator("[data-balance]").inner_text() == "$10.00 USD"
    assert "$10.00 USD was credited" in page.locator(".status-line").inner_text()
    assert payment.status == PaymentStatus.COMPLETED
    user.customer.refresh_from_db()
    assert user.customer.balance == Decimal("10.00")
    assert page.console_errors == []


def test_nowpayments_partially_paid(sandbox, online_customer, page):
    user = online_customer("nowpayments")
    payment = _pay_at_nowpayments(page, sandbox.url, user, "Pay part (partially paid)")

    assert page.locator("[data-status]").get_attribute("data-status") == "pending"
    reason = "Partially paid: 0.00010000 of 0.00016667 BTC received."
    assert page.locator("[data-reason]").inner_text() == reason
    assert page.locator("[data-balance]").inner_text() == "$0.00 USD"
    assert payment.status == PaymentStatus.PENDING
    assert payment.needs_attention and payment.pending_reason == reason
    user.customer.refresh_from_db()
    assert user.customer.balance == Decimal("0")
    assert page.console_errors == []
