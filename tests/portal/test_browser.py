"""The Payments page in a real browser: sign in, see a pending transfer complete without a
reload (the page polls), switch the time zone, and no script or style is refused by the CSP."""

from __future__ import annotations

import pytest

from paydesk.ledger.services import payment_complete, payment_create
from tests.factories import PASSWORD
from tests.portal.conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pending_transfer_completes_on_screen_without_a_reload(live_server, page, portal_user):
    customer = portal_user.customer
    payment_create(customer=customer, total="50", description="Top-up", at=at(0))
    pending = payment_create(
        customer=customer,
        total="20",
        description="Bank transfer",
        method="bank_transfer",
        status="pending",
        at=at(5),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(portal_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/payments/")
    row = page.locator(f'tr[data-payment-id="{pending.pk}"]')
    assert row.locator(".badge").inner_text() == "Pending"
    page.evaluate("window.__notReloaded = true")

    payment_complete(payment=pending)

    page.wait_for_selector(f'tr[data-payment-id="{pending.pk}"] .badge-completed', timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, not reloaded
    assert "$70.00 USD" in page.locator(".balance").inner_text()

    page.get_by_role("link", name="Time zone: UTC").click()
    page.get_by_label("Time zone").fill("Asia/Kolkata")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Times are now shown in Asia/Kolkata")
    page.goto(f"{live_server.url}/payments/")
    assert "IST" in page.locator(f'tr[data-payment-id="{pending.pk}"] .when').inner_text()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_sign_in_read_filter_and_download_the_csv(live_server, page, portal_user, tmp_path):
    import csv
    import io

    customer = portal_user.customer
    payment_create(customer=customer, total="120", description="Card top-up", at=at(0))
    payment_create(
        customer=customer, total="-19.99", description="DID rental +1 555 0100", at=at(1)
    )
    payment_create(customer=customer, total="-0.0125", description="=cmd|' /C calc'!A0", at=at(2))
    payment_create(customer=customer, total="30", description="Bank top-up #wired by Ann", at=at(3))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(portal_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/payments/")
    assert "$129.9975 USD" in page.locator(".balance").inner_text()  # every decimal it has
    assert "wired by Ann" not in page.content()

    page.get_by_text("Filter and sort").click()  # folded away until asked for
    page.get_by_label("Description contains").fill("top-up")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=top-up**")
    descriptions = page.locator("tr[data-payment-id] td.description").all_inner_texts()
    assert sorted(d.splitlines()[0] for d in descriptions) == ["Bank top-up", "Card top-up"]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"payments-{customer.slug}-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    table = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"), newline="")))
    assert table[0] == [
        "Date / Time",
        "Reference",
        "Total",
        "Currency",
        "Status",
        "Method",
        "Description",
        "Relation",  # issue 12: the last two columns, empty for a payment that stands alone
        "Original reference",
    ]
    assert [(row[2], row[6], row[7], row[8]) for row in table[1:]] == [
        ("30.00", "Bank top-up", "", ""),
        ("120.00", "Card top-up", "", ""),
    ]
    assert page.console_errors == []  # type: ignore[attr-defined]
