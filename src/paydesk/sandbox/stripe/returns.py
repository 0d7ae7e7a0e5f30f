"""Stripe refunds and disputes, played offline.

- `POST /v1/refunds` (secret key, form-encoded, `Idempotency-Key` honoured): `payment_intent` (or
  `charge`), optional `amount` (default: all that is left), `reason`, `metadata[…]`. Checks as
  Stripe does: the intent must have succeeded, the amount fit what is left
  (`amount_too_large`), a fully refunded charge says `charge_already_refunded`, a disputed one
  `charge_disputed`. A card refund `succeeded` at once; sends `refund.created` and
  `charge.refunded` (the charge without its refunds list, as API versions since 2022-11-15).
- The switch "the next refund fails" (kept as a sandbox object, so no migration): that refund is
  answered `pending`, then fails as Stripe documents failed refunds: `refund.updated` and
  `refund.failed` with `status: failed`, `failure_reason: declined`; the money is back on the
  charge.
- The switch "the next refund is answered pending, then succeeds": that refund is answered
  `pending` and succeeds right after (`refund.updated`, `status: succeeded`) — with webhooks
  dropped, the refund Paydesk was told is pending has succeeded at Stripe.
- `GET /v1/refunds?payment_intent=…` (secret key): the intent's refunds, newest first, paged by
  `limit` (1–100) and `starting_after`, with `has_more`.
- `GET /v1/refunds/{id}` (secret key): the Refund as it stands now (`resource_missing`, 404,
  for an id it never made).
- Refund from the Dashboard: the same refund with no metadata, no key (the merchant clicked it).
- Disputes: open (`charge.dispute.created` with `needs_response` and an evidence deadline seven
  days on, then `charge.dispute.funds_withdrawn`: Stripe takes the money at once), submit evidence
  (`under_review`, `charge.dispute.updated`), lose (`lost`, `charge.dispute.closed`), win (`won`,
  `charge.dispute.funds_reinstated` then `charge.dispute.closed`); an inquiry opens with
  `warning_needs_response` and no money moves, and closes as `warning_closed`.

Each webhook is signed as Stripe signs (signing.py via views.signed_headers), never with
Paydesk's code.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import (
    new_id,
    object_create,
    object_get,
    object_must,
    object_update,
    sandbox_api,
)
from paydesk.sandbox.core import webhook_send as _webhook_send
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import (
    GATEWAY,
    PRIVATE,
    WEBHOOK_API_VERSION,
    _error,
    _idempotent,
    _public,
    _remember,
    _unauthorized,
    list_limit,
    one_shot_armed,
    one_shot_set,
    signed_headers,
)

REFUND_FAILS = "refund_fails"  # the switch's object id (kind "switch")
REFUND_LATER = "refund_later"  # "the next refund is answered pending, then succeeds"
REASONS = ("duplicate", "fraudulent", "requested_by_customer")
DISPUTE_REASONS = ("fraudulent", "product_not_received", "duplicate", "credit_not_processed")
EVIDENCE_DAYS = 7


# --- the switch ---------------------------------------------------------------------------------


def refund_failure_set(on: bool) -> None:
    """Arm (or disarm) "the next refund fails"."""
    one_shot_set(REFUND_FAILS, on)


def refund_failure_armed() -> bool:
    return one_shot_armed(REFUND_FAILS)


def refund_later_set(on: bool) -> None:
    """Arm (or disarm) "the next refund is answered pending, then succeeds"."""
    one_shot_set(REFUND_LATER, on)


def refund_later_armed() -> bool:
    return one_shot_armed(REFUND_LATER)


# --- sending ------------------------------------------------------------------------------------


def send(event_type: str, obj: dict[str, Any], *, about: str) -> None:
    """A Stripe event about `obj` (a refund, charge or dispute), signed `t=…,v1=…`."""
    event = {
        "id": new_id("evt_", 24),
        "object": "event",
        "api_version": WEBHOOK_API_VERSION,
        "created": int(time.time()),
        "data": {"object": _public(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    body = json.dumps(event).encode()
    _webhook_send(
        GATEWAY, about=about, event_type=event_type, body=body, headers=signed_headers(body)
    )


def charge_of(intent: dict[str, Any]) -> dict[str, Any]:
    """The charge of a succeeded intent, as Stripe shows it (refunds and disputes counted)."""
    private = intent.get(PRIVATE, {})
    refunded = int(private.get("refunded", 0))
    return {
        "id": intent.get("latest_charge"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount_received"],
        "amount_refunded": refunded,
        "captured": True,
        "currency": intent["currency"],
        "disputed": bool(private.get("dispute")),
        "livemode": False,
        "metadata": intent.get("metadata", {}),
        "paid": True,
        "payment_intent": intent["id"],
        "refunded": refunded >= intent["amount_received"],
        "status": "succeeded",
    }


# --- refunds ------------------------------------------------------------------------------------


def _intent_for(form: Any) -> SandboxObject | None:
    intent_id = form.get("payment_intent", "")
    if intent_id:
        return object_get(GATEWAY, "payment_intent", intent_id)
    charge = form.get("charge", "")
    if not charge:
        return None
    found = SandboxObject.objects.filter(
        gateway=GATEWAY, kind="payment_intent", data__latest_charge=charge
    ).first()
    return found


def refund_make(
    intent_obj: SandboxObject, amount: int | None, *, metadata: dict[str, str], reason: str | None
) -> tuple[dict[str, Any] | None, JsonResponse | None]:
    """Refund `amount` (all that is left when None) of a succeeded intent: the Refund, or
    Stripe's error answer. Its webhooks go once it is committed."""
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=intent_obj.pk)
        return _refund_locked(locked, amount, metadata=metadata, reason=reason)


def _refund_locked(
    intent_obj: SandboxObject, amount: int | None, *, metadata: dict[str, str], reason: str | None
) -> tuple[dict[str, Any] | None, JsonResponse | None]:
    intent = intent_obj.data
    charge = intent.get("latest_charge") or ""
    if intent.get("status") != "succeeded" or not charge:
        return None, _error(
            400,
            type_="invalid_request_error",
            code="charge_not_refundable",
            message=f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
            "refund.",
        )
    private = intent.get(PRIVATE, {})
    if private.get("dispute"):
        return None, _error(
            400,
            type_="invalid_request_error",
            code="charge_disputed",
            message=f"Charge {charge} has been charged back; cannot issue a refund.",
        )
    left = intent["amount_received"] - int(private.get("refunded", 0))
    if left <= 0:
        return None, _error(
            400,
            type_="invalid_request_error",
            code="charge_already_refunded",
            message=f"Charge {charge} has already been refunded.",
        )
    amount = left if amount is None else amount
    if amount > left:
        return None, _error(
            400,
            type_="invalid_request_error",
            code="amount_too_large",
            param="amount",
            message=f"Refund amount ({amount} {intent['currency']}) is greater than unrefunded "
            f"amount on charge ({left} {intent['currency']})",
        )
    fails = refund_failure_armed()
    later = not fails and refund_later_armed()
    refund = {
        "id": new_id("re_", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_", 24),
        "charge": charge,
        "created": int(time.time()),
        "currency": intent["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": metadata,
        "payment_intent": intent["id"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "pending" if fails or later else "succeeded",
        "transfer_reversal": None,
    }
    if fails or later:
        refund["pending_reason"] = "processing"
        one_shot_set(REFUND_FAILS if fails else REFUND_LATER, False)  # the next works again
    object_create(GATEWAY, "refund", refund["id"], refund, lookup=intent["id"])
    refunded = int(private.get("refunded", 0)) + amount
    intent_obj.data = {**intent, PRIVATE: {**private, "refunded": refunded}}
    intent_obj.save(update_fields=["data"])
    send("refund.created", refund, about=intent["id"])
    send("charge.refunded", charge_of(intent_obj.data), about=intent["id"])
    if fails:
        _refund_fail(intent_obj, refund)
    elif later:
        succeeded = object_update(
            object_must(GATEWAY, "refund", refund["id"]), status="succeeded", pending_reason=None
        ).data
        send("refund.updated", succeeded, about=intent["id"])
    return refund, None


def _refund_fail(intent_obj: SandboxObject, refund: dict[str, Any]) -> None:
    """The bank refused the refund: failed, and the money is back on the charge."""
    failed = object_update(
        object_must(GATEWAY, "refund", refund["id"]),
        status="failed",
        failure_reason="declined",
        failure_balance_transaction=new_id("txn_", 24),
        pending_reason=None,
    ).data
    intent_obj.refresh_from_db()
    private = intent_obj.data.get(PRIVATE, {})
    back = int(private.get("refunded", 0)) - refund["amount"]
    object_update(intent_obj, **{PRIVATE: {**private, "refunded": back}})
    send("refund.updated", failed, about=refund["payment_intent"])
    send("refund.failed", failed, about=refund["payment_intent"])


@sandbox_api(GATEWAY)
@require_http_methods(["GET", "POST"])
def refunds(request: HttpRequest) -> HttpResponse:
    """`POST /v1/refunds`; `GET /v1/refunds` lists them."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _refund_list(request)
    form = request.POST
    amount_text = form.get("amount", "")
    if amount_text and (not amount_text.isdigit() or int(amount_text) < 1):
        return _error(
            400,
            type_="invalid_request_error",
            code="parameter_invalid_integer",
            param="amount",
            message=f"Invalid positive integer: {amount_text[:20]}",
        )
    reason = form.get("reason") or None
    if reason is not None and reason not in REASONS:
        return _error(
            400,
            type_="invalid_request_error",
            param="reason",
            message=f"Invalid reason: must be one of {', '.join(REASONS)}",
        )
    intent_obj = _intent_for(form)
    if intent_obj is None:
        named = form.get("payment_intent") or form.get("charge") or ""
        return _error(
            400 if not named else 404,
            type_="invalid_request_error",
            code="resource_missing" if named else "parameter_missing",
            param="payment_intent",
            message=f"No such payment_intent: '{named[:60]}'"
            if named
            else "One of the following params should be provided for this request: "
            "payment_intent or charge.",
        )
    record, replay = _idempotent(request)
    if replay is not None:
        return replay
    metadata = {
        key[len("metadata[") : -1]: str(value)
        for key, value in form.items()
        if key.startswith("metadata[") and key.endswith("]")
    }
    refund, refusal = refund_make(
        intent_obj, int(amount_text) if amount_text else None, metadata=metadata, reason=reason
    )
    answer = refusal if refusal is not None else JsonResponse(_public(refund or {}))
    return _remember(record, answer)


def _refund_list(request: HttpRequest) -> HttpResponse:
    """`GET /v1/refunds?payment_intent=…&limit=…&starting_after=…`: a list object of the
    refunds, newest first (`data`, `has_more`, `url`), as Stripe pages a list."""
    query = request.GET
    limit, refusal = list_limit(request)
    if refusal is not None:
        return refusal
    found = SandboxObject.objects.filter(gateway=GATEWAY, kind="refund").order_by("-id")
    if query.get("payment_intent"):
        found = found.filter(lookup=query["payment_intent"])
    after = query.get("starting_after", "")
    if after:
        cursor = found.filter(object_id=after).first()
        if cursor is None:
            return _error(
                400,
                type_="invalid_request_error",
                code="resource_missing",
                param="starting_after",
                message=f"No such refund: '{after[:60]}'",
            )
        found = found.filter(id__lt=cursor.id)
    page = list(found[: limit + 1])
    items = [_public(obj.data) for obj in page[:limit]]
    return JsonResponse(
        {"object": "list", "data": items, "has_more": len(page) > len(items), "url": "/v1/refunds"}
    )


@sandbox_api(GATEWAY)
@require_http_methods(["GET"])
def refund_retrieve(request: HttpRequest, refund_id: str) -> HttpResponse:
    """`GET /v1/refunds/{id}`: the Refund as it stands now."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    found = object_get(GATEWAY, "refund", refund_id)
    if found is None:
        return _error(
            404,
            type_="invalid_request_error",
            code="resource_missing",
            param="id",
            message=f"No such refund: '{refund_id[:60]}'",
        )
    return JsonResponse(_public(found.data))


# --- disputes -----------------------------------------------------------------------------------


def dispute_open(intent_obj: SandboxObject, *, reason: str, inquiry: bool = False) -> str:
    """The cardholder disputes the charge (an inquiry when `inquiry`): the dispute's id, or ''
    when the charge cannot be disputed (not succeeded, already disputed)."""
    intent = intent_obj.data
    private = intent.get(PRIVATE, {})
    if intent.get("status") != "succeeded" or private.get("dispute"):
        return ""
    now = int(time.time())
    withdrawn = (
        []
        if inquiry
        else [
            {"id": new_id("txn_", 24), "type": "adjustment", "amount": -intent["amount_received"]}
        ]
    )
    dispute = {
        "id": new_id("dp_", 24),
        "object": "dispute",
        "amount": intent["amount_received"],
        "balance_transactions": withdrawn,
        "charge": intent["latest_charge"],
        "created": now,
        "currency": intent["currency"],
        "evidence_details": {
            "due_by": now + EVIDENCE_DAYS * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "payment_intent": intent["id"],
        "reason": reason if reason in DISPUTE_REASONS else "general",
        "status": "warning_needs_response" if inquiry else "needs_response",
    }
    object_create(GATEWAY, "dispute", dispute["id"], dispute, lookup=intent["id"])
    object_update(intent_obj, **{PRIVATE: {**private, "dispute": dispute["id"]}})
    send("charge.dispute.created", dispute, about=intent["id"])
    if not inquiry:
        send("charge.dispute.funds_withdrawn", dispute, about=intent["id"])
    return dispute["id"]


def dispute_move(dispute_id: str, action: str) -> str:
    """Move a dispute: `evidence`, `lose`, `win` (an inquiry: `win` or `lose` closes it as
    `warning_closed`). Its new status, or '' when it cannot move so."""
    obj = object_get(GATEWAY, "dispute", dispute_id)
    if obj is None or obj.data["status"] in ("won", "lost", "warning_closed"):
        return ""
    dispute = obj.data
    inquiry = dispute["status"].startswith("warning_")
    intent = dispute["payment_intent"]
    if action == "evidence":
        evidence = {**dispute["evidence_details"], "has_evidence": True, "submission_count": 1}
        status = "warning_under_review" if inquiry else "under_review"
        obj = object_update(obj, status=status, evidence_details=evidence)
        send("charge.dispute.updated", obj.data, about=intent)
        return status
    if action not in ("lose", "win"):
        return ""
    if inquiry:
        obj = object_update(obj, status="warning_closed")
    elif action == "lose":
        obj = object_update(obj, status="lost", is_charge_refundable=False)
    else:
        reinstated = {"id": new_id("txn_", 24), "type": "adjustment", "amount": dispute["amount"]}
        obj = object_update(
            obj, status="won", balance_transactions=[*dispute["balance_transactions"], reinstated]
        )
        send("charge.dispute.funds_reinstated", obj.data, about=intent)
    send("charge.dispute.closed", obj.data, about=intent)
    return obj.data["status"]
