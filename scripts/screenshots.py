"""Take the README's screenshots from a running demo (`make run`), with Debian's chromium.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 docs/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"


def sign_in(page: Page, base: str, login_path: str, email: str, password: str) -> None:
    page.goto(base + login_path)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, base, "/accounts/login/", "customer@example.com", "demo-customer-pass")
        page.goto(base + "/payments/")
        page.screenshot(path=out / "portal-payments.png", full_page=True)
        page.goto(base + "/")
        page.screenshot(path=out / "portal-dashboard.png", full_page=True)
        page.goto(base + "/pay/")
        page.get_by_label("Pay via").select_option("bank_transfer")
        page.locator("#id_bank_transfer-amount").fill("250")
        page.wait_for_selector("#quote-body [data-quote='credit']")
        page.screenshot(path=out / "make-payment.png")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url("**/transfers/**")
        page.screenshot(path=out / "bank-transfer.png", full_page=True)

        # Card: the processor's own fields (the sandbox's Stripe.js stand-in), then the result.
        page.goto(base + "/pay/")
        page.get_by_label("Pay via").select_option("card")
        page.locator("fieldset[data-method='card']").get_by_label("Amount").fill("40")
        page.wait_for_selector("#quote-body [data-quote='credit']")
        frame = page.frame_locator("[data-card-element] iframe")
        frame.get_by_label("Card number").fill("4000 0027 6000 3184")
        frame.get_by_label("Expiry month").fill("12")
        frame.get_by_label("Expiry year").fill("2030")
        frame.get_by_label("CVC").fill("123")
        page.screenshot(path=out / "pay-by-card.png")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url("**/sandbox/stripe/3ds/**")
        page.screenshot(path=out / "sandbox-3d-secure.png")
        page.get_by_role("button", name="Complete authentication").click()
        page.wait_for_url("**/pay/status/**")
        page.screenshot(path=out / "payment-status-completed.png")

        # PayPal: its approval page in the sandbox, approved.
        page.goto(base + "/pay/")
        page.get_by_label("Pay via").select_option("paypal")
        page.locator("fieldset[data-method='paypal']").get_by_label("Amount").fill("25")
        page.wait_for_selector("#quote-body [data-quote='credit']")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url("**/sandbox/paypal/**")
        page.screenshot(path=out / "sandbox-paypal-approval.png")
        page.get_by_role("button", name="Approve and pay").click()
        page.wait_for_url("**/pay/status/**")

        # NOWPayments: part of the crypto arrives; the payment waits for Finance.
        page.goto(base + "/pay/")
        page.get_by_label("Pay via").select_option("nowpayments")
        page.locator("fieldset[data-method='nowpayments']").get_by_label("Amount").fill("30")
        page.wait_for_selector("#quote-body [data-quote='credit']")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url("**/sandbox/nowpayments/**")
        page.get_by_role("button", name="Pay part (partially paid)").click()
        page.wait_for_url("**/pay/status/**")
        page.screenshot(path=out / "payment-status-partially-paid.png")
        page.goto(base + "/sandbox/")
        page.screenshot(path=out / "sandbox-switches.png", full_page=True)

        staff = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(staff, base, "/backoffice/login/", "finance@example.com", "demo-finance-pass")
        staff.goto(base + "/backoffice/ledger/payment/")
        staff.screenshot(path=out / "backoffice-payments.png")
        staff.goto(base + "/backoffice/ledger/payment/add/")
        staff.screenshot(path=out / "backoffice-add-payment.png", full_page=True)
        staff.goto(base + "/backoffice/vouchers/voucherbatch/add/")
        staff.screenshot(path=out / "backoffice-issue-vouchers.png")
        staff.goto(base + "/backoffice/audit/auditentry/")
        staff.screenshot(path=out / "backoffice-audit-log.png")
        staff.goto(base + "/backoffice/checkout/paymentlogentry/")
        staff.screenshot(path=out / "backoffice-payment-log.png")
        staff.goto(base + "/backoffice/ledger/payment/?needs_attention__exact=1")
        staff.screenshot(path=out / "backoffice-needs-attention.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
