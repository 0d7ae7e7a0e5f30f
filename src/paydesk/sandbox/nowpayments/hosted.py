"""NOWPayments' hosted invoice page, played offline: the buyer picks an outcome (paid in full,
part, expired, paid again after expiry…), the payment moves there and its IPN is sent."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from paydesk.money import format_money
from paydesk.sandbox.core import (
    object_create,
    object_get,
    object_update,
    return_to,
    switch_on,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.nowpayments.common import (
    _DONE,
    BTC_PRICE,
    GATEWAY,
    OUTCOMES,
    PARTIAL_SHARE,
    REPAY,
    SATOSHI,
    _invoice_payments,
    _ipn_send,
    _now,
    _numeric_id,
)

# --- the hosted invoice page ---------------------------------------------------------------


def _payment_start(invoice: SandboxObject) -> SandboxObject:
    price = Decimal(invoice.data["price_amount"])
    pay_amount = max((price / BTC_PRICE).quantize(SATOSHI), SATOSHI)
    payment_id = _numeric_id()
    now = _now()
    data = {
        "payment_id": payment_id,
        "invoice_id": int(invoice.object_id),
        "payment_status": "waiting",
        "pay_address": "tb1q" + secrets.token_hex(19),
        "price_amount": invoice.data["price_amount"],
        "price_currency": invoice.data["price_currency"],
        "pay_amount": format(pay_amount, "f"),
        "actually_paid": "0",
        "actually_paid_at_fiat": 0,
        "pay_currency": "btc",
        "order_id": invoice.data.get("order_id"),
        "order_description": invoice.data.get("order_description"),
        "purchase_id": str(_numeric_id()),
        "outcome_amount": format(pay_amount, "f"),
        "outcome_currency": "btc",
        "created_at": now,
        "updated_at": now,
    }
    payment = object_create(GATEWAY, "payment", str(payment_id), data, lookup=invoice.object_id)
    _ipn_send(payment.data)
    return payment


def _payment_move(payment: SandboxObject, outcome: str) -> SandboxObject:
    pay_amount = Decimal(payment.data["pay_amount"])
    paid = {
        "finished": pay_amount,
        "partially_paid": (pay_amount * PARTIAL_SHARE).quantize(SATOSHI),
        "expired": Decimal(0),
    }[outcome]
    for status in OUTCOMES[outcome]:
        payment = object_update(
            payment, payment_status=status, actually_paid=format(paid, "f"), updated_at=_now()
        )
        _ipn_send(payment.data)
    return payment


def _repay_offered(payments: list[SandboxObject]) -> bool:
    """ "Pay again after expiry" is offered (switch on) once the invoice's latest payment
    expired and none of its payments is paid or on its way."""
    return (
        switch_on("nowpayments_repay_after_expiry")
        and bool(payments)
        and payments[-1].data.get("payment_status") == "expired"
        and not any(p.data.get("payment_status") in _DONE for p in payments)
    )


def _outcome_allowed(outcome: str, payments: list[SandboxObject]) -> bool:
    if outcome == REPAY:
        return _repay_offered(payments)
    settled = any(p.data.get("payment_status") in _DONE for p in payments)
    return outcome in OUTCOMES and not settled


def _pay_invoice(invoice: SandboxObject, outcome: str) -> HttpResponse:
    """Start a payment on the invoice, move it as the button says, and send the customer on:
    to `success_url?NP_id=…`, or `cancel_url` when it expired."""
    payment = _payment_move(_payment_start(invoice), "finished" if outcome == REPAY else outcome)
    if outcome == "expired":
        return redirect(invoice.data.get("cancel_url") or invoice.data["invoice_url"])
    return redirect(
        return_to(
            invoice.data.get("success_url") or invoice.data["invoice_url"],
            NP_id=str(payment.data["payment_id"]),
        )
    )


@require_http_methods(["GET", "POST"])
def invoice_page(request: HttpRequest) -> HttpResponse:
    """What the customer sees at invoice_url (`?iid=<invoice id>`): the price, what it costs in
    BTC, and what to do. POST (the buttons) pays, pays part, lets the payment expire, or (with
    its switch) pays again after an expiry."""
    invoice_id = request.GET.get("iid") or request.POST.get("iid", "")
    invoice = object_get(GATEWAY, "invoice", invoice_id) if invoice_id.isdigit() else None
    if invoice is None:
        return render(request, "sandbox/nowpayments/invoice.html", {"missing": True}, status=404)
    payments = _invoice_payments(invoice.object_id)
    outcome = request.POST.get("outcome", "")
    if request.method == "POST" and _outcome_allowed(outcome, payments):
        return _pay_invoice(invoice, outcome)
    settled = [p for p in payments if p.data.get("payment_status") in _DONE]
    price = Decimal(invoice.data["price_amount"])
    context = {
        "invoice": invoice.data,
        "price": format_money(price, invoice.data["price_currency"].upper()),
        "btc": format(max((price / BTC_PRICE).quantize(SATOSHI), SATOSHI), "f"),
        "settled": settled[-1].data if settled else None,
        "repay": _repay_offered(payments),
        "expired": payments[-1].data if payments and _repay_offered(payments) else None,
    }
    return render(request, "sandbox/nowpayments/invoice.html", context)
