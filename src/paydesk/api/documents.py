"""Documents in the API: a payment's receipt, the caller's invoices and credit notes (list and
PDF). The caller's own customer only: another customer's reference or number → 404."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.
from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from paydesk.accounts.models import PortalDefaults
from paydesk.api.auth import caller_of
from paydesk.api.customer import _user_time_zone, own_customer
from paydesk.api.errors import ApiError
from paydesk.api.schemas import DAY, ERRORS, Input, MoneyOut, money
from paydesk.documents.models import Document
from paydesk.documents.render import (
    document_filename,
    document_pdf,
    receipt_filename,
    receipt_pdf,
)
from paydesk.documents.selectors import document_list
from paydesk.documents.views import pdf_response
from paydesk.errors import NotFound
from paydesk.ledger.access import payment_visible_to
from paydesk.ledger.models import Payment
from paydesk.references import canonical_payment_reference

router = Router(tags=["documents"])
PDF = {
    "responses": {
        200: {"description": "PDF", "content": {"application/pdf": {"schema": {"type": "string"}}}}
    }
}


class DocumentQuery(Input):
    kind: Literal["invoice", "credit_note"] | None = None
    date_from: str | None = DAY
    date_to: str | None = DAY
    limit: int = Field(100, ge=1, le=500)


class DocumentOut(Schema):
    number: str
    kind: str
    issued_at: datetime
    issue_date: date = Field(
        description="The document's date, as its PDF states it: the day of issued_at in the "
        "provider's time zone (what date_from and date_to filter on)."
    )
    payment: str
    corrects: str | None
    net: MoneyOut
    tax_rate: str
    tax: MoneyOut
    total: MoneyOut


class DocumentListOut(Schema):
    data: list[DocumentOut]


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ApiError(400, "invalid_request", f"{name}: not a date (YYYY-MM-DD).", name) from None


@router.get("/invoices", response={200: DocumentListOut, **ERRORS}, summary="List invoices")
def invoices(request: HttpRequest, query: Query[DocumentQuery]) -> dict[str, object]:
    """Invoices and credit notes, newest first; dates are a document's dates, days in the
    provider's time zone as on its PDF (issue_date), whatever the user's. A credit note's amounts
    are negative (it reduces what was invoiced); its PDF states them positive."""
    customer = own_customer(request)
    rows = document_list(
        customer_id=customer.pk,
        kind=query.kind or "",
        date_from=_day(query.date_from, "date_from"),
        date_to=_day(query.date_to, "date_to"),
    )
    return {
        "data": [
            {
                "number": doc.code,
                "kind": doc.kind,
                "issued_at": doc.issued_at,
                "issue_date": doc.issue_date,
                "payment": doc.payment.reference,
                "corrects": doc.corrects.code if doc.corrects is not None else None,
                "net": money(doc.signed_net, doc.currency),
                "tax_rate": f"{doc.tax_rate:f}",
                "tax": money(doc.signed_tax, doc.currency),
                "total": money(doc.signed_gross, doc.currency),
            }
            for doc in rows[: query.limit]
        ]
    }


@router.get(
    "/invoices/{number}.pdf",
    response={200: str, **ERRORS},
    summary="Download an invoice or credit note (PDF with Factur-X XML)",
    openapi_extra=PDF,
)
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    customer = own_customer(request)
    document = Document.objects.filter(customer=customer, code=number.upper()).first()
    if document is None:
        raise ApiError(404, "not_found", "You have no document with that number.", "number")
    return pdf_response(document_pdf(document), document_filename(document))


@router.get(
    "/payments/{reference}/receipt.pdf",
    response={200: str, **ERRORS},
    summary="Download a payment's receipt (PDF)",
    openapi_extra=PDF,
)
def payment_receipt(request: HttpRequest, reference: str) -> HttpResponse:
    customer = own_customer(request)
    canonical = canonical_payment_reference(reference or "")
    payment = (
        Payment.objects.filter(customer=customer, reference=canonical).first()
        if canonical
        else None
    )
    user = caller_of(request).user
    if payment is None or not payment_visible_to(
        user=user, payment=payment, defaults=PortalDefaults.current()
    ):
        raise ApiError(404, "not_found", "You have no payment with that reference.", "reference")
    try:
        content = receipt_pdf(payment, zone=_user_time_zone(request))
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "reference") from None
    return pdf_response(content, receipt_filename(payment))
