"""Stripe's saved-method API, played offline: Customers (with their default method),
SetupIntents (created with the secret key, confirmed by Stripe.js with the publishable key and
the client secret), and attaching / listing / detaching PaymentMethods. A SEPA Direct Debit
setup makes a mandate (`mandate_…`, `GET /v1/mandates/{id}`) with its reference, the one the
customer's bank shows. Field names, statuses and error shapes as Stripe's.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import new_id, object_create, object_get, object_update, sandbox_api
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import (
    GATEWAY,
    _error,
    _idempotent,
    _public,
    _remember,
    _unauthorized,
    one_shot_details,
    one_shot_set,
    rate_limited,
)
from paydesk.sandbox.stripe.keys import publishable_keys, secret_keys
from paydesk.sandbox.stripe.sepa import address_refusal, billing_details_updated
from paydesk.sandbox.stripe.versions import METHOD_TYPES, method_types


def _missing(kind: str, object_id: str, param: str = "id") -> JsonResponse:
    return _error(
        404,
        type_="invalid_request_error",
        code="resource_missing",
        param=param,
        message=f"No such {kind}: '{object_id[:60]}'",
    )


def _invalid(message: str, *, param: str = "", code: str = "") -> JsonResponse:
    return _error(400, type_="invalid_request_error", message=message, param=param, code=code)


def _metadata(form: Any) -> dict[str, str]:
    return {
        k[len("metadata[") : -1]: v
        for k, v in form.items()
        if k.startswith("metadata[") and k.endswith("]")
    }


# --- /v1/customers ----------------------------------------------------------------------------


@sandbox_api(GATEWAY)
@require_http_methods(["GET", "POST"])
def customers(request: HttpRequest) -> HttpResponse:
    """`POST /v1/customers`; `GET /v1/customers?limit=N` lists the newest (no filters)."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    if request.method == "GET":
        limit = int(request.GET["limit"]) if request.GET.get("limit", "").isdigit() else 10
        rows = SandboxObject.objects.filter(gateway=GATEWAY, kind="customer").order_by("-id")
        data = [row.data for row in rows[: min(max(limit, 1), 100) + 1]]
        return JsonResponse(
            {
                "object": "list",
                "url": "/v1/customers",
                "has_more": len(data) > limit,
                "data": data[:limit],
            }
        )
    record, replay = _idempotent(request)
    if replay is not None:
        return replay
    customer_id = new_id("cus_", 14)
    customer: dict[str, Any] = {
        "id": customer_id,
        "object": "customer",
        "created": int(time.time()),
        "email": request.POST.get("email") or None,
        "name": request.POST.get("name") or None,
        "invoice_settings": {"default_payment_method": None},
        "livemode": False,
        "metadata": _metadata(request.POST),
    }
    object_create(GATEWAY, "customer", customer_id, customer)
    return _remember(record, JsonResponse(customer))


@sandbox_api(GATEWAY)
@require_http_methods(["GET", "POST"])
def customer(request: HttpRequest, customer_id: str) -> HttpResponse:
    """`GET /v1/customers/{id}`; `POST` updates `invoice_settings[default_payment_method]`
    (HTTP 429 once, changing nothing, with the detach switch's "default_rate_limited" armed)."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    obj = object_get(GATEWAY, "customer", customer_id)
    if obj is None:
        return _missing("customer", customer_id)
    field = "invoice_settings[default_payment_method]"
    if request.method == "POST" and field in request.POST:
        if detach_failure_armed() == "default_rate_limited":
            detach_failure_set("")  # once; the removal asked again works
            return rate_limited()
        method_id = request.POST[field]
        if method_id:
            method = object_get(GATEWAY, "payment_method", method_id)
            if method is None or method.data.get("customer") != customer_id:
                return _invalid(
                    f"No such PaymentMethod: '{method_id[:60]}'",
                    param=field,
                    code="resource_missing",
                )
        obj = object_update(obj, invoice_settings={"default_payment_method": method_id or None})
    return JsonResponse(obj.data)


@sandbox_api(GATEWAY)
@require_http_methods(["GET"])
def customer_payment_methods(request: HttpRequest, customer_id: str) -> HttpResponse:
    """`GET /v1/customers/{id}/payment_methods?type=…`: the methods attached, newest first."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    if object_get(GATEWAY, "customer", customer_id) is None:
        return _missing("customer", customer_id)
    kind = request.GET.get("type", "")
    found = SandboxObject.objects.filter(
        gateway=GATEWAY, kind="payment_method", data__customer=customer_id
    ).order_by("-id")
    items = [_public(o.data) for o in found if not kind or o.data.get("type") == kind]
    return JsonResponse(
        {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/customers/{customer_id}/payment_methods",
        }
    )


# --- /v1/setup_intents ------------------------------------------------------------------------


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def setup_intents(request: HttpRequest) -> HttpResponse:
    """`POST /v1/setup_intents` with `customer`, `usage`, and `allowed_payment_method_types[]`
    or (before endive) `payment_method_types[]`, as the request's API version reads them."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    form = request.POST
    customer_id = form.get("customer", "")
    if customer_id and object_get(GATEWAY, "customer", customer_id) is None:
        return _invalid(
            f"No such customer: '{customer_id[:60]}'", param="customer", code="resource_missing"
        )
    asked = method_types(request, enabled=METHOD_TYPES)
    if isinstance(asked, JsonResponse):
        return asked
    types, strict = asked
    if strict and any(t not in METHOD_TYPES for t in types):
        return _invalid(
            "The sandbox saves card and sepa_debit methods.", param="payment_method_types"
        )
    types = [t for t in types if t in METHOD_TYPES]
    usage = form.get("usage", "off_session")
    if usage not in ("off_session", "on_session"):
        return _invalid(f"Invalid usage: {usage[:20]}", param="usage")
    record, replay = _idempotent(request)
    if replay is not None:
        return replay
    setup_id = new_id("seti_", 24)
    data = {
        "id": setup_id,
        "object": "setup_intent",
        "created": int(time.time()),
        "client_secret": f"{setup_id}_secret_{new_id('', 25)}",
        "customer": customer_id or None,
        "usage": usage,
        "payment_method_types": types,
        "payment_method": None,
        "mandate": None,
        "last_setup_error": None,
        "next_action": None,
        "status": "requires_payment_method",
        "livemode": False,
        "metadata": _metadata(form),
    }
    object_create(GATEWAY, "setup_intent", setup_id, data)
    return _remember(record, JsonResponse(data))


def _client_allowed(request: HttpRequest, setup: SandboxObject, form: Any) -> HttpResponse | None:
    """The secret key, or (Stripe.js) the publishable key with this intent's client secret."""
    key = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    key = key or form.get("key", "")
    if key in secret_keys():
        return None
    if key in publishable_keys():
        if form.get("client_secret") == setup.data["client_secret"]:
            return None
        return _invalid(
            "The client_secret provided does not match the client_secret associated "
            "with the SetupIntent.",
            param="client_secret",
        )
    return _unauthorized(request, publishable_ok=True)


@sandbox_api(GATEWAY)
@require_http_methods(["GET"])
def setup_intent(request: HttpRequest, setup_id: str) -> HttpResponse:
    """`GET /v1/setup_intents/{id}`."""
    obj = object_get(GATEWAY, "setup_intent", setup_id)
    if obj is None:
        refused = _unauthorized(request, publishable_ok=False)
        return refused if refused is not None else _missing("setup_intent", setup_id, "intent")
    not_yours = _client_allowed(request, obj, request.GET)
    return not_yours if not_yours is not None else JsonResponse(obj.data)


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def setup_intent_confirm(request: HttpRequest, setup_id: str) -> HttpResponse:
    """`POST /v1/setup_intents/{id}/confirm` with `payment_method`: attach it to the intent's
    customer (SEPA: with a mandate) and succeed."""
    obj = object_get(GATEWAY, "setup_intent", setup_id)
    if obj is None:
        return _missing("setup_intent", setup_id, "intent")
    refused = _client_allowed(request, obj, request.POST)
    if refused is not None:
        return refused
    if obj.data["status"] != "requires_payment_method":
        return _invalid(
            f"You cannot confirm this SetupIntent because it has a status of {obj.data['status']}.",
            code="setup_intent_unexpected_state",
        )
    method_id = request.POST.get("payment_method", "")
    method = object_get(GATEWAY, "payment_method", method_id)
    if method is None:
        return _invalid(
            f"No such PaymentMethod: '{method_id[:60]}'",
            param="payment_method",
            code="resource_missing",
        )
    if method.data.get("type") not in obj.data["payment_method_types"]:
        return _invalid(
            "The PaymentMethod's type is not allowed by this SetupIntent.",
            param="payment_method",
            code="payment_intent_incompatible_payment_method",
        )
    refused = address_refusal(request, method.data)
    if refused is not None:
        return refused
    if method.data.get("customer"):
        return _invalid(
            "The PaymentMethod is attached to a customer already.",
            param="payment_method",
            code="payment_method_unexpected_state",
        )
    mandate = None
    if method.data["type"] == "sepa_debit":
        mandate = new_id("mandate_", 24)
        # Letters first, so that no reference reads as an IBAN (two letters, two digits) to
        # the S5 scan of pages and logs.
        reference = "".join(
            secrets.choice(string.ascii_uppercase if n < 4 else string.ascii_uppercase + "23456789")
            for n in range(16)
        )
        object_create(
            GATEWAY,
            "mandate",
            mandate,
            {
                "id": mandate,
                "object": "mandate",
                "payment_method": method_id,
                "status": "active",
                "type": "multi_use",
                "customer_acceptance": {"type": "online"},
                "payment_method_details": {
                    "type": "sepa_debit",
                    "sepa_debit": {
                        "reference": reference,
                        "url": f"https://payments.stripe.com/sepa_debit/mandate/{mandate}",
                    },
                },
            },
        )
    if obj.data["customer"]:
        object_update(method, customer=obj.data["customer"])
    obj = object_update(obj, status="succeeded", payment_method=method_id, mandate=mandate)
    return JsonResponse(obj.data)


def _retrieve(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    """`GET /v1/<kind>s/{id}` with the secret key: the object as Stripe shows it, or 404."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    obj = object_get(GATEWAY, kind, object_id)
    return _missing(kind, object_id) if obj is None else JsonResponse(_public(obj.data))


# --- /v1/mandates/{id} ------------------------------------------------------------------------


@sandbox_api(GATEWAY)
@require_http_methods(["GET"])
def mandate_retrieve(request: HttpRequest, mandate_id: str) -> HttpResponse:
    return _retrieve(request, "mandate", mandate_id)


# --- /v1/payment_methods/{id} -----------------------------------------------------------------


# The parameters `POST /v1/payment_methods/{id}` plays (Stripe's `card`, `allow_redisplay` and
# `us_bank_account` are not played: refused as unknown).
_UPDATABLE = ("billing_details", "metadata", "expand")


@sandbox_api(GATEWAY)
@require_http_methods(["GET", "POST"])
def payment_method(request: HttpRequest, method_id: str) -> HttpResponse:
    """`GET /v1/payment_methods/{id}`; `POST` updates it ("Update a PaymentMethod"): only one
    attached to a customer; its billing_details field by field, its metadata key by key. From
    2026-09-30.endive a non-EEA SEPA PaymentMethod left without its address is refused as on
    creation (nothing is changed). With the panel's "the next GET of a PaymentMethod" armed, the
    next GET answers HTTP 429 or 500 (GET_FAILURES) before anything is read, and the switch
    turns itself off."""
    if request.method == "GET":
        failure = method_get_failure_armed()
        if failure:
            method_get_failure_set("")  # once: the next GET works again
            return rate_limited() if failure == "rate_limited" else _api_error()
        if _retrieve_failed(method_id):
            return _api_error()
        return _retrieve(request, "payment_method", method_id)
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    obj = object_get(GATEWAY, "payment_method", method_id)
    if obj is None:
        return _missing("payment_method", method_id, "payment_method")
    unknown = next(
        (key for key in request.POST if key.split("[", 1)[0] not in _UPDATABLE),
        "",
    )
    if unknown:
        return _invalid(
            f"Received unknown parameter: {unknown[:60]}",
            param=unknown[:60],
            code="parameter_unknown",
        )
    if not obj.data.get("customer"):
        return _invalid(
            "You must save this PaymentMethod to a customer before you can update it.",
            code="payment_method_unexpected_state",
        )
    details = billing_details_updated(request.POST, obj.data.get("billing_details") or {})
    metadata = {**obj.data.get("metadata", {}), **_metadata(request.POST)}
    updated = {
        **obj.data,
        "billing_details": details,
        "metadata": {k: v for k, v in metadata.items() if v},
    }
    refused = address_refusal(request, updated)
    if refused is not None:
        return refused
    obj = object_update(obj, billing_details=details, metadata=updated["metadata"])
    return JsonResponse(_public(obj.data))


DETACH_FAILS = "detach_fails"  # the switch's object id (kind "switch"), as refunds' one
# What the next detach of an attached method does when the switch is armed (the panel's choice):
# Stripe's HTTP 500 `api_error`, whose outcome the caller cannot know, or its HTTP 429 (the rate
# limiter answers before the request is run: nothing detached) — to the detach, or to the new
# default set just before it when the default is removed (`customer`).
DETACH_FAILURES = {
    "before": "answers HTTP 500 before detaching (nothing detached)",
    "after": "detaches, then answers HTTP 500",
    "unanswered": "detaches, then answers HTTP 500, and so does the next GET of that method",
    "rate_limited": "answers HTTP 429, rate limited (nothing detached)",
    "default_rate_limited": "the new default before it (POST /v1/customers/{id}) answers "
    "HTTP 429, rate limited (nothing changed, nothing detached)",
}


def _mode_set(switch: str, modes: dict[str, str], mode: str) -> None:
    """Arm the one-shot `switch` with `mode`, one of `modes`; disarm it for any other ('')."""
    mode = mode if mode in modes else ""
    one_shot_set(switch, bool(mode), mode=mode)


def _mode_armed(switch: str, *, unnamed: str = "") -> str:
    """The mode the one-shot `switch` is armed with ('' when it is not; `unnamed` for none)."""
    armed = one_shot_details(switch)
    return str(armed.get("mode") or unnamed) if armed else ""


def detach_failure_set(mode: str) -> None:
    """Arm the next detach to fail as DETACH_FAILURES[`mode`] says, or disarm it ('')."""
    _mode_set(DETACH_FAILS, DETACH_FAILURES, mode)


def detach_failure_armed() -> str:
    """How the next detach fails ('' when it does not)."""
    return _mode_armed(DETACH_FAILS, unnamed="before")


RETRIEVE_FAILS = "retrieve_fails"  # kind "switch": `method`, the PaymentMethod whose GET fails

GET_FAILS = "payment_method_get_fails"  # the panel's switch (kind "switch", with its `mode`)
# What the next `GET /v1/payment_methods/{id}` (of any method) answers when the switch is armed:
# a GET changes nothing, so either way nothing was done.
GET_FAILURES = {
    "rate_limited": "answers HTTP 429, rate limited",
    "error": "answers HTTP 500",
}


def method_get_failure_set(mode: str) -> None:
    """Arm the next PaymentMethod GET to fail as GET_FAILURES[`mode`] says, or disarm it ('')."""
    _mode_set(GET_FAILS, GET_FAILURES, mode)


def method_get_failure_armed() -> str:
    """How the next PaymentMethod GET fails ('' when it does not)."""
    return _mode_armed(GET_FAILS)


def _api_error() -> JsonResponse:
    return _error(
        500, type_="api_error", message="An unknown error occurred while processing your request."
    )


def _retrieve_failed(method_id: str) -> bool:
    """Whether this GET of `method_id` is the one an "unanswered" detach failure makes fail
    (once: the switch then turns itself off)."""
    armed = one_shot_details(RETRIEVE_FAILS)
    if armed is None or armed.get("method") != method_id:
        return False
    one_shot_set(RETRIEVE_FAILS, False)
    return True


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def payment_method_detach(request: HttpRequest, method_id: str) -> HttpResponse:
    """`POST /v1/payment_methods/{id}/detach`; a detached default is no longer the default.
    With "the next detach fails" armed, the next one of an attached method answers Stripe's
    HTTP 500 `api_error`, before or after detaching it as the switch says (which then turns
    itself off); "unanswered" also makes the next GET of that method answer HTTP 500;
    "rate_limited" answers HTTP 429 and detaches nothing."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    obj = object_get(GATEWAY, "payment_method", method_id)
    if obj is None:
        return _missing("payment_method", method_id)
    failure = detach_failure_armed() if obj.data.get("customer") else ""
    if failure:
        detach_failure_set("")  # one detach fails, the next works again
    if failure == "before":
        return _api_error()
    if failure == "rate_limited":
        return rate_limited()
    owner = obj.data.get("customer")
    if not owner:
        return _invalid(
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    holder = object_get(GATEWAY, "customer", owner)
    if holder and holder.data["invoice_settings"].get("default_payment_method") == method_id:
        object_update(holder, invoice_settings={"default_payment_method": None})
    obj = object_update(obj, customer=None)
    if failure == "unanswered":
        one_shot_set(RETRIEVE_FAILS, True, method=method_id)
    return _api_error() if failure else JsonResponse(_public(obj.data))
