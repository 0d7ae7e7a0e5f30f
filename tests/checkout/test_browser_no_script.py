"""Make Payment with JavaScript off, in a real browser: every method's fields are on the page and
the form is sent as the browser sends it. With the voucher chosen, Enter in the code field and
Show quote redeemed the voucher; only "Redeem voucher" does now."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment
from paydesk.vouchers.batches import voucher_batch_issue
from tests.conftest import chromium_launched
from tests.factories import CustomerFactory, PortalUserFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_without_script(monkeypatch):
    with chromium_launched(monkeypatch) as browser:
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 390, "height": 844}
        )
        yield context.new_page()
        context.close()


def test_enter_and_show_quote_on_a_voucher_redeem_nothing(live_server, page_without_script):
    page, base = page_without_script, live_server.url
    user = PortalUserFactory(customer=CustomerFactory(currency="USD"))
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="5", actor=None)
    browser_sign_in(page, base, user, path="/accounts/login/")
    page.goto(f"{base}/pay/")
    page.get_by_label("Pay via").select_option("voucher")
    page.get_by_label("Voucher code").fill(code)

    page.get_by_label("Voucher code").press("Enter")
    page.wait_for_url(f"{base}/pay/")
    quote = page.locator("#quote")
    assert "Nothing to quote for a voucher" in quote.inner_text()
    page.get_by_role("button", name="Show quote").click()
    page.wait_for_url(f"{base}/pay/")
    assert "Nothing to quote for a voucher" in quote.inner_text()
    assert Payment.objects.count() == 0
    user.customer.refresh_from_db()
    assert user.customer.balance == 0

    page.get_by_role("button", name="Redeem voucher", exact=True).click()
    page.wait_for_url(f"{base}/payments/")
    assert "Voucher redeemed: $5.00 USD was credited" in page.content()
    user.customer.refresh_from_db()
    assert user.customer.balance == Decimal("5")
