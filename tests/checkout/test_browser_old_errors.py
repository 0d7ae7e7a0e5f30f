"""Make Payment in a real browser, issue 13 finding 12: an error the server rendered with the page
(a voucher code refused on Pay, an amount refused) does not stay on screen once the customer
changes that field or a quote succeeds; nor does a quote, a minimum payment or "Show quote" stay
beside a voucher, which takes no amount, and its button says "Redeem voucher", not "Pay"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import PASSWORD, CustomerFactory, PortalUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _make_payment_page(page, base: str) -> None:
    customer = CustomerFactory(currency="USD", minimum_payment=Decimal("20"))
    user = PortalUserFactory(customer=customer)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/pay/")


def test_a_refused_voucher_code_is_forgotten_when_the_code_changes(live_server, page, rates):
    rates({"USD": "1.0850"})
    _make_payment_page(page, live_server.url)
    page.get_by_label("Pay via").select_option("voucher")
    code = page.get_by_label("Voucher code")
    code.fill("AAAA-BBBB-CCCC-DDDD-E")
    page.get_by_role("button", name="Redeem voucher", exact=True).click()
    page.wait_for_load_state()
    voucher = page.locator("fieldset[data-method='voucher']")
    assert "cannot be redeemed" in voucher.inner_text()
    # The page the server sent back says what its button does for the voucher chosen.
    assert page.get_by_role("button", name="Redeem voucher", exact=True).is_visible()
    assert voucher.locator(".field-error").count() == 1

    page.get_by_label("Voucher code").fill("WKTD-VFT2-YF5Z-P7FE-3")
    assert "cannot be redeemed" not in voucher.inner_text()
    assert voucher.locator(".field-error").count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_refused_amount_is_forgotten_when_a_quote_succeeds(live_server, page, rates):
    rates({"USD": "1.0850"})
    _make_payment_page(page, live_server.url)
    page.get_by_label("Pay via").select_option("bank_transfer")
    page.locator("#id_bank_transfer-amount").fill("5")
    page.get_by_role("button", name="Show quote").click()
    page.wait_for_load_state()
    transfer = page.locator("fieldset[data-method='bank_transfer']")
    assert "Your minimum payment" in transfer.locator("ul.errorlist").inner_text()

    page.locator("#id_bank_transfer-amount").fill("100")
    page.wait_for_selector("#quote-body [data-quote='credit']:has-text('$100.00 USD')")
    assert "Your minimum payment" not in transfer.inner_text()
    assert transfer.locator(".field-error").count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_voucher_shows_no_quote_minimum_or_quote_button(live_server, page, rates):
    rates({"USD": "1.0850"})
    _make_payment_page(page, live_server.url)
    page.get_by_label("Pay via").select_option("bank_transfer")
    page.locator("#id_bank_transfer-amount").fill("100")
    page.wait_for_selector("#quote-body [data-quote='credit']:has-text('$100.00 USD')")
    minimum = page.locator(".pay-minimum")
    show_quote = page.get_by_role("button", name="Show quote")
    assert minimum.is_visible() and show_quote.is_visible()

    page.get_by_label("Pay via").select_option("voucher")
    quote = page.locator("#quote-body")
    assert quote.inner_text() == "Nothing to quote for a voucher: redeem it to see what it gives."
    assert quote.locator("[data-quote]").count() == 0  # the transfer's $100.00 is gone
    assert not minimum.is_visible() and not show_quote.is_visible()
    # Nothing is paid with a voucher: the button says what it does.
    assert page.get_by_role("button", name="Redeem voucher", exact=True).is_visible()
    assert page.get_by_role("button", name="Pay", exact=True).count() == 0

    page.get_by_label("Pay via").select_option("bank_transfer")  # its amount is still there
    page.wait_for_selector("#quote-body [data-quote='credit']:has-text('$100.00 USD')")
    assert minimum.is_visible() and show_quote.is_visible()
    assert page.get_by_role("button", name="Pay", exact=True).is_visible()
    assert page.get_by_role("button", name="Redeem voucher", exact=True).count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]
