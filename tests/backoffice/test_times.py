"""Every back-office list and page writes a date and time one way: `2026-11-26 05:00`, the lists'
form, in the staff member's zone. The admin's own rendering ("Nov. 26, 2026, 5 a.m.") appeared
on a payment's page, a bank transfer's, a document's, a dispute's, an email's, the voucher pages
and the audit log, beside lists in the short form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from paydesk.accounts.models import User
from paydesk.backoffice.site import backoffice_site
from paydesk.demo.seed import seed_demo, seed_demo_vouchers
from paydesk.ledger.services import payment_create
from tests.backoffice.conftest import signed_in

pytestmark = pytest.mark.django_db

# The admin's long form: "Nov. 26, 2026, 5 a.m.", "March 1, 2026, 12:30 p.m.", "midnight", "noon"
LONG_FORM = re.compile(r"\b\d{1,2}(:\d\d)? [ap]\.m\.|, (midnight|noon)\b")


def test_no_list_or_page_of_the_back_office_writes_the_long_form():
    seed_demo(now=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    _redeemed_voucher_and_its_email(seed_demo_vouchers(count=2).free_credit)
    client = signed_in(User.objects.get(email="admin@example.com"))
    found = {}
    for model in backoffice_site._registry:
        opts = model._meta
        listing = f"/backoffice/{opts.app_label}/{opts.model_name}/"
        response = client.get(listing)
        if response.status_code != 200:
            continue
        pages = [listing]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(f"{listing}{first.pk}/change/")
        for page in pages:
            html = client.get(page).content.decode()
            match = LONG_FORM.search(html)
            if match:
                found[page] = html[max(match.start() - 80, 0) : match.end()]
    assert found == {}


def _redeemed_voucher_and_its_email(code: str) -> None:
    """A used voucher (used at, its payment) and a queued "payment received" email: the demo
    seeds neither."""
    from paydesk.notifications.models import OutboundEmail
    from paydesk.vouchers.services import voucher_redeem

    user = User.objects.get(email="customer@example.com")
    customer = user.customer
    voucher_redeem(code=code, customer=customer, currency=customer.currency, user=user,
                   ip_address="203.0.113.9")  # fmt: skip
    assert OutboundEmail.objects.exists()


def test_every_back_office_page_names_the_time_zone_of_its_times(finance_user, customer):
    """The back office wrote '2026-11-28 11:32' with no zone anywhere on the page; a finance
    person matching a bank statement could not tell UTC from their own zone."""
    payment = payment_create(
        customer=customer, total="50", description="Wire", status="pending", method="bank_transfer"
    )
    pages = (
        "/backoffice/",
        "/backoffice/ledger/payment/",
        f"/backoffice/ledger/payment/{payment.pk}/change/",
    )
    for page in pages:
        html = signed_in(finance_user).get(page).content.decode()
        assert '<p class="backoffice-time-zone">Times are shown in UTC.</p>' in html, page

    finance_user.time_zone = "Asia/Kolkata"
    finance_user.save(update_fields=["time_zone"])
    html = signed_in(finance_user).get("/backoffice/ledger/payment/").content.decode()
    assert "Times are shown in Asia/Kolkata." in html
    in_kolkata = payment.occurred_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert in_kolkata.strftime("%Y-%m-%d %H:%M") in html


def test_the_users_lists_and_pages_write_last_login_and_joined_the_short_way():
    """The walk above meets no one who has signed in (last login "—") and opens no user's page
    (the first user by pk is not in the portal users' list); a portal user who has signed in
    showed "Dec. 6, 2026, 3:16 p.m." in the portal users' list, which at 1280 px ran past it."""
    seed_demo(now=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    when = datetime(2026, 12, 6, 15, 16, tzinfo=UTC)
    User.objects.filter(email__in=["customer@example.com", "finance@example.com"]).update(
        last_login=when, date_joined=when
    )
    client = signed_in(User.objects.get(email="admin@example.com"))
    customer = User.objects.get(email="customer@example.com")
    finance = User.objects.get(email="finance@example.com")
    found = {}
    for page in [
        "/backoffice/users/portaluser/",
        f"/backoffice/users/portaluser/{customer.pk}/change/",
        "/backoffice/users/staffuser/",
        f"/backoffice/users/staffuser/{finance.pk}/change/",
    ]:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "2026-12-06 15:16" in html, page
        match = LONG_FORM.search(html)
        if match:
            found[page] = html[max(match.start() - 80, 0) : match.end()]
    assert found == {}
