"""The Stripe panel of the sandbox's switches page (/sandbox/): "the next refund fails", "the next
detach fails" (a saved method's `POST /v1/payment_methods/{id}/detach` answers HTTP 500, before
or after detaching it, or HTTP 429), "the next PaymentIntent creation answers HTTP 429" (rate
limited, nothing created), "the next GET of a PaymentMethod" (HTTP 429 or 500), and per
succeeded payment a refund from the Dashboard, and a dispute's whole lifecycle (open or inquiry,
submit evidence, lose, win). Included in control.html as sandbox/stripe/refunds_panel.html; its
buttons post here and come back to the switches page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import GATEWAY, PRIVATE, REFERENCE_KEY, stripe_exponent
from paydesk.sandbox.stripe.intents import (
    intent_create_answer_lost_armed,
    intent_create_answer_lost_set,
    intent_create_rate_limit_armed,
    intent_create_rate_limit_set,
)
from paydesk.sandbox.stripe.returns import (
    DISPUTE_REASONS,
    dispute_move,
    dispute_open,
    refund_failure_armed,
    refund_failure_set,
    refund_later_armed,
    refund_later_set,
    refund_make,
)
from paydesk.sandbox.stripe.vault import (
    DETACH_FAILURES,
    GET_FAILURES,
    detach_failure_armed,
    detach_failure_set,
    method_get_failure_armed,
    method_get_failure_set,
)

SHOWN = 10


def _text(units: int, currency: str) -> str:
    exponent = stripe_exponent(currency)
    return f"{Decimal(units).scaleb(-exponent):.{exponent}f} {currency.upper()}"


def panel_context() -> dict[str, Any]:
    """The last succeeded intents, with what was refunded and their dispute, for the panel."""
    intents = SandboxObject.objects.filter(
        gateway=GATEWAY, kind="payment_intent", data__status="succeeded"
    ).order_by("-id")[:SHOWN]
    rows = []
    for obj in intents:
        intent = obj.data
        private = intent.get(PRIVATE, {})
        dispute = object_get(GATEWAY, "dispute", private.get("dispute", ""))
        rows.append(
            {
                "id": intent["id"],
                "reference": intent.get("metadata", {}).get(REFERENCE_KEY, ""),
                "amount": _text(intent["amount_received"], intent["currency"]),
                "refunded": _text(int(private.get("refunded", 0)), intent["currency"]),
                "dispute": dispute.data if dispute else None,
            }
        )
    return {
        "rows": rows,
        "fails": refund_failure_armed(),
        "later": refund_later_armed(),
        "detach_fails": detach_failure_armed(),
        "detach_failures": DETACH_FAILURES.items(),
        "intent_rate_limited": intent_create_rate_limit_armed(),
        "intent_answer_lost": intent_create_answer_lost_armed(),
        "method_get_fails": method_get_failure_armed(),
        "method_get_failures": GET_FAILURES.items(),
        "reasons": DISPUTE_REASONS,
    }


def _minor_units(text: str, currency: str) -> int | None:
    """'12.50' → 1250 (usd); None for anything that is not a whole number of minor units > 0."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    units = amount.scaleb(stripe_exponent(currency))
    if not amount.is_finite() or units <= 0 or units != units.to_integral_value():
        return None
    return int(units)


@require_POST
def panel_action(request: HttpRequest) -> HttpResponse:
    """One press of a Stripe panel button."""
    action = request.POST.get("action", "")
    if action == "refund_fails":
        refund_failure_set(request.POST.get("refund_fails") == "on")
        messages.success(request, "Stripe: refund switch saved.")
        return redirect("sandbox:control")
    if action == "refund_later":
        refund_later_set(request.POST.get("refund_later") == "on")
        messages.success(request, "Stripe: refund switch saved.")
        return redirect("sandbox:control")
    if action == "detach_fails":
        detach_failure_set(request.POST.get("detach_fails", ""))
        messages.success(request, "Stripe: detach switch saved.")
        return redirect("sandbox:control")
    if action == "intent_rate_limited":
        intent_create_rate_limit_set(request.POST.get("intent_rate_limited") == "on")
        messages.success(request, "Stripe: PaymentIntent creation switch saved.")
        return redirect("sandbox:control")
    if action == "intent_answer_lost":
        intent_create_answer_lost_set(request.POST.get("intent_answer_lost") == "on")
        messages.success(request, "Stripe: PaymentIntent creation switch saved.")
        return redirect("sandbox:control")
    if action == "method_get_fails":
        method_get_failure_set(request.POST.get("method_get_fails", ""))
        messages.success(request, "Stripe: PaymentMethod GET switch saved.")
        return redirect("sandbox:control")
    intent_obj = object_get(GATEWAY, "payment_intent", request.POST.get("intent", ""))
    if intent_obj is None:
        messages.error(request, "Stripe: no such PaymentIntent.")
        return redirect("sandbox:control")
    if action == "dashboard_refund":
        given = request.POST.get("amount", "").strip()
        units = _minor_units(given, intent_obj.data["currency"]) if given else None
        if given and units is None:
            messages.error(request, f"Stripe: '{given[:20]}' is not an amount to refund.")
            return redirect("sandbox:control")
        refund, refusal = refund_make(
            intent_obj, units, metadata={}, reason="requested_by_customer"
        )
        if refusal is not None:
            messages.error(request, f"Stripe refused: {refusal.content.decode()[:200]}")
        elif refund is not None:
            messages.success(request, f"Stripe: refund {refund['id']} made from the Dashboard.")
    elif action in ("dispute", "inquiry"):
        dispute_id = dispute_open(
            intent_obj, reason=request.POST.get("reason", ""), inquiry=action == "inquiry"
        )
        note = f"opened {dispute_id}" if dispute_id else "this charge cannot be disputed"
        messages.success(request, f"Stripe: {note}.")
    elif action in ("evidence", "lose", "win"):
        dispute_id = intent_obj.data.get(PRIVATE, {}).get("dispute", "")
        status = dispute_move(dispute_id, action)
        messages.success(request, f"Stripe: dispute {status or 'unchanged'}.")
    return redirect("sandbox:control")
