"""SEPA Direct Debit at Stripe, played offline: PaymentMethods of type `sepa_debit` made from the
IBAN frame (the IBAN checked by ISO 13616 mod 97 and never kept: country, bank code, last four
and a fingerprint; from 2026-09-30.endive a non-EEA IBAN needs the payer's billing address),
PaymentIntents that stay `processing` (as real debits do for days) until the
switches page settles them as succeeded or failed (`payment_intent.succeeded` /
`payment_intent.payment_failed`), and that panel (template sandbox/stripe/sepa_panel.html)."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import new_id, object_create, object_get, object_update
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import (
    GATEWAY,
    REFERENCE_KEY,
    _error,
    event_send,
    stripe_exponent,
)
from paydesk.sandbox.stripe.intents import _fail, _succeed
from paydesk.sandbox.stripe.versions import sepa_address_required

# The SEPA countries outside the EEA (Stripe: "non-EEA IBANs", docs.stripe.com/payments/sepa-debit)
# From 2026-09-30.endive a debit from one needs the payer's billing address.
NON_EEA_COUNTRIES = frozenset("AD BL CH GB GG GI IM JE MC NC PF PM SM TF VA WF".split())
# SEPA countries Stripe debits (the IBAN's first two letters).
SEPA_COUNTRIES = NON_EEA_COUNTRIES | frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI "
    "SK".split()
)
# What the changelog requires of a non-EEA IBAN's billing_details.address, in Stripe's order.
ADDRESS_REQUIRED = ("line1", "city", "postal_code", "country")
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
RETURNED = (
    "insufficient_funds",
    "",
    "The customer's bank account has insufficient funds: the SEPA debit was returned.",
)


def iban_problem(iban: str) -> str:
    """'' for an IBAN Stripe would accept; else Stripe's message."""
    value = re.sub(r"\s", "", iban).upper()
    if not value:
        return "Your IBAN is incomplete."
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", value) or value[:2] not in SEPA_COUNTRIES:
        return "Your IBAN is invalid."
    digits = "".join(str(int(c, 36)) for c in value[4:] + value[:4])
    return "" if int(digits) % 97 == 1 else "Your IBAN is invalid."


def address_missing(method: dict[str, Any]) -> str:
    """The first `billing_details[address][…]` a SEPA PaymentMethod lacks for its non-EEA IBAN,
    else ''."""
    if method.get("type") != "sepa_debit":
        return ""
    if method.get("sepa_debit", {}).get("country") not in NON_EEA_COUNTRIES:
        return ""
    address = method.get("billing_details", {}).get("address") or {}
    missing = next((name for name in ADDRESS_REQUIRED if not address.get(name)), "")
    return f"billing_details[address][{missing}]" if missing else ""


def address_refusal(request: HttpRequest, method: dict[str, Any]) -> JsonResponse | None:
    """Stripe's 400 when `request`'s API version requires the address `method` lacks."""
    param = address_missing(method)
    if not param or not sepa_address_required(request):
        return None
    return _error(
        400,
        type_="invalid_request_error",
        code="parameter_missing",
        param=param,
        message=f"Missing required param: {param}.",
    )


def _address(form: QueryDict) -> dict[str, str] | None:
    values = {
        name: form.get(f"billing_details[address][{name}]", "").strip()[:200]
        for name in ADDRESS_FIELDS
    }
    if not any(values.values()):
        return None
    values["country"] = values["country"].upper()
    return values


def billing_details_updated(form: QueryDict, current: dict[str, Any]) -> dict[str, Any]:
    """`current` billing_details with what an update sends: `billing_details[name|email|phone]`
    and `billing_details[address][…]`, field by field (a field not sent is kept, one sent empty
    is cleared)."""
    details = {"address": None, "email": None, "name": None, "phone": None, **current}
    for name in ("email", "name", "phone"):
        key = f"billing_details[{name}]"
        if key in form:
            details[name] = form.get(key, "").strip()[:200] or None
    sent = {
        name: form.get(f"billing_details[address][{name}]", "").strip()[:200]
        for name in ADDRESS_FIELDS
        if f"billing_details[address][{name}]" in form
    }
    if sent:
        address = dict.fromkeys(ADDRESS_FIELDS) | (details["address"] or {})
        for name, value in sent.items():
            address[name] = (value.upper() if name == "country" else value) or None
        details["address"] = address
    return details


def sepa_payment_method(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The PaymentMethod from `sepa_debit[iban]` and `billing_details[…]`, or Stripe's error.
    Stripe needs the account holder's name and email for a SEPA mandate, and (from endive) the
    address for a non-EEA IBAN."""
    form = request.POST
    iban = re.sub(r"\s", "", form.get("sepa_debit[iban]", "")).upper()
    problem = iban_problem(iban)
    if problem:
        return _error(
            400,
            type_="invalid_request_error",
            code="invalid_bank_account_iban",
            param="sepa_debit[iban]",
            message=problem,
        )
    name = form.get("billing_details[name]", "").strip()
    email = form.get("billing_details[email]", "").strip()
    if not name or "@" not in email:
        return _error(
            400,
            type_="invalid_request_error",
            code="invalid_bank_account_iban",
            param="sepa_debit[iban]",
            message="A SEPA Direct Debit needs the account holder's name and email address.",
        )
    method_id = new_id("pm_", 24)
    data = {
        "id": method_id,
        "object": "payment_method",
        "type": "sepa_debit",
        "billing_details": {
            "address": _address(form),
            "email": email[:200],
            "name": name[:200],
            "phone": None,
        },
        "sepa_debit": {
            "bank_code": iban[4:12],
            "branch_code": "",
            "country": iban[:2],
            "last4": iban[-4:],
            "fingerprint": hashlib.sha256(iban.encode()).hexdigest()[:16],
            "generated_from": {"charge": None, "setup_attempt": None},
        },
        "created": int(time.time()),
        "customer": None,
        "livemode": False,
        "metadata": {},
    }
    refused = address_refusal(request, data)
    if refused is not None:
        return refused
    object_create(GATEWAY, "payment_method", method_id, data)
    return data


def sepa_processing(obj: SandboxObject) -> SandboxObject:
    """A confirmed SEPA debit: `processing` until the switches page settles it."""
    obj = object_update(obj, status="processing", next_action=None, last_payment_error=None)
    event_send(obj.data, "payment_intent.processing")
    return obj


def sepa_panel_context() -> dict[str, Any]:
    rows = []
    for obj in SandboxObject.objects.filter(
        gateway=GATEWAY, kind="payment_intent", data__status="processing"
    ).order_by("-id")[:20]:
        intent = obj.data
        if "sepa_debit" not in intent.get("payment_method_types", []):
            continue
        exponent = stripe_exponent(intent["currency"])
        units = str(intent["amount"]).rjust(exponent + 1, "0")
        rows.append(
            {
                "id": intent["id"],
                "reference": intent.get("metadata", {}).get(REFERENCE_KEY, ""),
                "amount": f"{units[:-exponent]}.{units[-exponent:]} {intent['currency'].upper()}",
            }
        )
    return {"rows": rows}


@require_POST
def sepa_settle(request: HttpRequest) -> HttpResponse:
    """Settle one processing SEPA debit: `succeeded` or `failed` (returned by the bank)."""
    obj = object_get(GATEWAY, "payment_intent", request.POST.get("intent", ""))
    action = request.POST.get("action", "")
    if obj is None or obj.data.get("status") != "processing" or action not in ("succeed", "fail"):
        messages.error(request, "Stripe: no such SEPA debit in processing.")
        return redirect("sandbox:control")
    if action == "succeed":
        _succeed(obj)
    else:
        method = object_get(GATEWAY, "payment_method", obj.data.get("payment_method") or "")
        _fail(obj, *RETURNED, method=method)
    messages.success(request, f"Stripe: SEPA debit {obj.data['id']} settled ({action}).")
    return redirect("sandbox:control")
