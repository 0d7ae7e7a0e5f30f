"""The pretend PayPal's Orders v2 endpoints Paydesk's client calls (same paths, JSON and error
shapes as api-m.paypal.com; the bearer token from oauth.py), and the capture webhooks.

- `POST /v2/checkout/orders`: intent CAPTURE, purchase units with amounts as decimal strings
  (HUF, JPY, TWD without decimals → 422 DECIMALS_NOT_SUPPORTED); `PayPal-Request-Id` makes it
  idempotent (the same id answers the same order, 200), and is required with a
  `payment_source` (400 PAYPAL_REQUEST_ID_REQUIRED without one). Answers the order
  PAYER_ACTION_REQUIRED with its `payer-action` link to the approval page (approval.py).
- `GET /v2/checkout/orders/{id}` (404 RESOURCE_NOT_FOUND); `POST …/{id}/capture`: an order not
  approved → 422 ORDER_NOT_APPROVED; captured already → the same order, 200 OK as Orders v2
  answers a retry, for the same `PayPal-Request-Id`, else 422 ORDER_ALREADY_CAPTURED.
- Answers and error details (issue descriptions included) as PayPal's official OpenAPI files
  describe them: tests/online/test_paypal_contract.py validates them.
- Capturing sends PAYMENT.CAPTURE.COMPLETED (or, for a declined capture, DENIED — DECLINED as
  PayPal documents it with the `paypal_declined_event` switch — or PENDING), signed like
  PayPal's (signing.py, on `cryptography` alone).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from paydesk.sandbox.core import object_create, object_get, object_must, sandbox_api, switch_on
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal.common import (
    CURRENCIES,
    GATEWAY,
    MERCHANT_ID,
    NO_DECIMALS,
    VALUE,
    now_text,
    order_answer,
    paypal_id,
    problem,
    request_id_refusal,
    request_key,
    round_half_up,
    send,
)
from paydesk.sandbox.paypal.oauth import apps, authorized, caller_client_id

# --- orders --------------------------------------------------------------------------------


def _unit_problem(index: int, unit: Any) -> JsonResponse | None:
    where = f"/purchase_units/{index}"
    if not isinstance(unit, dict):
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            where,
        )
    amount = unit.get("amount")
    if not isinstance(amount, dict) or "value" not in amount or "currency_code" not in amount:
        return problem(
            400,
            "INVALID_REQUEST",
            "MISSING_REQUIRED_PARAMETER",
            "A required parameter is missing.",
            f"{where}/amount",
        )
    currency, value = amount["currency_code"], amount["value"]
    if not isinstance(value, str) or not VALUE.match(value):
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            f"{where}/amount/value",
        )
    if currency not in CURRENCIES:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "CURRENCY_NOT_SUPPORTED",
            "Currency code is not currently supported.",
            f"{where}/amount/currency_code",
        )
    decimals = len(value.partition(".")[2])
    if currency in NO_DECIMALS and decimals:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "DECIMALS_NOT_SUPPORTED",
            "Currency does not support decimals.",
            f"{where}/amount/value",
        )
    if decimals > 2:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "DECIMAL_PRECISION",
            "If the currency supports decimals, only two decimal place precision is supported.",
            f"{where}/amount/value",
        )
    if Decimal(value) <= 0:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "CANNOT_BE_ZERO_OR_NEGATIVE",
            "Must be greater than zero. If the currency supports decimals, only two decimal "
            "place precision is supported.",
            f"{where}/amount/value",
        )
    for key, limit in (
        ("reference_id", 256),
        ("custom_id", 127),
        ("invoice_id", 127),
        ("description", 127),
    ):
        if key in unit and (not isinstance(unit[key], str) or len(unit[key]) > limit):
            return problem(
                400,
                "INVALID_REQUEST",
                "INVALID_STRING_LENGTH",
                "The value of a field is either too short or too long",
                f"{where}/{key}",
            )
    return None


def _order_data(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    units = []
    for unit in body["purchase_units"]:
        units.append(
            {
                "reference_id": unit.get("reference_id") or "default",
                **{
                    key: unit[key]
                    for key in ("custom_id", "invoice_id", "description")
                    if key in unit
                },
                "amount": {
                    "currency_code": unit["amount"]["currency_code"],
                    "value": unit["amount"]["value"],
                },
                "payee": {
                    "email_address": "merchant@paydesk.invalid",
                    "merchant_id": MERCHANT_ID,
                },
            }
        )
    context: Any = body
    for key in ("payment_source", "paypal", "experience_context"):
        context = context.get(key) if isinstance(context, dict) else None
    context = context if isinstance(context, dict) else {}
    return {
        "intent": body["intent"],
        "status": "PAYER_ACTION_REQUIRED",
        "payment_source": {"paypal": {}},
        "purchase_units": units,
        "create_time": now_text(),
        "_sandbox": {
            "request_id": request_id,
            "return_url": str(context.get("return_url") or ""),
            "cancel_url": str(context.get("cancel_url") or ""),
        },
    }


@sandbox_api(GATEWAY, auth=authorized)
@require_POST
def orders(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body or b"", parse_float=Decimal)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return problem(
            400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."
        )
    if body.get("intent") != "CAPTURE":
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_VALUE",
            "A parameter value is not valid.",
            "/intent",
        )
    units = body.get("purchase_units")
    if not isinstance(units, list) or not 1 <= len(units) <= 10:
        return problem(
            400,
            "INVALID_REQUEST",
            "MISSING_REQUIRED_PARAMETER",
            "A required parameter is missing.",
            "/purchase_units",
        )
    for index, unit in enumerate(units):
        refused = _unit_problem(index, unit)
        if refused is not None:
            return refused
    request_id = request.headers.get("PayPal-Request-Id", "")
    if (refused := request_id_refusal(request_id)) is not None:
        return refused
    if "payment_source" in body and not request_id:
        return problem(
            400,
            "INVALID_REQUEST",
            "PAYPAL_REQUEST_ID_REQUIRED",
            "A PayPal-Request-Id is required if you are trying to process payment for an Order. "
            "Please specify a PayPal-Request-Id or Create the Order without a 'payment_source' "
            "specified.",
            "PayPal-Request-Id",
            location="",
        )
    if request_id:
        earlier = object_get(GATEWAY, "request", request_key("order", request_id))
        if earlier is not None:
            return JsonResponse(
                order_answer(object_must(GATEWAY, "order", earlier.data["order_id"]))
            )
    order_id = paypal_id()
    data = _order_data(body, request_id)
    # which app (test or live) made it: its app id, never the client id (quality.md S5)
    data["_sandbox"]["app_id"] = apps().get(caller_client_id(request), ("", ""))[1]
    reference = str(units[0].get("custom_id") or units[0].get("reference_id") or "")
    try:
        with transaction.atomic():
            obj = object_create(GATEWAY, "order", order_id, data, lookup=reference[:200])
            if request_id:
                object_create(
                    GATEWAY, "request", request_key("order", request_id), {"order_id": order_id}
                )
    except IntegrityError:  # the same request id, at the same moment: its order
        earlier = object_get(GATEWAY, "request", request_key("order", request_id))
        if earlier is None:
            raise
        return JsonResponse(order_answer(object_must(GATEWAY, "order", earlier.data["order_id"])))
    return JsonResponse(order_answer(obj), status=201)


def _not_found() -> JsonResponse:
    return problem(
        404,
        "RESOURCE_NOT_FOUND",
        "INVALID_RESOURCE_ID",
        "Specified resource ID does not exist. Please check the resource ID and try again.",
    )


@sandbox_api(GATEWAY, auth=authorized)
@require_GET
def order(request: HttpRequest, order_id: str) -> HttpResponse:
    obj = object_get(GATEWAY, "order", order_id)
    return _not_found() if obj is None else JsonResponse(order_answer(obj))


def _fee(value: Decimal, currency: str) -> Decimal:
    """PayPal's standard rate in the sandbox: 3.49% plus a fixed part."""
    if currency in NO_DECIMALS:
        return round_half_up(value * Decimal("0.0349") + 40, 0)
    return round_half_up(value * Decimal("0.0349") + Decimal("0.49"), 2)


def _capture_for(data: dict[str, Any], unit: dict[str, Any], order_id: str) -> dict[str, Any]:
    behaviour = data["_sandbox"].get("approval", "complete")
    amount = dict(unit["amount"])
    status = {"decline": "DECLINED", "pending": "PENDING"}.get(behaviour, "COMPLETED")
    capture: dict[str, Any] = {
        "id": paypal_id(),
        "status": status,
        "amount": amount,
        "final_capture": True,
        "seller_protection": {
            "status": "ELIGIBLE",
            "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
        },
        "create_time": now_text(),
        "update_time": now_text(),
    }
    for key in ("custom_id", "invoice_id"):
        if key in unit:
            capture[key] = unit[key]
    if status == "COMPLETED":
        gross = Decimal(amount["value"])
        fee = _fee(gross, amount["currency_code"])
        places = 0 if amount["currency_code"] in NO_DECIMALS else 2
        capture["seller_receivable_breakdown"] = {
            "gross_amount": amount,
            "paypal_fee": {"currency_code": amount["currency_code"], "value": f"{fee:f}"},
            "net_amount": {
                "currency_code": amount["currency_code"],
                "value": f"{round_half_up(gross - fee, places):f}",
            },
        }
    elif status == "PENDING":
        capture["status_details"] = {"reason": "PENDING_REVIEW"}
    return capture


@sandbox_api(GATEWAY, auth=authorized)
@require_POST
def capture(request: HttpRequest, order_id: str) -> HttpResponse:
    request_id = request.headers.get("PayPal-Request-Id", "")
    if (refused := request_id_refusal(request_id)) is not None:
        return refused
    with transaction.atomic():
        obj = (
            SandboxObject.objects.select_for_update()
            .filter(gateway=GATEWAY, kind="order", object_id=order_id)
            .first()
        )
        if obj is None:
            return _not_found()
        data = obj.data
        private = data["_sandbox"]
        if private.get("capture_request_id") is not None:
            if request_id and request_id == private["capture_request_id"]:
                # the same request again: Orders v2 answers a retried capture 200 OK
                return JsonResponse(order_answer(obj))
            return problem(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_ALREADY_CAPTURED",
                "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
            )
        if data["status"] != "APPROVED":
            return problem(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment. Please redirect "
                "the payer to the 'rel':'approve' url returned as part of the HATEOAS "
                "links within the Create Order call or provide a valid `payment_source` "
                "in the request.",
            )
        captures = []
        for unit in data["purchase_units"]:
            made = _capture_for(data, unit, order_id)
            unit["payments"] = {"captures": [made]}
            captures.append(made)
            # Which order holds a capture: Payments v2 (refunds.py) is addressed by capture id.
            object_create(GATEWAY, "capture", made["id"], {"order_id": order_id}, lookup=order_id)
        data["status"] = "COMPLETED"
        private["capture_request_id"] = request_id
        private["captures_made"] = private.get("captures_made", 0) + 1
        obj.data = data
        obj.updated_at = timezone.now()
        obj.save(update_fields=["data", "updated_at"])
        for made in captures:
            _send_capture_webhook(order_id, made)
    return JsonResponse(order_answer(obj), status=201)


# --- webhooks ------------------------------------------------------------------------------


def capture_event_type(status: str) -> str:
    """The webhook a capture of `status` sends. PayPal documents PAYMENT.CAPTURE.DECLINED for a
    declined capture and PAYMENT.CAPTURE.DENIED for one denied later (e.g. after review); the
    sandbox long sent DENIED for a declined one, and still does unless the
    `paypal_declined_event` switch is on."""
    if status == "DECLINED":
        documented = switch_on("paypal_declined_event")
        return "PAYMENT.CAPTURE.DECLINED" if documented else "PAYMENT.CAPTURE.DENIED"
    return {"COMPLETED": "PAYMENT.CAPTURE.COMPLETED", "PENDING": "PAYMENT.CAPTURE.PENDING"}[status]


def _send_capture_webhook(order_id: str, made: dict[str, Any]) -> None:
    event_type = capture_event_type(made["status"])
    amount = made["amount"]
    resource = {
        **made,
        "supplementary_data": {"related_ids": {"order_id": order_id}},
        "links": [],
    }
    send(
        order_id,
        event_type,
        "capture",
        f"Payment {made['status'].lower()} for {amount['value']} {amount['currency_code']}",
        resource,
    )
