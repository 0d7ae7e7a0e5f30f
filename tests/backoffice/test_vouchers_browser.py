"""Vouchers and rates in a real browser: Finance issues a batch and the browser downloads the
codes (the page stays put); a second Finance user approves it (a bonus of 100% of the top-up
has no bound); the customer sees the armed bonus voucher; the CSP refuses nothing."""

from __future__ import annotations

import csv
import io
import os

import pytest

from paydesk.vouchers.codes import voucher_code_is_well_formed
from paydesk.vouchers.models import VoucherBatch
from paydesk.vouchers.services import voucher_redeem
from tests.conftest import chromium_launched
from tests.factories import StaffFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PAYDESK_SCREENSHOTS", "")


@pytest.fixture
def browser(monkeypatch):
    with chromium_launched(monkeypatch) as browser:
        yield browser


def new_page(browser, *, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    # Refused by the CSP, or a missing asset (the admin has no favicon link: the browser's own
    # /favicon.ico guess is not ours to count).
    page.console_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and page.console_errors.append(message.text)
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and page.console_errors.append(f"{response.status} {response.url}")
        ),
    )
    return page


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_finance_issues_a_batch_and_the_browser_downloads_the_codes(
    live_server, browser, finance_user, portal_user, tmp_path
):
    page = new_page(browser)
    base = live_server.url
    browser_sign_in(page, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    page.goto(f"{base}/backoffice/vouchers/voucherbatch/add/")
    page.get_by_label("Count").fill("3")
    page.get_by_label("Currency").fill("USD")
    page.get_by_label("Minimum top-up the customer pays").fill("50")
    page.get_by_label("Top-up multiplier").fill("2")
    page.get_by_label("Free credit or fixed bonus per code").fill("5")
    page.get_by_label("Note").fill("Browser test")
    shot(page, "voucher-issue-form")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Issue and download the codes").click()
    download = download_info.value
    assert download.suggested_filename.startswith("vouchers-batch-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 3 and all(voucher_code_is_well_formed(code) for code in codes)
    assert VoucherBatch.objects.get().note == "Browser test"
    # The same form again: refused, no second batch.
    page.get_by_role("button", name="Issue and download the codes").click()
    page.wait_for_selector(".errornote")
    assert "already submitted" in page.content()
    assert VoucherBatch.objects.count() == 1

    page.goto(f"{base}/backoffice/vouchers/voucherbatch/")
    assert "Batch " in page.content() or page.locator("#result_list").count() == 1
    shot(page, "voucher-batches")
    page.goto(f"{base}/backoffice/vouchers/voucher/")
    shot(page, "vouchers")

    batch = VoucherBatch.objects.get()
    approver_page = new_page(browser)
    approver = StaffFactory(staff_role="finance")
    browser_sign_in(approver_page, base, approver, path="/backoffice/login/?next=/backoffice/")
    approver_page.goto(f"{base}/backoffice/vouchers/voucherbatch/{batch.pk}/change/")
    assert "Waiting for a second approval" in approver_page.content()
    shot(approver_page, "voucher-batch-waiting")
    approver_page.get_by_role("button", name="Approve: its codes can be redeemed").click()
    approver_page.wait_for_selector(".messagelist")
    batch.refresh_from_db()
    assert batch.approval == "approved"

    voucher_redeem(
        code=codes[0], customer=portal_user.customer, currency="USD", user=portal_user,
        ip_address="127.0.0.1",
    )  # fmt: skip
    customer_page = new_page(browser, width=390, height=844)
    browser_sign_in(customer_page, base, portal_user, path="/accounts/login/")
    customer_page.goto(f"{base}/payments/")
    notice = customer_page.locator(".armed-vouchers").inner_text()
    assert "armed: your next top-up of at least $50.00 USD earns" in notice
    shot(customer_page, "portal-armed-voucher")
    assert page.console_errors == [] and customer_page.console_errors == []
    assert approver_page.console_errors == []


def test_finance_reads_and_edits_rates_without_a_csp_error(live_server, browser, finance_user):
    page = new_page(browser)
    base = live_server.url
    browser_sign_in(page, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    page.goto(f"{base}/backoffice/fx/exchangerate/add/")
    page.get_by_label("Base currency").fill("EUR")
    page.get_by_label("Quote currency").fill("USD")
    page.get_by_label("Rate").fill("0")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".errorlist")
    assert "greater than zero" in page.content()
    shot(page, "fx-rate-error")
    page.get_by_label("Rate").fill("1.0512")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/backoffice/fx/exchangerate/")
    assert "1.0512" in page.content()
    shot(page, "fx-rates")
    page.goto(f"{base}/backoffice/fx/exchangerate/import/")
    shot(page, "fx-import")
    assert page.console_errors == []
