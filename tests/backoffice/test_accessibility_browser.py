"""Issue 13, findings 10 and 11: axe-core finds no critical or serious violation on any
back-office page a Finance user or an Administrator uses (the demo's data, 1366×900)."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import Customer, User
from paydesk.checkout.models import MethodConfig
from paydesk.ledger.models import Payment
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import BatchApproval, VoucherBatch
from tests.axe import assert_accessible
from tests.backoffice.browser import DESK, open_page, staff_page

# Plain transactional tests: the payment method row the method page needs is made here (a
# serialized rollback clashed with content types an earlier test's flush had recreated).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def finance_pages() -> list[tuple[str, str]]:
    payment = Payment.objects.filter(method="manual").order_by("-id").first()
    transfer = Payment.objects.filter(method="bank_transfer", status="pending").first()
    # A batch waiting for a second approval, issued by the Administrator: Finance sees Approve.
    waiting = VoucherBatch.objects.filter(approval=BatchApproval.WAITING).first()
    if waiting is None:
        waiting, _codes = voucher_batch_issue(
            count=1, currency="USD", addition="5000",
            actor=User.objects.get(email="admin@example.com"),
        )  # fmt: skip
    return [
        ("home", "/backoffice/"),
        ("payments", "/backoffice/ledger/payment/"),
        ("payment", f"/backoffice/ledger/payment/{payment.pk}/change/"),
        ("add-payment", "/backoffice/ledger/payment/add/"),
        ("customers", "/backoffice/accounts/customer/"),
        ("transfers", "/backoffice/banktransfers/banktransfer/"),
        ("transfer", f"/backoffice/banktransfers/banktransfer/{transfer.pk}/change/"),
        ("credits", "/backoffice/credits/creditawaitingapproval/"),
        ("payment-log", "/backoffice/checkout/paymentlogentry/"),
        ("voucher-batches", "/backoffice/vouchers/voucherbatch/"),
        ("voucher-issue", "/backoffice/vouchers/voucherbatch/add/"),
        ("voucher-batch-waiting", f"/backoffice/vouchers/voucherbatch/{waiting.pk}/change/"),
        ("vouchers", "/backoffice/vouchers/voucher/"),
        ("rates", "/backoffice/fx/exchangerate/"),
        ("methods", "/backoffice/checkout/methodconfig/"),
        ("audit", "/backoffice/audit/auditentry/"),
        ("emails", "/backoffice/notifications/outboundemail/"),
        ("sessions", "/accounts/sessions/"),
    ]


def admin_pages() -> list[tuple[str, str]]:
    customer = Customer.objects.order_by("pk").first()
    method, _created = MethodConfig.objects.get_or_create(
        method="bank_transfer", defaults={"display_name": "Bank Transfer"}
    )
    return [
        *finance_pages(),
        ("customer-edit", f"/backoffice/accounts/customer/{customer.pk}/change/"),
        ("method-edit", f"/backoffice/checkout/methodconfig/{method.pk}/change/"),
        ("bank-details", "/backoffice/banktransfers/bankdetails/"),
        ("staff-users", "/backoffice/users/staffuser/"),
        ("portal-defaults", "/backoffice/accounts/portaldefaults/"),
    ]


def test_the_sign_in_page_has_a_heading_and_no_blocking_violation(live_server, chromium, demo):
    page = chromium.new_page(viewport=DESK)
    page.base = live_server.url
    open_page(page, "/backoffice/login/", "a11y-sign-in")
    assert page.locator("h1").count() == 1
    assert_accessible(page, "the back-office sign-in")


@pytest.mark.parametrize(
    ("email", "pages"),
    [("finance@example.com", finance_pages), ("admin@example.com", admin_pages)],
)
def test_every_page_a_finance_user_or_an_administrator_uses(
    live_server, chromium, demo, email, pages
):
    page = staff_page(chromium, live_server, email)
    role = email.split("@")[0]
    for name, path in pages():
        open_page(page, path, f"a11y-{role}-{name}")
        page.wait_for_load_state("load")
        assert_accessible(page, f"{name} ({path}) as {role}")
