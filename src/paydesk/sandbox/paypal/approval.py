"""PayPal's hosted approval page, `/checkoutnow?token=<order id>`: the buyer approves (→
return_url?token=…&PayerID=…, webhook CHECKOUT.ORDER.APPROVED) or cancels (→
cancel_url?token=…). Two sandbox-only buttons approve an order whose capture will then be
DECLINED, or held PENDING."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import object_get, return_to
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal.common import GATEWAY, account_id, order_answer, send

APPROVALS = {
    "approve": "complete",
    "approve_decline": "decline",
    "approve_pending": "pending",
}


@require_http_methods(["GET", "POST"])
def checkoutnow(request: HttpRequest) -> HttpResponse:
    """PayPal's hosted approval page for the order named by `token`."""
    order_id = (request.GET.get("token") or "")[:40]
    obj = object_get(GATEWAY, "order", order_id) if order_id else None
    if obj is None:
        return render(request, "sandbox/paypal/checkout.html", {"missing": True}, status=404)
    private = obj.data["_sandbox"]
    waiting = obj.data["status"] in ("CREATED", "PAYER_ACTION_REQUIRED")
    if request.method == "POST" and waiting:
        action = request.POST.get("action", "")
        if action == "cancel":
            if private.get("cancel_url"):
                return redirect(return_to(private["cancel_url"], token=order_id))
        elif action in APPROVALS:
            obj = _approve(obj, APPROVALS[action])
            if obj.data["_sandbox"].get("return_url"):
                return redirect(
                    return_to(
                        obj.data["_sandbox"]["return_url"],
                        token=order_id,
                        PayerID=obj.data["payer"]["payer_id"],
                    )
                )
    unit = obj.data["purchase_units"][0]
    return render(
        request,
        "sandbox/paypal/checkout.html",
        {
            "order_id": order_id,
            "status": obj.data["status"],
            "waiting": obj.data["status"] in ("CREATED", "PAYER_ACTION_REQUIRED"),
            "amount": unit["amount"],
            "description": unit.get("description", ""),
            "app_id": private.get("app_id", ""),
        },
    )


def _approve(obj: SandboxObject, behaviour: str) -> SandboxObject:
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=obj.pk)
        data = locked.data
        if data["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            return locked  # approved meanwhile (a double click): once
        payer_id = account_id()
        data["status"] = "APPROVED"
        data["payer"] = {
            "name": {"given_name": "Sandbox", "surname": "Buyer"},
            "email_address": "buyer@paydesk.invalid",
            "payer_id": payer_id,
            "address": {"country_code": "US"},
        }
        data["payment_source"] = {
            "paypal": {
                "email_address": "buyer@paydesk.invalid",
                "account_id": payer_id,
                "account_status": "VERIFIED",
                "name": {"given_name": "Sandbox", "surname": "Buyer"},
            }
        }
        data["_sandbox"]["approval"] = behaviour
        locked.data = data
        locked.updated_at = timezone.now()
        locked.save(update_fields=["data", "updated_at"])
        send(
            locked.object_id,
            "CHECKOUT.ORDER.APPROVED",
            "checkout-order",
            "An order has been approved by buyer",
            order_answer(locked),
        )
    return locked
