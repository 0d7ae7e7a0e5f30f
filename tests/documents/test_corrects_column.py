"""The Invoices lists' Corrects column (portal and back office, and their CSV) after a
chargeback reversal: a credit note names every invoice it reduces (a top-up then has two), and
the reversal's invoice names the top-up's invoice it charges again (EN 16931 BT-25), all read
from each document's own row (Document.referenced_invoices), so the lists' queries stay flat."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from paydesk.documents.models import Document, DocumentKind
from paydesk.ledger.refunds import chargeback_record, chargeback_reversal_record, refund_create
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PORTAL, PORTAL_CSV = "/invoices/", "/invoices/export.csv"
STAFF, STAFF_CSV = "/backoffice/documents/document/", "/backoffice/documents/document/export.csv"


def _reversed_and_refunded(customer) -> tuple[Document, Document, Document]:
    """A top-up of 100.00 partly charged back (30.00), the chargeback reversed, then all of it
    refunded: its invoice, the reversal's invoice and the refund's credit note."""
    paid = topup(customer, method="card", total="100.00")
    chargeback, _ = chargeback_record(original=paid, total=30, dispute_id=f"dp_{uuid.uuid4().hex}")
    reversal, _ = chargeback_reversal_record(
        original=paid, chargeback=chargeback, dispute_id=f"dp_{uuid.uuid4().hex}"
    )
    refund = refund_create(original=paid, total="100.00", reason="Unused", status="completed")
    return (
        Document.objects.get(payment=paid),
        Document.objects.get(payment=reversal),
        Document.objects.get(payment=refund),
    )


def _cell(page: str, code: str, label: str) -> str:
    """The text of the cell `label` in the row of the document `code` (portal list)."""
    row = page[page.index(f">{code}</td>") :]
    row = row[: row.index("</tr>")]
    cell = re.search(rf'<td data-label="{label}"[^>]*>(.*?)</td>', row, re.S)
    assert cell is not None, row
    return " ".join(strip_tags(cell.group(1)).split())


def _staff_cell(page: str, code: str) -> str:
    row = page[page.index(f">{code}</a></th>") :]
    row = row[: row.index("</tr>")]
    cell = re.search(r'<td class="field-corrects_shown">(.*?)</td>', row, re.S)
    assert cell is not None, row
    return strip_tags(cell.group(1)).strip()


def _csv(response) -> dict[str, dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {row["Number"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_list_names_all_the_invoices_a_document_refers_to(support_user):
    invoicing_on(rate="20")
    customer = billed_customer()
    user = PortalUserFactory(customer=customer)
    invoice, again, note = _reversed_and_refunded(customer)
    assert again.kind == DocumentKind.INVOICE and note.kind == DocumentKind.CREDIT_NOTE
    both = f"{invoice.code}, {again.code}"

    portal = Client()
    portal.force_login(user)
    page = portal.get(PORTAL).content.decode()
    assert _cell(page, note.code, "Corrects") == both
    assert _cell(page, again.code, "Corrects") == invoice.code
    assert _cell(page, invoice.code, "Corrects") == "—"

    staff = sign_in(Client(), support_user)
    listed = staff.get(STAFF).content.decode()
    assert _staff_cell(listed, note.code) == both
    assert _staff_cell(listed, again.code) == invoice.code
    assert _staff_cell(listed, invoice.code) == "—"

    for rows in (_csv(portal.get(PORTAL_CSV)), _csv(staff.get(STAFF_CSV))):
        assert rows[note.code]["Corrects"] == both
        assert rows[again.code]["Corrects"] == invoice.code
        assert rows[invoice.code]["Corrects"] == ""


@pytest.mark.parametrize("path", [PORTAL, PORTAL_CSV, STAFF, STAFF_CSV])
def test_the_lists_queries_do_not_grow_with_the_documents_they_name(
    path, support_user, django_assert_num_queries
):
    invoicing_on(rate="20")
    customer = billed_customer()
    user = PortalUserFactory(customer=customer)
    _reversed_and_refunded(customer)
    if path.startswith("/backoffice/"):
        client = sign_in(Client(), support_user)
    else:
        client = Client()
        client.force_login(user)

    def load() -> None:
        response = client.get(path)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)

    with CaptureQueriesContext(connection) as three:
        load()
    _reversed_and_refunded(customer)
    _reversed_and_refunded(customer)
    with django_assert_num_queries(len(three.captured_queries)):
        load()
