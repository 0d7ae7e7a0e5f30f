"""The pretend Paystack's refunds and disputes: `POST /refund`, `GET /refund` and
`GET /refund/{id}` as `paystack-openapi.yaml` describes them, and the dashboard (buttons on the
sandbox's switches page: sandbox/paystack/refunds_panel.html) that refunds a transaction and
plays a dispute's lifecycle as Paystack does, each step sending the signed webhook Paystack
sends.

A refund is created `pending` (what POST /refund answers) and processed at once: the sandbox
stores it `processed` (or `failed` when "Make the next refund fail" was pressed — the switch is
used up by that refund) and sends `refund.processed` / `refund.failed` in Paystack's documented
shape, which names the transaction by its reference and carries no
refund id. The list answers each refund with its `transaction` id and `merchant_note`.

Disputes: `charge.dispute.create` (status awaiting-merchant-feedback, `dueAt` in 7 days),
`charge.dispute.remind`, `charge.dispute.resolve` with `resolution` merchant-accepted (Paystack
then refunds the payer itself: a refund with `dispute` set and its refund.processed) or
declined. Paystack takes no money before the resolution, so there is no "funds withdrawn" step.

State: SandboxObject kinds "refund" and "dispute" (lookup = the transaction's reference), and
"switch" "refund_fails" — no new column, so no migration.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from paydesk.sandbox.core import (
    error,
    json_body,
    object_create,
    object_get,
    sandbox_api,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paystack.signing import SIGNATURE_HEADER
from paydesk.sandbox.paystack.views import (
    GATEWAY,
    KIND,
    _amount,
    _bad_request,
    _iso,
    _unauthorized,
    public,
    signature_for,
)

SWITCH = ("switch", "refund_fails")
INTEGRATION = 100_032


def _transaction(value: object) -> SandboxObject | None:
    """A transaction by its reference, or by its id (Paystack takes either)."""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        return None
    found = object_get(GATEWAY, KIND, str(value))
    if found is None and str(value).isdigit():
        found = SandboxObject.objects.filter(
            gateway=GATEWAY, kind=KIND, data__id=int(value)
        ).first()
    return found


def _refunds_of(reference: str) -> list[SandboxObject]:
    return list(
        SandboxObject.objects.filter(gateway=GATEWAY, kind="refund", lookup=reference).order_by(
            "id"
        )
    )


def _left(tx: dict[str, Any]) -> int:
    taken = sum(
        int(r.data["amount"])
        for r in _refunds_of(str(tx["reference"]))
        if r.data["status"] != "failed"
    )
    return int(tx.get("requested_amount") or tx["amount"]) - taken


def _send(kind: str, about: str, data: dict[str, Any]) -> None:
    body = json.dumps({"event": kind, "data": data}, separators=(",", ":")).encode()
    webhook_send(
        GATEWAY,
        about=about,
        event_type=kind,
        body=body,
        headers={SIGNATURE_HEADER: signature_for(body)},
    )


def _customer(tx: dict[str, Any]) -> dict[str, Any]:
    customer = dict(tx.get("customer") or {})
    return {
        **customer,
        "metadata": "",
        "phone": customer.get("phone") or "",  # a string in Fetch Refund's schema
        "first_name": customer.get("first_name") or "",
        "last_name": customer.get("last_name") or "",
        "international_format_phone": customer.get("international_format_phone") or "",
    }


def refund_make(
    tx: SandboxObject,
    *,
    amount: int,
    note: str,
    customer_note: str,
    by: str,
    dispute: int | None = None,
) -> dict[str, Any]:
    """Create one refund of `tx`, processed (or failed, by the switch), its webhooks sent after
    commit; the refund as POST /refund answers it (still pending)."""
    data = tx.data
    fails = False
    switch = object_get(GATEWAY, *SWITCH)
    if dispute is None and switch is not None and switch.data.get("on"):
        fails = True
        SandboxObject.objects.filter(pk=switch.pk).update(data={"on": False})
    now = _iso(timezone.now())
    refund_id = 20_000_000 + secrets.randbelow(900_000_000)
    refund = {
        "integration": INTEGRATION,
        "transaction": data["id"],
        "dispute": dispute,
        "settlement": None,
        "id": refund_id,
        "domain": "test",
        "currency": data["currency"],
        "amount": amount,
        "status": "failed" if fails else "processed",
        "refunded_at": None if fails else now,
        "refunded_by": by,
        "customer_note": customer_note,
        "merchant_note": note,
        "deducted_amount": 0 if fails else amount,
        "fully_deducted": 0 if fails else 1,
        "createdAt": now,
        "bank_reference": None,
        "transaction_reference": data["reference"],
        "reason": "Refund could not be processed" if fails else "",
        "customer": _customer(data),
        "refund_type": "full" if amount == int(data["amount"]) else "partial",
        "transaction_amount": int(data["amount"]),
        "initiated_by": by,
        "refund_channel": str(data.get("channel") or "card"),
        "session_id": None,
        "collect_account_number": False,
    }
    object_create(GATEWAY, "refund", str(refund_id), refund, lookup=str(data["reference"]))
    told = {
        "status": "pending",
        "transaction_reference": data["reference"],
        "refund_reference": None,
        "amount": str(amount),
        "currency": data["currency"],
        "processor": "mpgs_zen",
        "customer": {"first_name": None, "last_name": None, "email": data["customer"]["email"]},
        "integration": INTEGRATION,
        "domain": "test",
    }
    final = {**told, "refund_reference": "RFD_" + secrets.token_hex(6)}
    if fails:
        _send(
            "refund.failed", str(data["reference"]), {**final, "status": "failed", "amount": amount}
        )
    else:
        _send("refund.processed", str(data["reference"]), {**final, "status": "processed"})
    return {**refund, "status": "pending", "refunded_at": None}


@sandbox_api(GATEWAY, auth=_unauthorized)
@require_http_methods(["GET", "POST"])
def refunds(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _list(request)
    body = json_body(request)
    if body is None:
        return _bad_request("Invalid request body: send a JSON object")
    tx = _transaction(body.get("transaction"))
    if tx is None:
        return _bad_request("Transaction not found", code="transaction_not_found")
    if tx.data["status"] != "success":
        return _bad_request("Cannot refund a transaction that was not successful")
    amount = _amount(body.get("amount", _left(tx.data)))
    if amount is None:
        return _bad_request("Invalid Amount Sent")
    if body.get("currency", tx.data["currency"]) != tx.data["currency"]:
        return _bad_request("Currency does not match the transaction's")
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=tx.pk)
        if amount > _left(locked.data):
            return _bad_request("Refund amount cannot be more than the unrefunded balance")
        made = refund_make(
            locked,
            amount=amount,
            note=str(body.get("merchant_note") or ""),
            customer_note=str(body.get("customer_note") or ""),
            by="api",
        )
    tx_public = public(tx.data)
    shown = {
        **made,
        "transaction": {
            **tx_public,
            "authorization": {
                "exp_month": None,
                "exp_year": None,
                "account_name": None,
                **tx_public["authorization"],
            },
            "customer": {"international_format_phone": None, **tx_public["customer"]},
            "subaccount": {"currency": None},
            "split": tx_public.get("split") or {},
            "plan": {},
        },
        "channel": None,
        "expected_at": made["createdAt"],
        "fully_deducted": False,
        "updatedAt": made["createdAt"],
    }
    for key in (
        "dispute",
        "settlement",
        "refunded_at",
        "bank_reference",
        "transaction_reference",
        "reason",
        "customer",
        "refund_type",
        "transaction_amount",
        "initiated_by",
        "refund_channel",
        "session_id",
        "collect_account_number",
    ):
        shown.pop(key, None)
    return JsonResponse(
        {"status": True, "message": "Refund has been queued for processing", "data": shown}
    )


@sandbox_api(GATEWAY, auth=_unauthorized)
@require_http_methods(["GET"])
def refund_fetch(request: HttpRequest, refund_id: str) -> HttpResponse:
    """`GET /refund/{id}` (Fetch Refund): the refund as it stands now."""
    found = object_get(GATEWAY, "refund", refund_id)
    if found is None:
        return error(404, {"status": False, "message": "Refund not found"})
    return JsonResponse({"status": True, "message": "Refund retrieved", "data": found.data})


def _list(request: HttpRequest) -> HttpResponse:
    rows = SandboxObject.objects.filter(gateway=GATEWAY, kind="refund").order_by("-id")
    wanted = request.GET.get("transaction", "")
    if wanted:
        rows = rows.filter(data__transaction=int(wanted) if wanted.isdigit() else -1)
    try:
        per_page = max(1, min(int(request.GET.get("perPage", "50")), 100))
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return error(400, {"status": False, "message": "perPage and page are numbers"})
    total = rows.count()
    shown = [r.data for r in rows[(page - 1) * per_page : page * per_page]]
    return JsonResponse(
        {
            "status": True,
            "message": "Refunds retrieved",
            "data": shown,
            "meta": {
                "total": total,
                "skipped": (page - 1) * per_page,
                "perPage": str(per_page),
                "page": page,
                "pageCount": max(1, -(-total // per_page)),
                "failedRefundCount": rows.filter(data__status="failed").count(),
            },
        }
    )


# --- the dashboard: buttons on the switches page ---------------------------------------------


def _dispute_of(reference: str) -> SandboxObject | None:
    return (
        SandboxObject.objects.filter(gateway=GATEWAY, kind="dispute", lookup=reference)
        .order_by("-id")
        .first()
    )


def _dispute_send(kind: str, dispute: dict[str, Any]) -> None:
    _send(kind, str(dispute["transaction"]["reference"]), dispute)


def dispute_open(tx: SandboxObject, amount: int) -> dict[str, Any]:
    now = timezone.now()
    data = tx.data
    dispute = {
        "id": 3_000_000 + secrets.randbelow(900_000),
        "refund_amount": amount,
        "currency": data["currency"],
        "status": "awaiting-merchant-feedback",
        "resolution": None,
        "domain": "test",
        "transaction": {
            key: data[key]
            for key in (
                "id",
                "domain",
                "status",
                "reference",
                "amount",
                "currency",
                "channel",
                "paid_at",
            )
        },
        "transaction_reference": None,
        "category": "chargeback",
        "customer": {"email": data["customer"]["email"]},
        "bin": "408408",
        "last4": "4081",
        "dueAt": _iso(now + timedelta(days=7)),
        "resolvedAt": None,
        "evidence": None,
        "attachments": None,
        "note": None,
        "history": [],
        "messages": [],
        "createdAt": _iso(now),
        "updatedAt": _iso(now),
    }
    object_create(GATEWAY, "dispute", str(dispute["id"]), dispute, lookup=str(data["reference"]))
    _dispute_send("charge.dispute.create", dispute)
    return dispute


def dispute_step(tx: SandboxObject, step: str) -> str:
    """remind, accept (the merchant accepts: lost, Paystack refunds the payer) or decline (won);
    what happened, for the page."""
    found = _dispute_of(str(tx.data["reference"]))
    if found is None or found.data.get("resolution"):
        return "No open dispute on this transaction."
    dispute = dict(found.data)
    dispute["updatedAt"] = _iso(timezone.now())
    if step == "remind":
        _dispute_send("charge.dispute.remind", dispute)
        return f"Dispute {dispute['id']}: reminder sent."
    resolution = "merchant-accepted" if step == "accept" else "declined"
    dispute.update(status="resolved", resolution=resolution, resolvedAt=dispute["updatedAt"])
    SandboxObject.objects.filter(pk=found.pk).update(data=dispute)
    _dispute_send("charge.dispute.resolve", dispute)
    if resolution == "merchant-accepted":
        refund_make(
            tx,
            amount=int(dispute["refund_amount"]),
            note="",
            customer_note="Dispute",
            by="dispute",
            dispute=int(dispute["id"]),
        )
    return f"Dispute {dispute['id']} resolved: {resolution}."


@require_POST
def dashboard(request: HttpRequest) -> HttpResponse:
    """One press of a Paystack button on the switches page."""
    action = request.POST.get("paystack_action", "")
    if action == "refund_fails":
        switch = object_get(GATEWAY, *SWITCH)
        if switch is None:
            object_create(GATEWAY, *SWITCH, {"on": True})
        else:
            SandboxObject.objects.filter(pk=switch.pk).update(data={"on": True})
        messages.success(request, "Paystack: the next refund will fail.")
        return redirect("sandbox:control")
    tx = _transaction(request.POST.get("reference", "").strip())
    if tx is None or tx.data["status"] != "success":
        messages.error(request, "Paystack: no paid transaction with that reference.")
        return redirect("sandbox:control")
    raw = request.POST.get("amount", "").strip()
    with transaction.atomic():
        tx = SandboxObject.objects.select_for_update().get(pk=tx.pk)
        amount = _amount(raw) if raw else _left(tx.data)
        if action in ("refund", "dispute") and (amount is None or amount > _left(tx.data)):
            messages.error(request, "Paystack: the amount (in subunits) is more than is left.")
        elif action == "refund" and amount is not None:
            made = refund_make(tx, amount=amount, note="", customer_note="", by="dashboard")
            messages.success(request, f"Paystack: refund {made['id']} made at the dashboard.")
        elif action == "dispute" and amount is not None:
            messages.success(request, f"Paystack: dispute {dispute_open(tx, amount)['id']} opened.")
        elif action in ("remind", "accept", "decline"):
            messages.success(request, f"Paystack: {dispute_step(tx, action)}")
        else:
            messages.error(request, "Paystack: no such button.")
    return redirect("sandbox:control")
