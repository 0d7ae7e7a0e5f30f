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
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
