"""The pretend Razorpay's refund API and its "dashboard": refunds made there, disputes and their
life, and the one-shot "fail the next refund" switch (refunds.py says what each does).

API (Basic auth, Razorpay's error shape, the fault switch, like views.py):
- POST /v1/payments/{id}/refund {amount?, speed, receipt, notes} with `X-Refund-Idempotency`;
- GET /v1/payments/{id}/refunds; GET /v1/refunds/{id}.
Dashboard: POST /dashboard/ (CSRF, from the switches page's Razorpay panel) with `action`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from paydesk.sandbox.core import json_body, sandbox_api
from paydesk.sandbox.razorpay import refunds
from paydesk.sandbox.razorpay.views import GATEWAY, _authenticated, _error, _unauthorized

IDEMPOTENCY_HEADER = "HTTP_X_REFUND_IDEMPOTENCY"


@sandbox_api(GATEWAY)
@require_POST
def payment_refund(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    body = json_body(request)
    if body is None:
        return _error(400, "The request body is not valid JSON.")
    key = request.META.get(IDEMPOTENCY_HEADER, "")
    if key and (len(key) < 10 or not key.replace("-", "").replace("_", "").isalnum()):
        return _error(400, "The idempotency key is invalid.")
    try:
        refund = refunds.refund_create(payment_id, body, idempotency_key=key)
    except refunds.Refused as refusal:
        return _error(400, refusal.description, field=refusal.field or None)
    if refund is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(refund)


@sandbox_api(GATEWAY)
@require_GET
def payment_refunds(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    items = refunds.payment_refunds(payment_id)
    return JsonResponse({"entity": "collection", "count": len(items), "items": items})


@sandbox_api(GATEWAY)
@require_GET
def refund_detail(request: HttpRequest, refund_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    refund = refunds.refund_get(refund_id)
    if refund is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(refund)


def _subunits(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


@require_POST
def dashboard(request: HttpRequest) -> HttpResponse:
    """One button of the Razorpay panel on /sandbox/."""
    action = request.POST.get("action", "")
    payment_id = request.POST.get("payment_id", "")
    dispute_id = request.POST.get("dispute_id", "")
    try:
        if action == "fail_next_refund":
            armed = request.POST.get("armed") == "1"
            refunds.fail_next_set(armed)
            messages.success(
                request, "The next Razorpay refund fails." if armed else "Refunds succeed again."
            )
        elif action == "slow_next_refund":
            armed = request.POST.get("armed") == "1"
            refunds.fail_next_set(armed, refunds.SLOW_NEXT)
            messages.success(
                request,
                "The next Razorpay refund is answered pending, then processed."
                if armed
                else "Refunds are answered processed again.",
            )
        elif action == "refund":
            amount = _subunits(request.POST.get("amount", ""))
            refund = refunds.refund_create(payment_id, {"amount": amount} if amount else {})
            if refund is None:
                raise refunds.Refused("No such payment.")
            messages.success(request, f"Razorpay refund {refund['id']}: {refund['status']}.")
        elif action in ("dispute", "dispute_deducted"):
            dispute = refunds.dispute_open(payment_id, deduct=action == "dispute_deducted")
            messages.success(request, f"Dispute {dispute['id']} opened on {payment_id}.")
        elif action in refunds.DISPUTE_MOVES:
            dispute = refunds.dispute_move(dispute_id, action)
            messages.success(request, f"Dispute {dispute['id']} is {dispute['status']}.")
        else:
            messages.error(request, "Unknown Razorpay action.")
    except refunds.Refused as refusal:
        messages.error(request, f"Razorpay refused: {refusal.description}")
    return redirect("sandbox:control")
