"""The portal's documents: a payment's receipt, the *Invoices* page (filters by date and kind,
the CSV of the list) and each invoice or credit note's PDF. Scoped to the user's own customer:
another customer's document is 404, never a hint that it exists."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from paydesk.accounts.access import customer_required, refuse, view_payments_required
from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.documents.models import Document, DocumentKind
from paydesk.documents.render import (
    document_filename,
    document_pdf,
    receipt_filename,
    receipt_pdf,
)
from paydesk.documents.selectors import document_list, documents_csv
from paydesk.errors import NotFound
from paydesk.ledger.access import payment_visible_to
from paydesk.ledger.models import Payment
from paydesk.references import canonical_payment_reference

PAGE = 100


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(DocumentKind.choices),
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: self.cleaned_data.get(k) for k in ("kind", "date_from", "date_to")}


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@customer_required
@require_GET
def receipt(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    canonical = canonical_payment_reference(reference or "")
    payment = (
        (
            Payment.objects.select_related("customer").filter(
                customer=customer, reference=canonical
            )
        ).first()
        if canonical
        else None
    )
    if payment is None:
        raise Http404("No such payment.")
    if not payment_visible_to(
        user=request.user, payment=payment, defaults=PortalDefaults.current()
    ):
        return refuse(request, _("You do not have permission to view payments."))
    try:
        content = receipt_pdf(payment, zone=timezone.get_current_timezone())
    except NotFound as exc:
        raise Http404(str(exc)) from None
    return pdf_response(content, receipt_filename(payment))


@customer_required
@view_payments_required
@require_GET
def invoices(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = DocumentFilterForm(request.GET)
    rows = document_list(customer_id=customer.pk, **form.values())
    query = request.GET.urlencode()
    return render(
        request,
        "documents/invoices.html",
        {
            "nav": "invoices",
            "customer": customer,
            "form": form,
            "documents": list(rows[:PAGE]),
            "more": rows[PAGE : PAGE + 1].exists(),
            "query": query,
        },
    )


@customer_required
@view_payments_required
@require_GET
def invoices_csv(request: HttpRequest, customer: Customer) -> StreamingHttpResponse:
    form = DocumentFilterForm(request.GET)
    rows = document_list(customer_id=customer.pk, **form.values())
    response = StreamingHttpResponse(documents_csv(rows), content_type="text/csv")
    filename = f"invoices-{customer.slug}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@customer_required
@view_payments_required
@require_GET
def download(request: HttpRequest, customer: Customer, code: str) -> HttpResponse:
    document = Document.objects.filter(customer=customer, code=code.upper()).first()
    if document is None:
        raise Http404("No such document.")
    return pdf_response(document_pdf(document), document_filename(document))
