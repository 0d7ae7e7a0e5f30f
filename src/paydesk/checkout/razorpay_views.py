"""/pay/razorpay/<reference>/: our page that opens Razorpay Checkout for a pending payment.

Razorpay Checkout is a script (checkout.js) the merchant's own page loads: start_checkout
creates the order and sends the customer here. The page passes the checkout's options in
data- attributes to static/checkout/razorpay.js (no inline script: CSP), which opens the
checkout and POSTs what it hands back — razorpay_payment_id, razorpay_order_id,
razorpay_signature, or a failure, or the customer closing it — to /pay/return/<reference>/ with
our CSRF token. That view asks Razorpay (never the browser) what happened.

Its Content-Security-Policy is the site's, plus the checkout script's origin (script, frame)
and Razorpay's API origin (frame, connect).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from paydesk.accounts.access import customer_required, make_payments_required, refuse
from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults
from paydesk.checkout.models import Quote
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import origin_of
from paydesk.gateways.razorpay.client import api_base
from paydesk.gateways.razorpay.gateway import checkout_js_url
from paydesk.ledger.access import payment_visible_to
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import Money, format_money
from paydesk.provider.brand import brand_current
from paydesk.web.middleware import policy_with


def razorpay_policy() -> str:
    """The site's CSP, opened just enough for Razorpay Checkout."""
    script = origin_of(checkout_js_url())
    api = origin_of(api_base())
    return policy_with(
        {"script-src": (script,), "connect-src": (api,), "frame-src": ("'self'", script, api)}
    )


@customer_required
@make_payments_required
@require_GET
def razorpay_checkout(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """The customer's own pending Razorpay payment (404 for anything else), for a user who may
    see it (ledger.access); its Cancel posts `cancelled=1` to the return view (checkout_cancel)."""
    assert request.user.is_authenticated  # @customer_required
    payment = get_object_or_404(
        Payment.objects.filter(gateway=PaymentMethod.RAZORPAY),
        reference=reference,
        customer=customer,
    )
    if not payment_visible_to(
        user=request.user, payment=payment, defaults=PortalDefaults.current()
    ):
        return refuse(request, _("You do not have permission to view payments."))
    if payment.status != PaymentStatus.PENDING or not payment.gateway_reference:
        return redirect("checkout:status", reference=payment.reference)
    quote = get_object_or_404(Quote, payment=payment)
    charged = Money(quote.total_charged, quote.currency)
    context = {
        "nav": "payments",
        "payment": payment,
        "charged": format_money(charged.amount, charged.currency),
        "credit": format_money(payment.total, customer.currency),
        "checkout_js_url": checkout_js_url(),
        "options": {
            "key": gateway_credential("PAYDESK_RAZORPAY_KEY_ID"),
            "order_id": payment.gateway_reference,
            "amount": str(charged.to_minor_units()),
            "currency": charged.currency,
            "name": brand_current().name,
            "description": payment.description,
            "email": request.user.email,
            "reference": payment.reference,
        },
    }
    response = render(request, "checkout/razorpay.html", context)
    response["Content-Security-Policy"] = razorpay_policy()
    response["Cache-Control"] = "no-store"
    return response
