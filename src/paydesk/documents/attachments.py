"""The PDFs an email carries, drawn when it is sent (after the money committed, never inside
the completing transaction): the receipt, and the invoice when there is one, with "payment
received"; the credit note with "refund issued" and "chargeback taken"; the reversal's invoice
with "chargeback reversed"."""

from __future__ import annotations

from typing import Any

from paydesk.documents.issue import is_receipted_topup
from paydesk.documents.models import Document
from paydesk.documents.render import (
    document_filename,
    document_pdf,
    receipt_filename,
    receipt_pdf,
)

PDF = "application/pdf"
KINDS = ("payment_received", "refund_issued", "chargeback", "chargeback_reversed")


def email_attachments(email: Any) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, MIME type) of each PDF this outbox row carries."""
    if email.kind not in KINDS or not email.payment_id:
        return []
    payment = email.payment
    files = []
    if email.kind == "payment_received" and is_receipted_topup(payment):
        files.append((receipt_filename(payment), receipt_pdf(payment), PDF))
    for document in Document.objects.filter(payment=payment).order_by("id"):
        files.append((document_filename(document), document_pdf(document), PDF))
    return files
