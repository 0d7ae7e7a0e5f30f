"""A payment's own page in the portal: what it is, and its story — the payment it follows (a
refund's, a chargeback's, a late payment's original), the refunds and chargebacks that followed
it, and "refunded 20.00 of 50.00". Scoped to the user's own customer; shown to whoever may see
the payment (ledger.access.payment_visible_to); the staff comment never appears."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from paydesk.accounts.access import customer_required, refuse
from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.documents.selectors import payment_documents
from paydesk.ledger.access import balance_visible, payment_visible_to
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refund_reads import refunded_of
from paydesk.references import canonical_payment_reference

FOLLOW_UPS_SHOWN = 50


@customer_required
@require_GET
def payment_detail(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    canonical = canonical_payment_reference(reference or "")
    payment = (
        Payment.objects.select_related("original", "customer")
        .filter(customer=customer, reference=canonical)
        .first()
        if canonical
        else None
    )
    if payment is None:
        raise Http404("No such payment.")
    defaults = PortalDefaults.current()
    if not payment_visible_to(user=request.user, payment=payment, defaults=defaults):
        return refuse(request, _("You do not have permission to view payments."))
    follow_ups = [
        p
        for p in payment.follow_ups.order_by("occurred_at", "id")[:FOLLOW_UPS_SHOWN]
        if payment_visible_to(user=request.user, payment=p, defaults=defaults)
    ]
    original = payment.original
    if original is not None and not payment_visible_to(
        user=request.user, payment=original, defaults=defaults
    ):
        original = None
    response = render(
        request,
        "portal/payment_detail.html",
        {
            "nav": "payments",
            "customer": customer,
            "payment": payment,
            "original": original,
            "follow_ups": follow_ups,
            "refunded": refunded_of(payment),
            "documents": payment_documents(payment),
            "show_balance": balance_visible(customer=customer, defaults=defaults)
            and payment.status == PaymentStatus.COMPLETED,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
