"""SEPA Direct Debit at Stripe, played offline: PaymentMethods of type `sepa_debit` made from the
IBAN frame (the IBAN checked by ISO 13616 mod 97 and never kept: country, bank code, last four
and a fingerprint), PaymentIntents that stay `processing` (as real debits do for days) until the
switches page settles them as succeeded or failed (`payment_intent.succeeded` /
`payment_intent.payment_failed`), and that panel (template sandbox/stripe/sepa_panel.html)."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import new_id, object_create, object_get, object_update
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import GATEWAY, REFERENCE_KEY, event_send, stripe_exponent
from paydesk.sandbox.stripe.intents import _fail, _succeed

# SEPA countries Stripe debits (a subset is enough for the sandbox: the IBAN's first two letters).
SEPA_COUNTRIES = frozenset(
    "AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MC MT NL NO PL PT RO SE "
    "SI SK SM".split()
)
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


def sepa_payment_method(form: Any) -> tuple[dict[str, Any] | None, str]:
    """(the PaymentMethod, '') from `sepa_debit[iban]` and `billing_details[…]`, or (None, why).
    Stripe needs the account holder's name and email for a SEPA mandate."""
    iban = re.sub(r"\s", "", form.get("sepa_debit[iban]", "")).upper()
    problem = iban_problem(iban)
    if problem:
        return None, problem
    name = form.get("billing_details[name]", "").strip()
    email = form.get("billing_details[email]", "").strip()
    if not name or "@" not in email:
        return None, "A SEPA Direct Debit needs the account holder's name and email address."
    method_id = new_id("pm_", 24)
    data = {
        "id": method_id,
        "object": "payment_method",
        "type": "sepa_debit",
        "billing_details": {
            "address": None,
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
    object_create(GATEWAY, "payment_method", method_id, data)
    return data, ""


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
