"""The control page's PayPal panel: the merchant's dashboard and PayPal's dispute desk (a refund
made in the dashboard, with no custom_id; a dispute opened, moved, lost or won)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import object_find, object_get
from paydesk.sandbox.paypal.disputes import dispute_move, dispute_open
from paydesk.sandbox.paypal.refunds import (
    GATEWAY,
    Refused,
    _locked_capture,
    decline_next_refund,
    hold_next_refund,
    refund_make,
)

# --- the control page's panel --------------------------------------------------------------


def capture_named(name: str) -> str:
    """A capture id from what the tester typed: a capture id, or a Paydesk payment reference
    (the order's custom_id)."""
    name = name.strip()
    if object_get(GATEWAY, "capture", name) is not None:
        return name
    order = object_find(GATEWAY, "order", name)
    for unit in order.data["purchase_units"] if order else []:
        for capture in unit.get("payments", {}).get("captures", []):
            return capture["id"]
    raise Refused("NOT_FOUND", f"No PayPal capture or payment {name!r} in the sandbox.")


@require_POST
def dashboard(request: HttpRequest) -> HttpResponse:
    """One press of the PayPal panel on the control page."""
    action = request.POST.get("action", "")
    try:
        if action == "decline_next_refund":
            decline_next_refund(True)
            messages.success(request, "PayPal will decline the next refund.")
            return redirect("sandbox:control")
        if action in ("hold_next_refund_completed", "hold_next_refund_failed"):
            then = action.removeprefix("hold_next_refund_").upper()
            hold_next_refund(then)
            messages.success(request, f"PayPal will hold the next refund, then {then.lower()}.")
            return redirect("sandbox:control")
        capture_id = capture_named(request.POST.get("capture", ""))
        if action == "refund":
            raw = request.POST.get("amount", "").strip()
            amount = None
            if raw:
                currency = _currency_of(capture_id)
                try:
                    amount = {"currency_code": currency, "value": f"{Decimal(raw):f}"}
                except InvalidOperation:
                    raise Refused("INVALID_AMOUNT", "That amount is not a number.") from None
            refund, _order = refund_make(capture_id, amount=amount)
            messages.success(
                request,
                f"PayPal refunded {refund['amount']['value']} "
                f"({refund['id']}) of capture {capture_id}.",
            )
        elif action == "dispute_open":
            messages.success(request, f"Dispute {dispute_open(capture_id)} opened.")
        elif action in ("dispute_withdraw", "dispute_lose", "dispute_win"):
            messages.success(request, dispute_move(capture_id, action.removeprefix("dispute_")))
        else:
            messages.error(request, "No such PayPal action.")
    except Refused as refused:
        messages.error(request, f"PayPal: {refused.issue}: {refused.description}")
    return redirect("sandbox:control")


def _currency_of(capture_id: str) -> str:
    with transaction.atomic():
        _order, capture = _locked_capture(capture_id)
    return capture["amount"]["currency_code"]
