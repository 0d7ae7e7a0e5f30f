"""Make Payment views: thin. The page works without JavaScript ("Show quote" re-renders it with
the quote); static/checkout/make_payment.js adds the live quote from the JSON endpoint.

Every rule lives in paydesk.checkout.services / selectors and paydesk.vouchers.services; a
refusal is shown next to its field. Only portal users with *make payments* get here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.accounts.access import customer_required, make_payments_required
from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.checkout.forms import (
    PayViaForm,
    SavedMethodForm,
    add_service_error,
    method_form,
    new_form_token,
)
from paydesk.checkout.quotes import QuoteTerms, quote_build
from paydesk.checkout.saved import SAVED_TYPE_METHODS
from paydesk.checkout.selectors import AvailableMethod, methods_available_for
from paydesk.checkout.services import Checkout, checkout_start
from paydesk.errors import GatewayError, GatewayRateLimited, PaydeskError, RateLimited
from paydesk.gateways.http import origin_of
from paydesk.gateways.registry import gateway_for
from paydesk.gateways.stripe.elements import card_fields_context, card_page_sources
from paydesk.methods.services import SavedMethod, saved_methods_list
from paydesk.money import format_money
from paydesk.vouchers.bonus import bonus_terms, voucher_bonus_preview
from paydesk.vouchers.services import Redemption, voucher_redeem
from paydesk.web.client_ip import client_ip
from paydesk.web.middleware import policy_with

# A redeemed voucher form stays answered this long: a double click shows the first answer.
VOUCHER_ANSWER_SECONDS = 600


@dataclass(frozen=True, slots=True)
class PaySection:
    """One Pay via choice and its fields: a saved method (key: its pm_…, offered first) or a
    method (key: its value)."""

    key: str
    label: str
    method: AvailableMethod
    form: Any
    saved: SavedMethod | None = None

    @property
    def submit_label(self) -> str:
        """What the form's button does for this choice: a voucher is redeemed, nothing paid."""
        return _("Pay") if self.method.takes_amount else _("Redeem voucher")


def _sections(
    customer: Customer, methods: list[AvailableMethod], data: Any = None
) -> dict[str, PaySection]:
    """The customer's saved methods their method is offered for (a SEPA mandate: when SEPA
    Direct Debit is, in its currencies), then every method but those paid only with a saved
    one; by key, in that order. Of a form sent, only the chosen method's form is bound (checked);
    the others keep what was typed in them, unchecked: without JavaScript every method's fields
    are on the page, and each said "This field is required." under a method nobody chose."""
    chosen = data.get("method", "") if data is not None else ""
    by_method = {m.method: m for m in methods}
    sections = {}
    for saved in _saved_methods(customer, methods):
        method = by_method.get(SAVED_TYPE_METHODS.get(saved.type, ""))
        if method is not None:
            bound = data if saved.id == chosen else None
            form: Form = _typed(SavedMethodForm(bound, method=method, saved=saved), data)
            sections[saved.id] = PaySection(saved.id, saved.label, method, form, saved)
    for method in methods:
        if not getattr(gateway_for(method.method), "saved_method_only", False):
            form = _typed(method_form(method, data if method.method == chosen else None), data)
            sections[method.method] = PaySection(method.method, method.display_name, method, form)
    return sections


def _typed(form: Form, data: Any) -> Form:
    """An unbound form of a method not chosen, showing what was typed in it (nothing to do for a
    bound form, or on the page's first GET)."""
    if data is not None and not form.is_bound:
        for name in form.fields:
            if form.add_prefix(name) in data:
                form.initial[name] = data.get(form.add_prefix(name))
    return form


def _render(
    request: HttpRequest,
    *,
    customer: Customer,
    methods: list[AvailableMethod],
    pay_via: PayViaForm,
    sections: dict[str, PaySection],
    quote: QuoteTerms | None = None,
    nothing_to_quote: bool = False,
    status: int = 200,
) -> HttpResponse:
    chosen = pay_via.data.get("method") if pay_via.is_bound else ""
    # The button says what it does for the method chosen (or the only one offered); the page's
    # script keeps it so as the choice changes.
    shown = sections.get(chosen or pay_via.initial.get("method", ""))
    if shown is None and len(sections) == 1:
        [shown] = sections.values()
    context = {
        "nav": "payments",
        "customer": customer,
        "pay_via": pay_via,
        "sections": list(sections.values()),
        "chosen": chosen,
        "submit_label": shown.submit_label if shown is not None else _("Pay"),
        "quote": quote,
        "nothing_to_quote": nothing_to_quote,
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
        sections = _sections(customer, methods)
        saved = [section.saved for section in sections.values() if section.saved]
        initial = {"form_token": new_form_token(), "method": saved[0].id if saved else ""}
        again = _again_key(sections, request.GET.get("method", ""))
        if again:  # "Try again" from a declined or cancelled payment: same amount
            initial["method"] = again
            sections[again].form.initial.update(
                {
                    name: request.GET.get(name, "")[:40]
                    for name in ("amount", "currency")
                    if request.GET.get(name)
                }
            )
        pay_via = PayViaForm(initial=initial, methods=_pay_via(sections), saved=saved)
        return _render(
            request, customer=customer, methods=methods, pay_via=pay_via, sections=sections
        )

    sections = _sections(customer, methods, request.POST)
    saved = [section.saved for section in sections.values() if section.saved]
    pay_via = PayViaForm(request.POST, methods=_pay_via(sections), saved=saved)
    page: dict[str, Any] = {
        "customer": customer,
        "methods": methods,
        "pay_via": pay_via,
        "sections": sections,
    }
    if not pay_via.is_valid():
        return _render(request, **page)
    section = sections[pay_via.cleaned_data["method"]]
    method, form = section.method, section.form
    if not form.is_valid():
        return _render(request, **page)
    if not method.takes_amount:
        # Only the form's submit button (action=pay, "Redeem voucher") redeems. Show quote, and
        # Enter in a field (which sends the form's first button, Show quote), redeem nothing.
        if request.POST.get("action") != "pay":
            return _render(request, **page, nothing_to_quote=True)
        return _redeem_voucher(request, customer, page, form, pay_via.cleaned_data["form_token"])

    data = form.cleaned_data
    try:
        quote = _with_bonus(
            quote_build(
                customer=customer,
                method=method.method,
                amount=data["amount"],
                currency=data["currency"],
            ),
            customer,
        )
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
            saved_method=section.saved.id if section.saved else "",
        )
    except GatewayRateLimited as error:
        # The processor was busy: this form's payment is cancelled (nothing charged), so the
        # page comes back with the message and a new token, for a Pay a minute later to be a
        # new payment rather than this one's replay.
        add_service_error(form, error)
        data = request.POST.copy()
        data["form_token"] = new_form_token()
        page["pay_via"] = PayViaForm(data, methods=_pay_via(sections), saved=saved)
        return _render(request, **page)
    except PaydeskError as error:
        add_service_error(form, error)
        return _render(request, **page)
    return _after_checkout(request, checkout)


def _pay_via(sections: dict[str, PaySection]) -> list[AvailableMethod]:
    return [section.method for section in sections.values() if section.saved is None]


def _again_key(sections: dict[str, PaySection], method: str) -> str:
    """The Pay via choice "Try again" preselects: the method, or (SEPA Direct Debit, offered
    only with a mandate) the customer's first saved mandate; '' when it is not offered."""
    if method in sections:
        return method
    return next((key for key, s in sections.items() if s.saved and s.method.method == method), "")


def _saved_methods(customer: Customer, methods: list[AvailableMethod]) -> list[SavedMethod]:
    """The customer's saved cards and SEPA mandates (the default first), asked of Stripe when
    a method they pay by is offered (none when Stripe cannot be asked now: a new card still
    works)."""
    if not any(m.method in SAVED_TYPE_METHODS.values() for m in methods):
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


def _with_bonus(quote: QuoteTerms, customer: Customer) -> QuoteTerms:
    """The quote, with the bonus an armed voucher adds to this top-up (shown, never charged)."""
    preview = voucher_bonus_preview(
        customer_id=customer.pk, currency=customer.currency, credit=quote.credit
    )
    if preview is None:
        return quote
    return replace(quote, bonus=preview.amount, bonus_hint=preview.hint)


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
        quote = _with_bonus(
            quote_build(
                customer=customer,
                method=request.GET.get("method", ""),
                amount=request.GET.get("amount", ""),
                currency=request.GET.get("currency", ""),
            ),
            customer,
        )
    except PaydeskError as error:
        response = JsonResponse({"ok": False, "errors": {error.field or "__all__": error.message}})
    else:
        response = JsonResponse({"ok": True, "quote": quote.as_json()})
    response["Cache-Control"] = "no-store"
    return response
