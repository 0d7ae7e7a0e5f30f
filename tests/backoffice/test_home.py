"""Issue 13, finding 10: the back office's home page is the work waiting, with counts and links,
and its pages grouped by task."""

from __future__ import annotations

import re

import pytest

from paydesk.ledger.services import payment_create
from tests.backoffice.conftest import signed_in

pytestmark = pytest.mark.django_db


def count_of(html: str, label: str) -> int:
    found = re.search(r'<span class="backoffice-count">(\d+)</span> ' + re.escape(label), html)
    assert found, label
    return int(found.group(1))


def test_the_home_page_counts_the_work_waiting(finance_user, customer):
    for total in ("150", "40"):
        payment_create(
            customer=customer,
            total=total,
            description="Wire",
            status="pending",
            method="bank_transfer",
        )
    payment_create(
        customer=customer, total="25", description="Manual", status="pending", method="manual"
    )

    html = signed_in(finance_user).get("/backoffice/").content.decode()

    assert count_of(html, "Bank transfers to approve") == 2
    assert count_of(html, "Other pending payments") == 1
    assert count_of(html, "Credits awaiting a second approver") == 0
    assert count_of(html, "Payments needing attention") == 0
    assert count_of(html, "Emails that failed") == 0
    assert "/backoffice/banktransfers/banktransfer/?status__exact=pending" in html


def test_each_count_links_to_a_list_of_exactly_those_payments(finance_user, customer):
    """The list behind 'Other pending payments' shows what was counted, not every pending
    payment (it listed the bank transfers to approve too: 1 counted, 4 listed in the demo)."""
    transfers = [
        payment_create(
            customer=customer, total=total, description="Wire", status="pending",
            method="bank_transfer",
        )
        for total in ("150", "40")
    ]  # fmt: skip
    manual = payment_create(
        customer=customer, total="25", description="Manual", status="pending", method="manual"
    )
    client = signed_in(finance_user)
    html = client.get("/backoffice/").content.decode()
    links = dict(
        (label, url.replace("&amp;", "&"))
        for url, label in re.findall(
            r'<a href="([^"]+)"><span class="backoffice-count">\d+</span> ([^<]+)</a>', html
        )
    )

    listed = client.get(links["Other pending payments"]).content.decode()

    assert count_of(html, "Other pending payments") == 1
    assert manual.reference in listed
    for transfer in transfers:
        assert transfer.reference not in listed
        assert transfer.reference in client.get(links["Bank transfers to approve"]).content.decode()


def test_the_home_page_groups_pages_by_task(admin_user):
    html = signed_in(admin_user).get("/backoffice/").content.decode()
    headings = re.findall(r'<h2 id="task-[a-z]+">([^<]+)</h2>', html)
    assert headings == ["Payments", "Customers", "Vouchers", "Settings", "Records"]
    settings = html[html.index('id="task-settings"') :]
    assert "Payment methods" in settings[: settings.index("</section>")]


def _group(html: str, slug: str) -> str:
    section = html[html.index(f'id="task-{slug}"') :]
    return section[: section.index("</section>")]


def test_disputes_and_documents_are_with_the_work_not_the_settings(admin_user):
    """A chargeback is looked for among the payments, an invoice among the records; neither was
    named in a task, so both fell under Settings (with the imported payments)."""
    html = signed_in(admin_user).get("/backoffice/").content.decode()

    payments, records, settings = (_group(html, s) for s in ("payments", "records", "settings"))
    assert "/backoffice/ledger/dispute/" in payments
    assert "/backoffice/imports/importedpayment/" in payments
    assert "/backoffice/documents/document/" in records
    assert "/backoffice/documents/invoicingsettings/" in settings
    for page in ("ledger/dispute/", "documents/document/", "imports/importedpayment/"):
        assert f"/backoffice/{page}" not in settings
