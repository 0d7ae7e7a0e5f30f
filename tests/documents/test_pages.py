"""The documents where people reach them: the payment's portal page and its receipt, the
portal's Invoices page (filters, CSV), the API (list, download, receipt), the back office
(every customer's list, PDF, CSV; invoicing settings by Administrators only) and the emails."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.documents.models import Document, InvoicingSettings
from paydesk.documents.services import invoicing_settings_update
from paydesk.errors import PermissionDenied
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import payment_create
from paydesk.notifications.services import outbox_send_due
from tests.api.conftest import ApiClient, key_for
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def story():
    """A customer with an invoiced bank-transfer top-up and a credit note for part of it."""
    invoicing_on(rate="20")
    customer = billed_customer()
    user = PortalUserFactory(customer=customer)
    paid = topup(customer, total="120.00")
    refund = refund_create(original=paid, total="12.00", reason="Unused", status="completed")
    return (
        user,
        paid,
        refund,
        Document.objects.get(payment=paid),
        Document.objects.get(payment=refund),
    )


def test_the_payment_page_links_its_receipt_and_invoice(story):
    user, paid, _refund, invoice, _note = story
    client = Client()
    client.force_login(user)
    page = client.get(f"/payments/{paid.reference}/").content.decode()
    assert f"/payments/{paid.reference}/receipt.pdf" in page
    assert f"/invoices/{invoice.code}.pdf" in page
    text = pdf_text(client.get(f"/payments/{paid.reference}/receipt.pdf"))
    assert paid.reference in text and "€120.00 EUR" in text


def test_a_purchase_has_no_receipt_page(story):
    user, paid, refund, _invoice, _note = story
    client = Client()
    client.force_login(user)
    assert client.get(f"/payments/{refund.reference}/receipt.pdf").status_code == 404


def test_the_invoices_page_filters_by_kind_and_date_and_downloads_csv(story):
    user, _paid, _refund, invoice, note = story
    client = Client()
    client.force_login(user)
    page = client.get("/invoices/").content.decode()
    assert invoice.code in page and note.code in page
    only_notes = client.get("/invoices/", {"kind": "credit_note"}).content.decode()
    assert f"{note.code}.pdf" in only_notes and f"{invoice.code}.pdf" not in only_notes
    day = invoice.issued_at.date()
    before = client.get("/invoices/", {"date_to": str(day.replace(year=day.year - 1))})
    assert f"{invoice.code}.pdf" not in before.content.decode()
    bad = client.get("/invoices/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200
    assert "The end date is before the start date." in bad.content.decode()
    response = client.get("/invoices/export.csv", {"kind": "invoice"})
    csv_text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Number,Kind,Date")
    assert len(lines) == 2 and lines[1].startswith(invoice.code)
    assert ",120.00" in lines[1] and ",20.00," in lines[1]
    text = pdf_text(client.get(f"/invoices/{note.code}.pdf"))
    assert note.code in text and invoice.code in text


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "UTC", "Pacific/Pago_Pago"])
def test_dates_at_the_ends_of_the_calendar_filter_and_never_fail(story, zone):
    """A range open at either end typed as 0001-01-01 or 9999-12-31 (a day past it, or its start
    in UTC, is outside Python's calendar) lists every document on the page, in the CSV and from
    the API, whatever the user's zone; a start at the calendar's end lists none."""
    user, _paid, _refund, invoice, note = story
    user.time_zone = zone
    user.save()
    client = Client()
    client.force_login(user)
    api = ApiClient(key_for(user, "read"))
    everything = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    for dates in (everything, {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}):
        page = client.get("/invoices/", dates)
        assert page.status_code == 200
        assert f"{invoice.code}.pdf" in page.content.decode()
        assert f"{note.code}.pdf" in page.content.decode()
        rows = b"".join(client.get("/invoices/export.csv", dates).streaming_content)
        assert len(rows.decode("utf-8-sig").strip().splitlines()) == 3
        listed = api.get("/api/v1/invoices", dates)
        assert listed.status_code == 200 and len(listed.json()["data"]) == 2
    late = client.get("/invoices/", {"date_from": "9999-12-31"})
    assert late.status_code == 200 and f"{invoice.code}.pdf" not in late.content.decode()
    assert api.get("/api/v1/invoices", {"date_from": "9999-12-31"}).json()["data"] == []


def test_an_invoice_has_one_date_the_providers_as_on_its_pdf(story, settings):
    """The list, its filter and CSV, and the API dated a document in the reader's time zone, its
    PDF (and number's year) in the provider's: near midnight a day apart. The provider's is the
    legal one; every place now says it. The two zones here are 25 hours apart, so the two days
    always differ."""
    settings.TIME_ZONE = "Pacific/Kiritimati"  # the provider's, UTC+14
    user, _paid, _refund, invoice, note = story
    user.time_zone = "Pacific/Pago_Pago"  # the reader's, UTC-11
    user.save()
    provider_day = invoice.issued_at.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    reader_day = invoice.issued_at.astimezone(ZoneInfo("Pacific/Pago_Pago")).date()
    assert provider_day != reader_day
    client = Client()
    client.force_login(user)
    on_pdf = f"{provider_day.day} {provider_day:%B %Y}"
    assert f"Date of issue {on_pdf}" in " ".join(
        pdf_text(client.get(f"/invoices/{invoice.code}.pdf")).split()
    )

    that_day = {"date_from": provider_day.isoformat(), "date_to": provider_day.isoformat()}
    other_day = {"date_from": reader_day.isoformat(), "date_to": reader_day.isoformat()}
    page = client.get("/invoices/", that_day).content.decode()
    assert f"{invoice.code}.pdf" in page and f"{note.code}.pdf" in page
    assert f'<time datetime="{provider_day.isoformat()}">' in page
    assert f'<time datetime="{reader_day.isoformat()}">' not in page
    assert f"{invoice.code}.pdf" not in client.get("/invoices/", other_day).content.decode()

    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get("/invoices/export.csv", that_day).streaming_content).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[0][2] == "Date"
    assert sorted((row[0], row[2]) for row in rows[1:]) == sorted(
        [(invoice.code, provider_day.isoformat()), (note.code, provider_day.isoformat())]
    )

    api = ApiClient(key_for(user, "read"))
    listed = api.get("/api/v1/invoices", that_day).json()["data"]
    assert {d["number"]: d["issue_date"] for d in listed} == {
        invoice.code: provider_day.isoformat(),
        note.code: provider_day.isoformat(),
    }
    assert api.get("/api/v1/invoices", other_day).json()["data"] == []


def test_a_user_without_view_payments_gets_no_invoices(story):
    user, *_rest = story
    user.can_view_payments = False
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/invoices/").status_code == 403


def test_the_api_lists_and_downloads_documents(story):
    user, paid, _refund, invoice, note = story
    api = ApiClient(key_for(user, "read"))
    listed = api.get("/api/v1/invoices").json()["data"]
    assert sorted(d["number"] for d in listed) == sorted([note.code, invoice.code])
    [only] = api.get("/api/v1/invoices", {"kind": "credit_note"}).json()["data"]
    assert only["corrects"] == invoice.code
    assert only["total"] == {"amount": "-12.00", "currency": "EUR"}  # it reduces the invoiced
    bad = api.get("/api/v1/invoices", {"date_from": "2026-13-40"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "date_from"
    assert invoice.code in pdf_text(api.get(f"/api/v1/invoices/{invoice.code}.pdf"))
    assert paid.reference in pdf_text(api.get(f"/api/v1/payments/{paid.reference}/receipt.pdf"))
    missing = api.get("/api/v1/invoices/INV-1999-000001.pdf")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_back_office_lists_every_customers_documents(story, support_user):
    _user, _paid, _refund, invoice, note = story
    other = topup(billed_customer(name="Other Carrier"), total="5.00")
    client = sign_in(Client(), support_user)
    page = client.get("/backoffice/documents/document/").content.decode()
    assert invoice.code in page and note.code in page
    assert Document.objects.get(payment=other).code in page
    text = pdf_text(client.get(f"/backoffice/documents/document/{invoice.pk}/pdf/"))
    assert invoice.code in text
    csv_text = b"".join(
        client.get(
            "/backoffice/documents/document/export.csv", {"kind__exact": "credit_note"}
        ).streaming_content
    ).decode("utf-8-sig")
    rows = csv_text.strip().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == [note.code]
    # Every customer's invoices leave the back office: who, when and with which filters, as
    # a download of the payments CSV is recorded.
    [export] = AuditEntry.objects.filter(action="document.export")
    assert export.actor == support_user and export.after == {"filters": "kind__exact=credit_note"}


def test_the_back_office_csv_of_filters_that_are_not_valid_is_a_message_not_a_500(
    story, support_user
):
    """A CSV link kept from an old list, or a filter typed by hand, that the list itself would
    answer with its "invalid filters" page."""
    client = sign_in(Client(), support_user)
    for bad in ({"issued_at__gte": "yesterday"}, {"customer__id__exact": "abc"}, {"nope": "1"}):
        response = client.get("/backoffice/documents/document/export.csv", bad)
        assert response.status_code == 302
        assert response["Location"] == "/backoffice/documents/document/"
        page = client.get(response["Location"]).content.decode()
        assert "Those filters are not valid." in page
    assert not AuditEntry.objects.filter(action="document.export").exists()


def test_only_administrators_change_invoicing(admin_user, finance_user):
    with pytest.raises(PermissionDenied):
        invoicing_settings_update(actor=finance_user, invoices_enabled=True)
    invoicing_settings_update(actor=admin_user, invoices_enabled=True, tax_rate="19", country="de")
    current = InvoicingSettings.current()
    shown = (current.invoices_enabled, str(current.tax_rate), current.country)
    assert shown == (True, "19.00", "DE")
    assert AuditEntry.objects.filter(action="invoicing_settings.update").exists()


def test_the_invoicing_switch_says_which_payments_get_which_document(admin_user):
    """Its help text named top-ups and refunds only; chargebacks get credit notes and their
    reversals invoices of their own (docs/documents.md, What gets which document)."""
    row = invoicing_on()
    client = sign_in(Client(), admin_user)
    page = client.get(f"/backoffice/documents/invoicingsettings/{row.pk}/change/")
    help_text = re.search(
        r'id="id_invoices_enabled_helptext">\s*<div>(.*?)</div>', page.content.decode(), re.S
    )
    assert help_text is not None
    words = help_text.group(1)
    assert "for each chargeback reversal of an invoiced one" in words
    assert "credit note for each refund or chargeback of an invoiced top-up" in words


def test_payment_received_email_carries_the_receipt_and_invoice(
    django_capture_on_commit_callbacks,
):
    invoicing_on()
    customer = billed_customer()
    Contact.objects.create(customer=customer, email="billing@example.com")
    pending = payment_create(
        customer=customer, total="30", description="Bank transfer", status="pending",
        method="bank_transfer",
    )  # fmt: skip
    from paydesk.banktransfers.services import transfer_complete
    from tests.factories import StaffFactory

    with django_capture_on_commit_callbacks(execute=True):
        transfer_complete(
            payment=pending, actor=StaffFactory(), received_amount="30", received_currency="EUR"
        )
    assert mail.outbox == []  # the request only queues: the worker draws and sends
    outbox_send_due()
    [message] = mail.outbox
    names = [name for name, _content, _type in message.attachments]
    invoice = Document.objects.get(payment=pending)
    assert names == [f"receipt-{pending.reference}.pdf", f"invoice-{invoice.code}.pdf"]
    receipt = message.attachments[0][1]
    assert pending.reference in "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(receipt)).pages
    )


def test_the_chargeback_emails_carry_the_credit_note_and_the_reversal_s_invoice():
    from paydesk.ledger.refunds import chargeback_record, chargeback_reversal_record
    from paydesk.notifications.services import notify_chargeback

    invoicing_on()
    customer = billed_customer()
    Contact.objects.create(customer=customer, email="billing@example.com")
    paid = topup(customer, method="card", total="120.00")
    chargeback, _created = chargeback_record(
        original=paid, total=Decimal("120.00"), dispute_id="card:dp_1"
    )
    reversal, _created = chargeback_reversal_record(
        original=paid, chargeback=chargeback, dispute_id="card:dp_1"
    )
    assert notify_chargeback(payment=chargeback) == notify_chargeback(payment=reversal) == 1

    outbox_send_due()

    note = Document.objects.get(payment=chargeback)
    invoice = Document.objects.get(payment=reversal)
    attached = {m.subject.split(":")[0]: [a[0] for a in m.attachments] for m in mail.outbox}
    assert attached == {
        "Chargeback": [f"credit-note-{note.code}.pdf"],
        "Chargeback reversed": [f"invoice-{invoice.code}.pdf"],
    }


def test_a_documents_back_office_page_shows_money_not_stored_decimals(story, finance_user):
    """One document's page showed "100.0000" for its net, tax and gross and a bare "20.00" rate."""
    _user, _paid, _refund, invoice, _note = story
    client = sign_in(Client(), finance_user)
    page = client.get(f"/backoffice/documents/document/{invoice.pk}/change/").content.decode()
    assert "€100.00 EUR" in page and "€20.00 EUR" in page and "€120.00 EUR" in page
    assert "20.00 %" in page
    assert ".0000" not in page
    assert f'href="/backoffice/documents/document/{invoice.pk}/pdf/"' in page


def _row_of(page: str, code: str) -> str:
    """The list's row of the document `code` (from its Number cell to the row's end)."""
    row = page[page.index(f'<td data-label="Number" class="nowrap">{code}</td>') :]
    return row[: row.index("</tr>")]


def _csv_rows(response) -> dict[str, dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {row["Number"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_credit_note_reads_as_a_reduction_on_the_pages_and_in_every_csv(story, support_user):
    """One sign convention for the lists: an invoice adds to what the customer was invoiced, a
    credit note takes away from it, so it is negative on the Invoices page, in its CSV, in the
    back office's list and CSV and in the API, the same figures everywhere (the Total column
    sums to what is invoiced net of credit notes, as the refund is negative on the Payments
    page). The credit note itself, PDF and Factur-X, states positive amounts under its title."""
    user, _paid, refund, invoice, note = story
    client = Client()
    client.force_login(user)
    page = client.get("/invoices/").content.decode()
    note_row, invoice_row = (_row_of(page, doc.code) for doc in (note, invoice))
    assert "-€2.00 EUR" in note_row and "-€12.00 EUR" in note_row
    assert "€20.00 EUR" in invoice_row and "€120.00 EUR" in invoice_row
    assert "-€" not in invoice_row
    portal = _csv_rows(client.get("/invoices/export.csv"))
    staff = sign_in(Client(), support_user)
    back_office = _csv_rows(staff.get("/backoffice/documents/document/export.csv"))
    amounts = ("Net", "Tax", "Total")
    for rows in (portal, back_office):
        assert [rows[note.code][k] for k in amounts] == ["-10.00", "-2.00", "-12.00"]
        assert [rows[invoice.code][k] for k in amounts] == ["100.00", "20.00", "120.00"]
        assert rows[note.code]["Tax rate"] == "20.00"
        assert sum(Decimal(r["Total"]) for r in rows.values()) == Decimal("108.00")
    listed = staff.get("/backoffice/documents/document/").content.decode()
    assert "-€12.00 EUR" in listed and "€120.00 EUR" in listed
    api = ApiClient(key_for(user, "read"))
    [only] = api.get("/api/v1/invoices", {"kind": "credit_note"}).json()["data"]
    assert [only[k]["amount"] for k in ("net", "tax", "total")] == ["-10.00", "-2.00", "-12.00"]
    # The refund it records is negative on its payment's page too; the document is positive.
    assert "-€12.00 EUR" in client.get(f"/payments/{refund.reference}/").content.decode()
    text = pdf_text(client.get(f"/invoices/{note.code}.pdf")).replace("\n", " ")
    assert "Total credited €12.00 EUR" in text and "-€12.00" not in text
