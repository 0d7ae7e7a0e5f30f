"""Razorpay in a real browser (issue 4): Make Payment → our page, where Razorpay Checkout opens
at once without a second click (issue 13, finding 12; the sandbox's checkout.js, its frame over
our page) → Pay or Fail → /pay/status/<ref>/ with the
right status and balance. No script, frame or style refused by the CSP (no console errors)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay_via_razorpay(page, base: str, amount: str) -> Payment:
    page.goto(f"{base}/pay/")
    page.get_by_label("Pay via").select_option("razorpay")
    page.locator("#id_razorpay-amount").fill(amount)
    page.locator("#id_razorpay-currency").select_option("INR")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r".*/pay/razorpay/[A-Z0-9-]+/$"))
    payment = Payment.objects.get(method="razorpay")
    assert page.url == f"{base}/pay/razorpay/{payment.reference}/"
    # No second Pay to press: the checkout is open over our page.
    page.locator("iframe.razorpay-checkout-frame").wait_for(state="visible")
    return payment


def test_a_successful_razorpay_payment(sandbox, page, online_customer):
    user = online_customer("razorpay", "INR", account="INR")
    sign_in(page, sandbox.url, user)
    payment = _pay_via_razorpay(page, sandbox.url, "750")
    checkout = page.frame_locator("iframe.razorpay-checkout-frame")
    assert checkout.locator("[data-amount]").inner_text() == "₹750.00 INR"
    checkout.get_by_role("button", name="Pay (success)").click()

    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    assert page.locator("[data-balance]").inner_text() == "₹750.00 INR"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.total == Decimal("750.00")
    assert [h.event_type for h in sandbox.webhooks("razorpay")] == [
        "payment.captured",
        "order.paid",
    ]
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_failed_razorpay_payment(sandbox, page, online_customer):
    user = online_customer("razorpay", "INR", account="INR")
    sign_in(page, sandbox.url, user)
    payment = _pay_via_razorpay(page, sandbox.url, "300")
    checkout = page.frame_locator("iframe.razorpay-checkout-frame")
    checkout.get_by_role("button", name="Fail payment").click()

    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
    assert "declined by the bank" in page.locator("[data-reason]").inner_text()
    assert page.locator("[data-balance]").inner_text() == "₹0.00 INR"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_closing_the_razorpay_checkout_cancels(sandbox, page, online_customer):
    user = online_customer("razorpay", "INR", account="INR")
    sign_in(page, sandbox.url, user)
    payment = _pay_via_razorpay(page, sandbox.url, "120")
    page.frame_locator("iframe.razorpay-checkout-frame").get_by_role(
        "button", name="Close the checkout"
    ).click()

    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
    assert page.locator("[data-reason]").inner_text() == (
        "You closed the Razorpay checkout without paying."
    )
    assert page.locator("[data-balance]").inner_text() == "₹0.00 INR"
    assert page.console_errors == []  # type: ignore[attr-defined]
