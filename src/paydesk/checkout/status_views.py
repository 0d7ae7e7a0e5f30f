"""Back from the gateway and where a payment stands: resuming an unfinished checkout, the
customer's return from a gateway, and the payment's status page (completed with the new balance
and any voucher bonus, cancelled with what to do next, or pending with why).

Resuming and coming back to capture are paying: only users with *make payments* may (403
otherwise). Money a gateway confirms by its webhook or to reconciliation is credited whoever
approved it there: the payment was bound to its order when the checkout started.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.accounts.access import customer_required, make_payments_required, refuse
from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.accounts.payers import may_make_payments
from paydesk.checkout.models import Quote
from paydesk.checkout.selectors import checkout_page_closed, new_payment_url
from paydesk.checkout.services import (
    CANCELLED_PARAMETER,
    checkout_cancel,
    checkout_return,
    online_gateway_for,
)
from paydesk.errors import PermissionDenied
from paydesk.ledger.access import balance_visible, payment_cancellable_by, payment_visible_to
from paydesk.ledger.models import MONEY_BACK, Payment, PaymentStatus
from paydesk.money import format_money
from paydesk.shapes import payment_description_shown
from paydesk.vouchers.models import VoucherActivation

# A redeemed voucher form stays answered this long: a double click shows the first answer.
VOUCHER_ANSWER_SECONDS = 600


def _own_gateway_payment(customer: Customer, reference: str) -> Payment:
    """The customer's own payment made through a gateway; 404 for anything else (S1)."""
    return get_object_or_404(
        Payment.objects.select_related("customer").exclude(gateway=""),
        reference=reference,
        customer=customer,
    )


def _visible_gateway_payment(
    request: HttpRequest, customer: Customer, reference: str
) -> Payment | HttpResponse:
    """The customer's own gateway payment (404 otherwise), or a 403 page when this user may not
    see it (ledger.access: its creator, or *view payments* where payments are shown)."""
    payment = _own_gateway_payment(customer, reference)
    if not payment_visible_to(
        user=request.user, payment=payment, defaults=PortalDefaults.current()
    ):
        return refuse(request, _("You do not have permission to view payments."))
    return payment


@customer_required
@require_http_methods(["GET", "POST"])
def gateway_return(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """The customer is back from the gateway (a redirect's GET, or the form Razorpay's checkout
    hands our page, POSTed with our CSRF token). Its parameters only say which payment to ask
    the gateway about: the gateway's own answer decides (spec §5).

    `cancelled=1` in a GET (the gateway's Cancel, or any link) cancels nothing: the gateway is
    asked, and a payment still pending shows the status page with a Cancel button. Only a POST
    with `cancelled=1` (that button, Razorpay's page), with our CSRF token, by a user allowed to
    cancel this payment, tells the gateway the customer cancelled (checkout_cancel, audited).
    Anything else asks the gateway, which captures an approved order: only for a user with
    *make payments* (403 otherwise; the webhook or reconciliation still credits the money)."""
    assert request.user.is_authenticated  # @customer_required
    found = _visible_gateway_payment(request, customer, reference)
    if isinstance(found, HttpResponse):
        return found
    source = request.POST if request.method == "POST" else request.GET
    params = {key: source.get(key, "")[:500] for key in list(source)[:20]}
    params.pop("csrfmiddlewaretoken", None)
    cancelled = params.pop(CANCELLED_PARAMETER, "") == "1"
    status_url = reverse("checkout:status", args=[found.reference])
    if request.method == "POST" and cancelled:
        try:
            checkout_cancel(payment=found, user=request.user)
        except PermissionDenied as error:
            return refuse(request, error.message)
        return redirect(status_url)
    if not may_make_payments(user=request.user, customer=customer):  # capturing is paying
        return refuse(request, _("You do not have permission to make payments."))
    payment = checkout_return(payment=found, params=params)
    if cancelled and payment.status == PaymentStatus.PENDING:
        return redirect(f"{status_url}?left=1")
    return redirect(status_url)


@customer_required
@make_payments_required
@require_GET
def resume(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """Resume an unfinished checkout: the gateway's page while the payment is pending and its
    quote holds, else the payment's status page. Only for users with *make payments*."""
    found = _visible_gateway_payment(request, customer, reference)
    if isinstance(found, HttpResponse):
        return found
    quote = Quote.objects.filter(payment=found).first()
    if found.status == PaymentStatus.PENDING and quote is not None and quote.open_at_gateway:
        return redirect(quote.gateway_url)
    return redirect("checkout:status", reference=found.reference)


@customer_required
@require_GET
def payment_status(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """Where a gateway payment stands: completed (and the new balance, where the portal shows
    it), cancelled with the reason, or pending with why and what happens next. Refreshes itself
    while pending. After the customer left the gateway without paying (`left=1`), a pending
    payment of which the gateway has seen no money leads with "Not paid", and a pending payment
    offers its Cancel button to users allowed to cancel it."""
    assert request.user.is_authenticated  # @customer_required
    found = _visible_gateway_payment(request, customer, reference)
    if isinstance(found, HttpResponse):
        return found
    payment = found
    defaults = PortalDefaults.current()
    quote = Quote.objects.filter(payment=payment).first()
    customer.refresh_from_db(fields=["balance"])
    pending = payment.status == PaymentStatus.PENDING
    may_pay = may_make_payments(user=request.user, customer=customer)
    # Paying on at the gateway's page, or seeing that it closed: users who may make payments.
    page_open = page_closed = False
    if quote is not None and pending and may_pay:
        page_open = quote.open_at_gateway
        page_closed = checkout_page_closed(quote)
    # A refund or a chargeback takes money from the account: worded as the Payments page words
    # it (its Total, negative, and what it follows), never as a credit.
    money_back = payment.relation in MONEY_BACK
    gateway = online_gateway_for(payment)
    left_gateway = (
        gateway.display_name
        if pending and gateway is not None and request.GET.get("left") == "1"
        else ""
    )
    context = {
        "nav": "payments",
        "payment": payment,
        # As the portal's payments page shows it (a chargeback's reason in the gateway's words).
        "description": payment_description_shown(payment),
        # Completed by staff with the amount actually received (a partial crypto payment, a
        # short transfer): say what arrived against what was expected, never what was quoted
        # as if it had been charged.
        "charged": (
            format_money(quote.total_charged, quote.currency)
            if quote and payment.expected_total is None
            else ""
        ),
        "received": payment.received_against_expected,
        "credit": format_money(payment.total, customer.currency),
        "money_back": money_back,
        "taken": format_money(-payment.total, customer.currency) if money_back else "",
        "bonus": _bonus_paid(payment, customer.currency),
        "balance": (
            format_money(customer.balance, customer.currency)
            if balance_visible(customer=customer, defaults=defaults)
            else ""
        ),
        # Paying on at the gateway, while its page is open: only for users who may make payments.
        "gateway_url": quote.gateway_url if page_open and quote is not None else "",
        # Its page closed with the quote: a new payment (today's rate) is the way on.
        "gateway_closed": gateway.display_name if page_closed and gateway is not None else "",
        "closed_at": quote.expires_at if page_closed and quote is not None else None,
        # Declined, cancelled, or its gateway page closed: start again, same method and amount.
        "try_again_url": new_payment_url(payment, quote)
        if not money_back
        and (page_closed or (payment.status == PaymentStatus.CANCELLED and may_pay))
        else "",
        "left_gateway": left_gateway,
        # Back from the gateway's Cancel and the gateway has seen no money for it: not paid,
        # said first (a payment with a gateway transaction, or one staff must check, keeps its
        # Pending line).
        "left_unpaid": bool(left_gateway)
        and not payment.gateway_transaction
        and not payment.needs_attention,
        "can_cancel": pending
        and payment_cancellable_by(user=request.user, payment=payment, defaults=defaults),
        # Money the gateway confirmed after this payment was cancelled (late payments).
        "late_payments": [
            {"payment": late, "credit": format_money(late.total, customer.currency)}
            for late in payment.follow_ups.order_by("id")
        ]
        if payment.status == PaymentStatus.CANCELLED
        else [],
    }
    response = render(request, "checkout/status.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _bonus_paid(payment: Payment, currency: str) -> str:
    """`$55.00 (voucher …6TRK)`: the separate bonus this completed top-up earned, or ''."""
    if payment.status != PaymentStatus.COMPLETED:
        return ""
    activation = (
        VoucherActivation.objects.filter(applied_payment=payment)
        .select_related("bonus_payment", "voucher")
        .first()
    )
    if activation is None or activation.bonus_payment is None:
        return ""
    return _("%(amount)s, a separate payment (voucher %(hint)s)") % {
        "amount": format_money(activation.bonus_payment.total, currency),
        "hint": activation.voucher.masked_code,
    }
