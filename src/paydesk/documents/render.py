"""PDF bytes of each kind of document and their file names: the one entry point the portal,
the back office, the API and the emails use."""

from __future__ import annotations

from datetime import tzinfo

from paydesk.documents.facturx import with_facturx
from paydesk.documents.models import Document, DocumentKind
from paydesk.documents.pdf import render
from paydesk.documents.sheets import document_sheet, receipt_sheet
from paydesk.ledger.models import Payment


def receipt_pdf(payment: Payment, *, zone: tzinfo | None = None) -> bytes:
    return render(receipt_sheet(payment, zone=zone))


def receipt_filename(payment: Payment) -> str:
    return f"receipt-{payment.reference}.pdf"


def document_pdf(document: Document) -> bytes:
    """An invoice or credit note, with its Factur-X XML embedded."""
    return with_facturx(render(document_sheet(document)), document)


def document_filename(document: Document) -> str:
    kind = "credit-note" if document.kind == DocumentKind.CREDIT_NOTE else "invoice"
    return f"{kind}-{document.code}.pdf"
