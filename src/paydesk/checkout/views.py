"""Make Payment views: thin. The page works without JavaScript ("Show quote" re-renders it with
the quote); static/checkout/make_payment.js adds the live quote from the JSON endpoint.

Every rule lives in paydesk.checkout.services / selectors and paydesk.vouchers.services; a
refusal is shown next to its field. Only portal users with *make payments* get here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.accounts.access import customer_required
from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults
from paydesk.checkout.forms import PayViaForm, add_service_error, method_form, new_form_token
from paydesk.checkout.models import Quote
from paydesk.checkout.quotes import QuoteTerms, quote_build
from paydesk.checkout.selectors import AvailableMethod, methods_available_for
from paydesk.checkout.services import (
    CANCELLED_PARAMETER,
    Checkout,
    checkout_cancel,
    checkout_return,
    checkout_start,
    online_gateway_for,
)
from paydesk.errors import GatewayError, PaydeskError, PermissionDenied, RateLimited
from paydesk.gateways.http import origin_of
from paydesk.gateways.registry import gateway_for
from paydesk.gateways.stripe.elements import card_fields_context, card_page_sources
from paydesk.ledger.access import balance_visible, payment_cancellable_by, payment_visible_to
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.access import can_manage_methods
from paydesk.methods.services import SavedMethod, saved_methods_list
from paydesk.money import format_money, plain_amount
from paydesk.vouchers.bonus import bonus_terms, voucher_bonus_preview
from paydesk.vouchers.models import VoucherActivation
from paydesk.vouchers.services import Redemption, voucher_redeem
from paydesk.web.client_ip import client_ip
from paydesk.web.middleware import policy_with

# A redeemed voucher form stays answered this long: a double click shows the first answer.
VOUCHER_ANSWER_SECONDS = 600


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/refused.html", {"message": message}, status=403)


def make_payments_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only users with the *make payments* permission pay (403 otherwise)."""

    @wraps(view)
    def wrapped(request: HttpRequest, customer: Customer, *args: Any, **kwargs: Any) -> Any:
        if not request.user.can_make_payments:  # type: ignore[union-attr]
            return _refuse(request, _("You do not have permission to make payments."))
        return view(request, customer, *args, **kwargs)

    return wrapped


def _render(
    request: HttpRequest,
    *,
    customer: Customer,
    methods: list[AvailableMethod],
    pay_via: PayViaForm,
    forms: dict[str, Any],
    quote: QuoteTerms | None = None,
    status: int = 200,
) -> HttpResponse:
    chosen = pay_via.data.get("method") if pay_via.is_bound else ""
    context = {
        "nav": "payments",
        "customer": customer,
        "pay_via": pay_via,
        "sections": [(m, forms[m.method]) for m in methods],
        "chosen": chosen,
        "quote": quote,
        "can_manage_methods": can_manage_methods(request.user),
        "minimum_payment": (
            format_money(customer.minimum_payment, customer.currency)
            if customer.minimum_payment > 0
            else ""
        ),
        # The card processor's hosted fields (Stripe.js), only when the card method is offered.
        "card_fields": (
            card_fields_context() if any(m.method == PaymentMethod.CARD for m in methods) else None
        ),
    }
    # The card processor's fields accept only the address the site is published at: opened at
    # another (localhost instead of 127.0.0.1), they would fail silently, so say where to go.
    public = origin_of(settings.PAYDESK_PUBLIC_URL)
    if context["card_fields"] and origin_of(request.build_absolute_uri("/")) != public:
        context["card_origin_url"] = settings.PAYDESK_PUBLIC_URL.rstrip("/") + request.path
    response = render(request, "checkout/make_payment.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = _make_payment_policy(
        methods, card=bool(context["card_fields"])
    )
    return response


def _make_payment_policy(methods: list[AvailableMethod], *, card: bool) -> str:
    """This page's CSP: the site's, plus where Pay's form may be redirected (the offered
    gateways' hosted pages: browsers check form-action on a form's redirects too) and, when the
    card method is offered, Stripe.js (script, frame, API)."""
    targets = [
        origin for m in methods for origin in getattr(gateway_for(m.method), "hosted_origins", ())
    ]
    if settings.PAYDESK_SANDBOX:
        targets.append(origin_of(settings.PAYDESK_PUBLIC_URL))  # the sandbox's hosted pages
    extra: dict[str, tuple[str, ...]] = {"form-action": tuple(targets)}
    if card:
        for name, sources in card_page_sources().items():
            extra[name] = (*extra.get(name, ()), *sources)
    return policy_with(extra)


@customer_required
@make_payments_required
@require_http_methods(["GET", "POST"])
def make_payment(request: HttpRequest, customer: Customer) -> HttpResponse:
    methods = methods_available_for(customer=customer)
    if request.method == "GET":
        initial = {"form_token": new_form_token()}
        saved = _saved_cards(customer, methods)
        forms = {m.method: method_form(m, saved=saved) for m in methods}
        again = request.GET.get("method", "")
        if again in forms:  # "Try again" from a declined or cancelled payment: same amount
            initial["method"] = again
            forms[again].initial.update({
                name: request.GET.get(name, "")[:40]
                for name in ("amount", "currency") if request.GET.get(name)
            })
        pay_via = PayViaForm(initial=initial, methods=methods)
        return _render(request, customer=customer, methods=methods, pay_via=pay_via, forms=forms)

    pay_via = PayViaForm(request.POST, methods=methods)
    saved = _saved_cards(customer, methods)
    forms = {m.method: method_form(m, request.POST, saved=saved) for m in methods}
    page = {"customer": customer, "methods": methods, "pay_via": pay_via, "forms": forms}
    if not pay_via.is_valid():
        return _render(request, **page)
    method = next(m for m in methods if m.method == pay_via.cleaned_data["method"])
    form = forms[method.method]
    if not form.is_valid():
        return _render(request, **page)
    if not method.takes_amount:
        return _redeem_voucher(request, customer, page, form, pay_via.cleaned_data["form_token"])

    data = form.cleaned_data
    try:
        quote = _with_bonus(quote_build(
            customer=customer,
            method=method.method,
            amount=data["amount"],
            currency=data["currency"],
        ), customer)
    except PaydeskError as error:
        add_service_error(form, error)
        return _render(request, **page)
    if request.POST.get("action") != "pay":
        return _render(request, **page, quote=quote)
    if data.get("quoted_credit") and _changed(data["quoted_credit"], quote.credit):
        messages.warning(request, _("The exchange rate changed: check the new quote, then Pay."))
        return _render(request, **page, quote=quote)
    try:
        checkout = checkout_start(
            customer=customer,
            user=request.user,
            method=method.method,
            amount=data["amount"],
            currency=data["currency"],
            idempotency_key=pay_via.cleaned_data["form_token"],
            payment_method_token=data.get("payment_method_token") or "",
            saved_method=data.get("saved_method") or "",
        )
    except PaydeskError as error:
        add_service_error(form, error)
        return _render(request, **page)
    return _after_checkout(request, checkout)


def _saved_cards(customer: Customer, methods: list[AvailableMethod]) -> list[SavedMethod]:
    """The customer's saved cards and SEPA mandates, offered first when the card method is
    (none when Stripe cannot be asked now: a new card still works)."""
    if not any(m.method == PaymentMethod.CARD for m in methods):
        return []
    try:
        return saved_methods_list(customer=customer)
    except GatewayError:
        return []


def _changed(shown: str, credit: Decimal) -> bool:
    try:
        return Decimal(shown) != credit
    except ArithmeticError:
        return True


def _after_checkout(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    """Where the customer goes once the checkout started (a resubmission lands in the same place):
    the gateway's page; for a bank transfer, the transfer's page with the bank details; for an
    outcome already known (a card charged or declined, a gateway that did not answer), the
    payment's status page."""
    payment, quote = checkout.payment, checkout.quote
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    if payment.method != PaymentMethod.BANK_TRANSFER:
        return redirect("checkout:status", reference=payment.reference)
    messages.success(
        request,
        _(
            "Bank transfer %(reference)s is waiting for your payment of %(total)s. Quote the "
            "reference %(reference)s with your transfer; %(credit)s will be credited when it "
            "arrives."
        )
        % {
            "reference": payment.reference,
            "total": format_money(quote.total_charged, quote.currency),
            "credit": format_money(quote.credit, quote.account_currency),
        },
    )
    return redirect("banktransfers:detail", reference=payment.reference)


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
        return _refuse(request, _("You do not have permission to view payments."))
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
    cancel this payment, tells the gateway the customer cancelled (checkout_cancel, audited)."""
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
            return _refuse(request, error.message)
        return redirect(status_url)
    payment = checkout_return(payment=found, params=params)
    if cancelled and payment.status == PaymentStatus.PENDING:
        return redirect(f"{status_url}?left=1")
    return redirect(status_url)


@customer_required
@require_GET
def payment_status(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """Where a gateway payment stands: completed (and the new balance, where the portal shows
    it), cancelled with the reason, or pending with why and what happens next. Refreshes itself
    while pending. After the customer left the gateway without paying (`left=1`), a pending
    payment offers its Cancel button to users allowed to cancel it."""
    found = _visible_gateway_payment(request, customer, reference)
    if isinstance(found, HttpResponse):
        return found
    payment = found
    defaults = PortalDefaults.current()
    quote = Quote.objects.filter(payment=payment).first()
    customer.refresh_from_db(fields=["balance"])
    pending = payment.status == PaymentStatus.PENDING
    gateway = online_gateway_for(payment)
    context = {
        "nav": "payments",
        "payment": payment,
        "charged": format_money(quote.total_charged, quote.currency) if quote else "",
        "credit": format_money(payment.total, customer.currency),
        "bonus": _bonus_paid(payment, customer.currency),
        "balance": (
            format_money(customer.balance, customer.currency)
            if balance_visible(customer=customer, defaults=defaults)
            else ""
        ),
        "gateway_url": quote.gateway_url if quote and pending else "",
        # A declined or cancelled payment: start again with the same method and amount.
        "try_again_url": _try_again_url(payment, quote) if (
            payment.status == PaymentStatus.CANCELLED and request.user.can_make_payments  # type: ignore[union-attr]
        ) else "",
        "left_gateway": (
            gateway.display_name
            if pending and gateway is not None and request.GET.get("left") == "1"
            else ""
        ),
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


def _with_bonus(quote: QuoteTerms, customer: Customer) -> QuoteTerms:
    """The quote, with the bonus an armed voucher adds to this top-up (shown, never charged)."""
    preview = voucher_bonus_preview(
        customer_id=customer.pk, currency=customer.currency, credit=quote.credit
    )
    if preview is None:
        return quote
    return replace(quote, bonus=preview.amount, bonus_hint=preview.hint)


def _try_again_url(payment: Payment, quote: Quote | None) -> str:
    query = {"method": payment.method}
    if quote is not None:
        query.update(amount=plain_amount(quote.amount, quote.currency), currency=quote.currency)
    return reverse("checkout:make_payment") + "?" + urlencode(query)


def _voucher_message(redemption: Redemption, currency: str) -> str:
    if redemption.payment is not None:
        return _("Voucher redeemed: %(amount)s was credited to your account.") % {
            "amount": format_money(redemption.payment.total, currency)
        }
    batch = redemption.voucher.batch
    return _("Voucher accepted: your next top-up of at least %(minimum)s earns %(terms)s.") % {
        "minimum": format_money(batch.minimum_activation, batch.currency),
        "terms": bonus_terms(
            multiplier=batch.multiplier, addition=batch.addition, currency=batch.currency
        ),
    }


def _redeem_voucher(
    request: HttpRequest, customer: Customer, page: dict[str, Any], form: Any, token: str
) -> HttpResponse:
    """Redeem at once. The form token answers a resubmission with the first answer, so a double
    click never shows "cannot be redeemed" for a voucher that was just credited."""
    answered = f"paydesk:checkout:voucher:{customer.pk}:{token}"
    if not cache.add(answered, "", timeout=VOUCHER_ANSWER_SECONDS):
        messages.info(request, cache.get(answered) or _("This voucher form was already sent."))
        return redirect("portal:payments")
    try:
        redemption = voucher_redeem(
            code=form.cleaned_data["code"],
            customer=customer,
            currency=form.cleaned_data["currency"],
            user=request.user,
            ip_address=client_ip(request),
        )
    except RateLimited as error:
        cache.delete(answered)
        form.add_error("code", error.message)
        response = _render(request, **page, status=429)
        if error.retry_after:
            response["Retry-After"] = str(error.retry_after)
        return response
    except PaydeskError as error:
        cache.delete(answered)
        add_service_error(form, error)
        return _render(request, **page)
    message = _voucher_message(redemption, customer.currency)
    cache.set(answered, message, timeout=VOUCHER_ANSWER_SECONDS)
    messages.success(request, message)
    return redirect("portal:payments")


@customer_required
@make_payments_required
@require_GET
def quote_json(request: HttpRequest, customer: Customer) -> JsonResponse:
    """The live quote: `{"ok": true, "quote": {...}}` or `{"ok": false, "errors": {field: msg}}`."""
    try:
        quote = _with_bonus(quote_build(
            customer=customer,
            method=request.GET.get("method", ""),
            amount=request.GET.get("amount", ""),
            currency=request.GET.get("currency", ""),
        ), customer)
    except PaydeskError as error:
        response = JsonResponse({"ok": False, "errors": {error.field or "__all__": error.message}})
    else:
        response = JsonResponse({"ok": True, "quote": quote.as_json()})
    response["Cache-Control"] = "no-store"
    return response
