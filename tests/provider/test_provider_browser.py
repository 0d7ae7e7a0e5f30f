"""Issue 17's story in a real browser: an Administrator enters the sandbox PayPal app's live
credentials in the back office, tests the connection, switches PayPal to live mode, and a
customer pays through it — the sandbox's approval page says the live app made the order. With
the mode back on test, the next payment is made by the test app and its row carries the Test
mode badge. The settings page passes axe-core; no secret is on it. An Administrator sets the
brand's logo and colour (a pale one refused) and the portal's header shows them."""

from __future__ import annotations

import pytest

from paydesk.checkout.models import MethodConfig
from paydesk.ledger.models import Payment
from tests.axe import assert_accessible
from tests.online.conftest import sign_in
from tests.online.paypal_steps import paypal_tokens_forget
from tests.online.test_paypal_browser import _pay_with_paypal
from tests.provider.conftest import BRAND, GATEWAYS, SANDBOX_PAYPAL_LIVE
from tests.provider.test_brand import CLEAN_SVG
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay(page, base: str, amount: str) -> Payment:
    _pay_with_paypal(page, base, amount)  # Make Payment → PayPal's approval page
    return Payment.objects.filter(method="paypal").latest("id")


def _approve(page, base: str, payment: Payment) -> None:
    page.get_by_role("button", name="Approve and pay").click()
    page.wait_for_url(f"{base}/pay/status/{payment.reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"


def _mode(admin, base: str, mode: str) -> None:
    admin.goto(f"{base}{GATEWAYS}")
    section = admin.locator("#gateway-paypal")
    section.get_by_role("radio", name=mode.capitalize()).check()
    section.get_by_role("button", name="Save the mode of PayPal").click()
    admin.wait_for_load_state()
    assert f"PayPal is now in {mode} mode." in admin.locator(".messagelist").inner_text()


def test_an_administrator_sets_paypal_live_and_a_customer_pays_with_the_live_app(
    sandbox, online_customer, page, admin_user
):
    paypal_tokens_forget()
    admin = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    browser_sign_in(admin, sandbox.url, admin_user)
    admin.goto(f"{sandbox.url}{GATEWAYS}")
    client_id, secret = SANDBOX_PAYPAL_LIVE
    admin.locator("#id_paypal-live-PAYDESK_PAYPAL_CLIENT_ID").fill(client_id)
    admin.locator("#id_paypal-live-PAYDESK_PAYPAL_CLIENT_SECRET").fill(secret)
    admin.get_by_role("button", name="Save the live set of PayPal").click()
    admin.wait_for_load_state()
    assert "PayPal, live set saved: Client ID, Client secret." in admin.content()
    admin.get_by_role("button", name="Test connection: PayPal live set").click()
    admin.wait_for_load_state()
    messages = admin.locator(".messagelist").inner_text()
    assert "PayPal issued an access token (app APP-PAYDESKSANDBOX-LIVE)." in messages
    html = admin.content()
    assert secret not in html and client_id not in html  # both are kept secret
    assert "http" in admin.locator("#webhook-paypal").inner_text()
    assert_accessible(admin, "the gateway settings page")
    _mode(admin, sandbox.url, "live")
    assert MethodConfig.objects.get(method="paypal").mode == "live"

    user = online_customer("paypal", "USD")
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/pay/")
    assert page.locator("[data-test-mode]").count() == 0  # live: no badge
    live_payment = _pay(page, sandbox.url, "25.00")
    assert "live app (APP-PAYDESKSANDBOX-LIVE)" in page.locator("[data-merchant-app]").inner_text()
    _approve(page, sandbox.url, live_payment)

    _mode(admin, sandbox.url, "test")
    page.goto(f"{sandbox.url}/pay/")
    page.get_by_label("Pay via").select_option("paypal")
    assert "Test mode" in page.locator("[data-method='paypal'] [data-test-mode]").inner_text()
    test_payment = _pay(page, sandbox.url, "10.00")
    assert "test app (APP-PAYDESKSANDBOX)" in page.locator("[data-merchant-app]").inner_text()
    _approve(page, sandbox.url, test_payment)

    page.goto(f"{sandbox.url}/payments/")
    live_row = page.locator(f"tr[data-payment-id='{live_payment.pk}']")
    test_row = page.locator(f"tr[data-payment-id='{test_payment.pk}']")
    assert live_row.locator("[data-test-mode]").count() == 0
    assert test_row.locator("[data-test-mode]").inner_text() == "Test mode"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_an_administrator_changes_the_logo_and_colour_and_the_portal_shows_them(
    live_server, page, admin_user, portal_user, tmp_path
):
    logo = tmp_path / "acme.svg"
    logo.write_bytes(CLEAN_SVG)
    admin = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    browser_sign_in(admin, live_server.url, admin_user)
    admin.goto(f"{live_server.url}{BRAND}")
    admin.get_by_label("Provider name").fill("Acme Voice")
    admin.get_by_label("Primary colour").fill("#ffdd00")
    admin.get_by_role("button", name="Save the brand").click()
    admin.wait_for_load_state()
    assert "WCAG AA needs at least 4.5:1" in admin.content()
    assert_accessible(admin, "the brand page with an error")
    admin.get_by_label("Primary colour").fill("#0b3d2e")
    admin.locator("#id_logo").set_input_files(str(logo))
    admin.get_by_role("button", name="Save the brand").click()
    admin.wait_for_load_state()
    assert "Brand saved." in admin.locator(".messagelist").inner_text()
    assert admin.get_by_role("img", name="Logo of Acme Voice").is_visible()
    assert_accessible(admin, "the brand page")

    sign_in(page, live_server.url, portal_user)
    page.goto(f"{live_server.url}/")
    header = page.locator(".site-header")
    assert header.get_by_role("img", name="Acme Voice").is_visible()
    colour = header.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(11, 61, 46)"
    assert_accessible(page, "the portal with the provider's brand")
    assert page.console_errors == []  # type: ignore[attr-defined]
