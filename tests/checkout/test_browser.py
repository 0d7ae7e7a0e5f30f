"""Make Payment in a real browser: choosing a method shows only its fields, the quote follows
what the customer types (no submit), errors appear at the field, and Pay starts the transfer.
No script or style is refused by the CSP (no console errors)."""

from __future__ import annotations

import pytest

from paydesk.ledger.models import Payment
from tests.conftest import CHROMIUM
from tests.factories import PASSWORD, CustomerFactory, PortalUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.console_errors = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        yield page
        browser.close()


def test_live_quote_then_pay_by_bank_transfer(live_server, page, rates):
    from decimal import Decimal

    rates({"USD": "1.0850"})
    customer = CustomerFactory(
        currency="USD", topup_currencies=["USD", "EUR"], minimum_payment=Decimal("20")
    )
    user = PortalUserFactory(customer=customer)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/payments/")
    page.get_by_role("link", name="Make Payment").click()
    page.wait_for_url(f"{live_server.url}/pay/")

    assert not page.locator("fieldset[data-method='voucher']").is_visible()
    page.get_by_label("Pay via").select_option("bank_transfer")
    assert page.locator("fieldset[data-method='bank_transfer']").is_visible()
    assert not page.locator("fieldset[data-method='voucher']").is_visible()

    amount = page.locator("#id_bank_transfer-amount")
    amount.fill("5")
    error = page.locator("fieldset[data-method='bank_transfer'] [data-field-error='amount']")
    error.filter(has_text="Your minimum payment").wait_for(timeout=10_000)
    assert "No quote yet" in page.locator("#quote-body").inner_text()

    page.locator("#id_bank_transfer-currency").select_option("EUR")
    amount.fill("100")
    page.wait_for_selector("#quote-body [data-quote='credit']:has-text('$108.50 USD')")
    assert page.locator("#quote-body [data-quote='total_charged']").inner_text() == "€100.00 EUR"
    assert "1 EUR = 1.085 USD" in page.locator("#quote-body").inner_text()
    assert error.inner_text() == ""

    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/payments/")
    payment = Payment.objects.get()
    assert payment.reference in page.locator(".messages").inner_text()
    assert page.console_errors == []  # type: ignore[attr-defined]
