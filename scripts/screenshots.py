"""Take the README's screenshots from a running demo (`make run`), with Debian's chromium.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 docs/screenshots

Staff sign in with the demo's public authenticator secret (`paydesk totp-code`). Back-office
pages are reached through the home page's links, not typed URLs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
PAYDESK = Path(sys.executable).with_name("paydesk")
SIZE = {"width": 1280, "height": 900}
STAFF_SIZE = {"width": 1366, "height": 900}  # the back office's tables fit from 1366 px


def customer_sign_in(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill("customer@example.com")
    page.get_by_label("Password").fill("demo-customer-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def staff_sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/backoffice/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    if page.locator("input[name=code]").count():
        code = subprocess.run([PAYDESK, "totp-code"], capture_output=True, text=True, check=True)
        page.fill("input[name=code]", code.stdout.split()[0])
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")


def quote(page: Page, method: str, amount: str, currency: str = "") -> None:
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/pay/")
    page.get_by_label("Pay via").select_option(method)
    if currency:
        page.locator(f"#id_{method}-currency").select_option(currency)
    page.locator(f"#id_{method}-amount").fill(amount)
    page.wait_for_selector("#quote-body [data-quote='credit']")


def pay(page: Page) -> None:
    page.get_by_role("button", name="Pay", exact=True).click()


def customer_shots(page: Page, base: str, out: Path) -> None:
    customer_sign_in(page, base)
    quote(page, "bank_transfer", "250")
    page.screenshot(path=out / "make-payment.png")
    pay(page)
    page.wait_for_url("**/transfers/**")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "bank-transfer.png", full_page=True)

    # Card: the processor's own fields (the sandbox's Stripe.js stand-in), 3-D Secure, the result.
    quote(page, "card", "40")
    frame = page.frame_locator("[data-card-element] iframe")
    frame.get_by_label("Card number").fill("4000 0027 6000 3184")
    frame.get_by_label("Expiry month").fill("12")
    frame.get_by_label("Expiry year").fill("2030")
    frame.get_by_label("CVC").fill("123")
    page.screenshot(path=out / "pay-by-card.png")
    pay(page)
    page.wait_for_url("**/sandbox/stripe/3ds/**")
    page.screenshot(path=out / "sandbox-3d-secure.png")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/pay/status/**")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "payment-status-completed.png")

    # PayPal: its approval page in the sandbox, approved.
    quote(page, "paypal", "25")
    pay(page)
    page.wait_for_url("**/sandbox/paypal/**")
    page.screenshot(path=out / "sandbox-paypal-approval.png")
    page.get_by_role("button", name="Approve and pay").click()
    page.wait_for_url("**/pay/status/**")

    # NOWPayments: part of the crypto arrives; the payment waits for Finance.
    quote(page, "nowpayments", "30")
    pay(page)
    page.wait_for_url("**/sandbox/nowpayments/**")
    page.get_by_role("button", name="Pay part (partially paid)").click()
    page.wait_for_url("**/pay/status/**")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "payment-status-partially-paid.png")

    # Razorpay's late authorisation: the payment fails, then the bank authorises it. The
    # sandbox's switches are for staff: Support presses them in a browser of their own.
    sandbox = page.context.browser.new_page(viewport=SIZE)
    staff_sign_in(sandbox, base, "support@example.com", "demo-support-pass")
    sandbox.goto(base + "/sandbox/")
    sandbox.locator("#razorpay_late_authorisation").check()
    sandbox.get_by_role("button", name="Save switches").click()
    sandbox.wait_for_load_state()
    quote(page, "razorpay", "5000", "INR")
    pay(page)
    checkout = page.frame_locator("iframe.razorpay-checkout-frame")
    checkout.get_by_role("button", name="Fail, then authorise late").click()
    page.wait_for_url("**/pay/status/**")
    status_url = page.url
    sandbox.goto(base + "/sandbox/")
    sandbox.get_by_role("button", name="Late-authorise failed payments (Razorpay)").click()
    sandbox.wait_for_load_state()
    sandbox.locator("#razorpay_late_authorisation").uncheck()
    sandbox.get_by_role("button", name="Save switches").click()
    sandbox.wait_for_load_state()
    sandbox.screenshot(
        path=out / "sandbox-switches.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": SIZE["width"], "height": 1400},
    )
    sandbox.close()
    page.goto(status_url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "payment-status-late-payment.png")

    page.goto(base + "/payments/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "portal-payments.png")
    late = page.locator("tbody tr").filter(has_text="Late payment for").first
    late.screenshot(path=out / "portal-late-payment.png")

    page.goto(base + "/accounts/two-factor/authenticator/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "two-factor-enrol.png")


def staff_shots(page: Page, base: str, out: Path) -> None:
    staff_sign_in(page, base, "finance@example.com", "demo-finance-pass")
    home = page.url
    menu = page.locator("#content")
    menu.get_by_role("link", name="Payments", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "backoffice-payments.png")
    late = page.get_by_role("link", name=re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]$"))
    late_row = page.locator("#result_list tbody tr").filter(has_text="Late payment for").first
    late_row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "backoffice-late-payment.png", full_page=True)
    del late
    page.goto(home)
    page.locator("#content").get_by_role("link", name="Add").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "backoffice-add-payment.png", full_page=True)
    page.goto(home)
    page.locator("#content").get_by_role("link", name="Payment log entries", exact=True).click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "backoffice-payment-log.png")


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        if "staff-only" not in sys.argv:
            customer_shots(browser.new_page(viewport=SIZE), base, out)
        staff_shots(browser.new_page(viewport=STAFF_SIZE), base, out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
