"""Issue 4's PayPal stories in a real browser (Debian's Chromium): Make Payment → PayPal's
approval page (the sandbox) → back to Paydesk → the payment's status page, which must show the
right status and balance: approved → Completed and credited; cancelled → Cancelled with the
reason and the balance unchanged. No script or style is refused by the CSP on the way."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment
from tests.online.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay_with_paypal(page, base: str, amount: str) -> None:
    page.goto(f"{base}/pay/")
    page.get_by_label("Pay via").select_option("paypal")
    page.locator("#id_paypal-amount").fill(amount)
    page.wait_for_selector(f"#quote-body [data-quote='credit']:has-text('${amount} USD')")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r".*/sandbox/paypal/checkoutnow\?token=\w+$"))
    assert f"{amount} USD" in page.locator("[data-amount]").inner_text()


def test_paypal_approved_ends_completed_and_credited(sandbox, online_customer, page):
    user = online_customer("paypal", "USD")
    sign_in(page, sandbox.url, user)
    _pay_with_paypal(page, sandbox.url, "25.00")
    payment = Payment.objects.get(customer=user.customer)
    assert page.url.endswith(f"token={payment.gateway_reference}")

    page.get_by_role("button", name="Approve and pay").click()
    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "completed"
    assert "Completed" in status.inner_text()
    assert page.locator("[data-balance]").inner_text() == "$25.00 USD"
    assert page.locator("[data-credit]").inner_text() == "$25.00 USD"
    payment.refresh_from_db()
    user.customer.refresh_from_db()
    assert payment.status == "completed" and user.customer.balance == Decimal("25.00")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_paypal_cancelled_ends_cancelled_with_the_reason_and_balance_unchanged(
    sandbox, online_customer, page
):
    user = online_customer("paypal", "USD")
    sign_in(page, sandbox.url, user)
    _pay_with_paypal(page, sandbox.url, "30.00")
    payment = Payment.objects.get(customer=user.customer)

    page.get_by_role("button", name="Cancel and return").click()
    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/?left=1")
    assert page.locator("[data-left]").inner_text() == "Not paid: you left PayPal before paying."
    assert page.locator("[data-status]").get_attribute("data-status") == "pending"
    page.get_by_role("button", name="Cancel this payment").click()  # a POST with our token
    page.wait_for_url(f"{sandbox.url}/pay/status/{payment.reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
    assert page.locator("[data-reason]").inner_text() == "You cancelled the payment at PayPal."
    assert page.locator("[data-balance]").inner_text() == "$0.00 USD"
    payment.refresh_from_db()
    user.customer.refresh_from_db()
    assert payment.status == "cancelled" and user.customer.balance == 0
    assert page.console_errors == []  # type: ignore[attr-defined]
