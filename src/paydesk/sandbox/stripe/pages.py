"""The Stripe sandbox's browser side: Stripe.js (js/v3.js), the card-fields frame, and the 3-D
Secure challenge page."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.sandbox.core import (
    object_get,
    return_to,
)
from paydesk.sandbox.stripe.cards import AUTHENTICATION_FAILED, DECLINES, SUCCESS
from paydesk.sandbox.stripe.common import GATEWAY, PRIVATE, _public, stripe_exponent
from paydesk.sandbox.stripe.intents import _ORIGIN, _fail, _succeed
from paydesk.sandbox.stripe.keys import publishable_keys
from paydesk.web.middleware import CONTENT_SECURITY_POLICY

# --- the browser's side: Stripe.js, the card frame, 3-D Secure --------------------------------


@require_GET
def stripe_js(request: HttpRequest) -> HttpResponse:
    """Stripe.js's stand-in (the subset Paydesk's page uses, with Stripe.js's names)."""
    path = Path(apps.get_app_config("sandbox").path) / "static/sandbox/stripe/v3.js"
    response = HttpResponse(path.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@xframe_options_sameorigin
@require_GET
def element_frame(request: HttpRequest, element: str) -> HttpResponse:
    """The card fields, inside the iframe Stripe.js mounts on the merchant's page. The card is
    posted from here to /v1/payment_methods, never through the merchant's server."""
    if element not in ("card", "iban"):
        raise Http404("The sandbox's Stripe.js offers the card and iban elements only.")
    origin = request.GET.get("origin", "")
    key = request.GET.get("key", "")
    problem = ""
    if not _ORIGIN.fullmatch(origin):
        problem = "The page that mounted these card fields did not say its origin."
    elif key not in publishable_keys():
        problem = "Invalid API Key provided to Stripe.js."
    response = render(
        request,
        f"sandbox/stripe/{element}_frame.html",
        {
            "origin": origin,
            "key": key,
            "api_url": reverse("sandbox:stripe:payment_methods"),
            # Stripe(pk, {apiVersion}): the version the frame's requests name (else the account's).
            "api_version": request.GET.get("api_version", "")[:40],
            "problem": problem,
        },
        status=400 if problem else 200,
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def three_d_secure(request: HttpRequest, intent_id: str) -> HttpResponse:
    """The issuer's 3-D Secure challenge: Complete or Fail authentication, then back to the
    merchant's return_url with `payment_intent=<id>` as Stripe does."""
    obj = object_get(GATEWAY, "payment_intent", intent_id)
    if obj is None:
        raise Http404("No such PaymentIntent.")
    intent = obj.data
    return_url = intent.get(PRIVATE, {}).get("return_url", "")
    waiting = intent.get("status") == "requires_action"
    if request.method == "POST" and waiting:
        action = request.POST.get("action")
        if action == "complete":
            after = intent[PRIVATE].get("after_authentication", SUCCESS)
            if after == SUCCESS:
                obj = _succeed(obj)
            else:
                method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
                obj = _fail(obj, *DECLINES[after], method=method)
        elif action == "fail":
            method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
            obj = _fail(obj, *AUTHENTICATION_FAILED, method=method)
        else:
            return redirect(request.path)
        waiting = False
    if request.method == "POST" and return_url:
        status = "succeeded" if obj.data["status"] == "succeeded" else "failed"
        return redirect(
            return_to(
                return_url,
                payment_intent=intent_id,
                payment_intent_client_secret=obj.data["client_secret"],
                redirect_status=status,
            )
        )
    method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
    card = method.data.get("card", {}) if method else {}
    exponent = stripe_exponent(intent["currency"])
    return render(
        request,
        "sandbox/stripe/three_d_secure.html",
        {
            "intent": _public(obj.data),
            "waiting": waiting,
            "amount": _amount_text(intent["amount"], exponent),
            "currency": intent["currency"].upper(),
            "card": card,
            "return_url": return_url,
        },
    )


def _amount_text(units: int, exponent: int) -> str:
    text = str(units).rjust(exponent + 1, "0")
    return f"{text[:-exponent]}.{text[-exponent:]}" if exponent else text
