"""Make Payment in a real browser: choosing a method shows only its fields, the quote follows
what the customer types (no submit), errors appear at the field, Pay starts the transfer and
shows the bank details, and when Finance completes it the Payments page follows without a reload.
No script or style is refused by the CSP (no console errors)."""

from __future__ import annotations

import pytest

from paydesk.banktransfers.services import bank_details_update
from paydesk.ledger.models import Payment
from tests.factories import PASSWORD, CustomerFactory, PortalUserFactory, StaffFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_quote_then_pay_by_bank_transfer(live_server, page, rates):
    from decimal import Decimal

    rates({"USD": "1.0850"})
    customer = CustomerFactory(
        currency="USD", topup_currencies=["USD", "EUR"], minimum_payment=Decimal("20")
    )
    user = PortalUserFactory(customer=customer)
    admin, finance = StaffFactory(staff_role="admin"), StaffFactory(staff_role="finance")
    bank_details_update(
        actor=admin,
        beneficiary_name="Paydesk Telecom Ltd",
        account_number="GB33 BUKB 2020 1555 5555 55",
        bank_name="Example Bank plc",
        bank_address="1 Example Street",
        swift="BUKBGB22",
    )
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
    # Nothing is charged to a payer who sends a transfer: the total is what they send.
    total = page.locator("#quote-body dt:has(+ [data-quote='total_charged'])")
    assert total.inner_text() == "Total to transfer"
    assert "1 EUR = 1.085 USD" in page.locator("#quote-body").inner_text()
    assert error.inner_text() == ""

    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/transfers/**")
    payment = Payment.objects.get()
    assert payment.reference in page.locator(".messages").inner_text()
    # The transfer's page: its reference and the provider's bank details.
    body = page.locator("main").inner_text()
    assert payment.reference in body
    for detail in ("Paydesk Telecom Ltd", "GB33 BUKB 2020 1555 5555 55", "BUKBGB22"):
        assert detail in body

    # The customer watches the Payments page while Finance completes the transfer.
    page.goto(f"{live_server.url}/payments/")
    row = page.locator(f'tr[data-payment-id="{payment.pk}"]')
    assert row.locator(".badge").inner_text() == "Pending"
    page.evaluate("window.__notReloaded = true")
    # Finance, in the back office, in another window: the amount received, then confirm.
    staff = page.context.browser.new_page()
    browser_sign_in(staff, live_server.url, finance)  # the password, then the second factor
    staff.wait_for_url(f"{live_server.url}/backoffice/")
    staff.goto(f"{live_server.url}/backoffice/banktransfers/banktransfer/{payment.pk}/change/")
    staff.get_by_label("Amount received").fill("100.00")
    staff.get_by_label("Currency received").fill("EUR")
    staff.get_by_role("button", name="Show the credit").click()
    staff.get_by_role("button", name="Confirm and approve").click()
    staff.wait_for_load_state()
    page.wait_for_selector(f'tr[data-payment-id="{payment.pk}"] .badge-completed', timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True
    assert "$108.50 USD" in page.locator(".balance").inner_text()
    assert page.console_errors == []  # type: ignore[attr-defined]
