"""The portal's saved payment methods (/billing/methods/, namespace `methods`): the list (brand,
last four, expiry, default; expired and expiring cards marked), adding a card or a SEPA mandate
in Stripe's own fields, choosing the default, removing one (the default asks which is next).

A method named in a URL is checked with Stripe to be attached to THIS customer's Stripe Customer
(another customer's → 404); a setup named in a URL must be one Paydesk started for this customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from paydesk.accounts.access import customer_required, manage_billing_required
from paydesk.accounts.models import Customer
from paydesk.errors import GatewayError, NotFound, PaydeskError
from paydesk.formats import customer_time
from paydesk.gateways.http import origin_of
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED
from paydesk.gateways.stripe.declines import SETUP_AUTHENTICATION_FAILED
from paydesk.gateways.stripe.elements import (
    SEPA_ADDRESS_REQUIRED,
    SEPA_NON_EEA_COUNTRIES,
    card_fields_context,
    card_page_sources,
)
from paydesk.methods.models import MethodSetup, MethodType
from paydesk.methods.services import (
    AlreadySaved,
    SavedMethod,
    billing_address,
    method_setup_finish,
    method_setup_secret,
    method_setup_start,
    saved_method_default_set,
    saved_method_remove,
    saved_methods_list,
)
from paydesk.provider.brand import brand_current
from paydesk.web.middleware import policy_with

SEPA_MANDATE = (
    "By providing your IBAN and confirming this payment method, you authorise {provider} and "
    "Stripe, our payment service provider, to send instructions to your bank to debit your "
    "account, and your bank to debit your account in accordance with those instructions. You are "
    "entitled to a refund from your bank under the terms and conditions of your agreement with "
    "your bank. A refund must be claimed within 8 weeks starting from the date on which your "
    "account was debited."
)


def sepa_mandate_text() -> str:
    return SEPA_MANDATE.format(provider=brand_current().name or "us")


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    stripe_js: bool = False,
    status: int = 200,
) -> HttpResponse:
    response = render(request, template, {"nav": "billing", **context}, status=status)
    response["Cache-Control"] = "no-store"
    if stripe_js:
        response["Content-Security-Policy"] = policy_with(card_page_sources())
    return response


@dataclass(frozen=True)
class MethodRow:
    """One saved method as the list shows it: `details` tells apart two cards of one brand and
    last four (expiry, the day it was added); `name` is the label and details in one line, for
    the confirmation, the choice of the next default and screen readers' button names."""

    method: SavedMethod
    details: str

    @property
    def name(self) -> str:
        return f"{self.method.plain_label}, {self.details}"


def method_details(method: SavedMethod, others: Sequence[SavedMethod] = ()) -> str:
    """What tells a method apart: "Visa, expires 12/2029, added Dec. 3, 2026, 7:05 p.m." or
    "mandate reference …, added …" (in the user's time zone); never the mandate's id, which
    only the back office shows. A card also saved with another expiry (renewed, same number)
    says so: "same card number as the one expiring 12/2029"."""
    parts = []
    if method.brand_text:
        parts.append(method.brand_text)
    if method.expiry_text:
        parts.append(_("expires %(date)s") % {"date": method.expiry_text})
    twins = [
        other.expiry_text
        for other in others
        if other.id != method.id
        and other.type == method.type
        and other.expiry_text
        and method.fingerprint
        and other.fingerprint == method.fingerprint
    ]
    if twins:
        parts.append(
            _("same card number as the one expiring %(date)s") % {"date": ", ".join(twins)}
        )
    if method.mandate_reference:
        parts.append(_("mandate reference %(ref)s") % {"ref": method.mandate_reference})
    if method.added:
        parts.append(_("added %(date)s") % {"date": customer_time(method.added)})
    return ", ".join(parts)


@customer_required
@manage_billing_required
@require_http_methods(["GET"])
def method_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    problem = ""
    try:
        methods = saved_methods_list(customer=customer)
    except GatewayError as error:
        methods, problem = [], error.message
    rows = [MethodRow(method, method_details(method, methods)) for method in methods]
    return _page(
        request,
        "methods/list.html",
        {
            "rows": rows,
            "problem": problem,
            "types": MethodType.choices,
        },
    )


@customer_required
@manage_billing_required
@require_POST
def method_add(request: HttpRequest, customer: Customer) -> HttpResponse:
    try:
        setup = method_setup_start(
            customer=customer, user=request.user, method_type=request.POST.get("method_type", "")
        )
    except PaydeskError as error:
        messages.error(request, error.message)
        return redirect("methods:list")
    return redirect("methods:setup", setup_intent=setup.setup_intent)


@customer_required
@manage_billing_required
@require_http_methods(["GET", "POST"])
def method_setup(request: HttpRequest, customer: Customer, setup_intent: str) -> HttpResponse:
    """GET: Stripe's fields for the card or IBAN of our SetupIntent. POST (after Stripe.js
    confirmed it in the browser): ask Stripe, keep the method."""
    setup = MethodSetup.objects.filter(customer=customer, setup_intent=setup_intent).first()
    if setup is None:
        raise Http404("No such payment method setup.")
    problem = ""
    if request.method == "POST":
        try:
            method_setup_finish(customer=customer, user=request.user, setup_intent=setup_intent)
        except NotFound as error:
            raise Http404(error.message) from error
        except AlreadySaved as error:
            messages.info(request, error.message)
            return redirect("methods:list")
        except PaydeskError as error:
            problem = error.message
        else:
            messages.success(request, _("Your payment method is saved."))
            return redirect("methods:list")
    if setup.completed_at is not None:
        return redirect("methods:list")
    try:
        secret = method_setup_secret(
            customer=customer, user=request.user, setup_intent=setup_intent
        )
    except PaydeskError as error:
        secret, problem = "", problem or error.message
    public = origin_of(settings.PAYDESK_PUBLIC_URL)
    wrong_origin = origin_of(request.build_absolute_uri("/")) != public
    here = settings.PAYDESK_PUBLIC_URL.rstrip("/") + request.path
    return _page(
        request,
        "methods/setup.html",
        {
            "setup": setup,
            "client_secret": secret,
            "problem": problem,
            "stripe": card_fields_context(),
            "mandate_text": sepa_mandate_text(),
            "billing_address": billing_address(customer),
            "address_required": " ".join(SEPA_ADDRESS_REQUIRED),
            "non_eea_countries": " ".join(sorted(SEPA_NON_EEA_COUNTRIES)),
            "origin_url": here if wrong_origin else "",
            "authentication_failed": _(SETUP_AUTHENTICATION_FAILED),
            "address_refused": _(SEPA_ADDRESS_NEEDED),
        },
        stripe_js=True,
        status=422 if problem else 200,
    )


@customer_required
@manage_billing_required
@require_POST
def method_default(request: HttpRequest, customer: Customer, payment_method: str) -> HttpResponse:
    try:
        saved_method_default_set(
            customer=customer, user=request.user, payment_method=payment_method
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except PaydeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your default payment method is changed."))
    return redirect("methods:list")


@customer_required
@manage_billing_required
@require_POST
def method_remove(request: HttpRequest, customer: Customer, payment_method: str) -> HttpResponse:
    try:
        saved_method_remove(
            customer=customer,
            user=request.user,
            payment_method=payment_method,
            next_default=request.POST.get("next_default", ""),
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except PaydeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The payment method is removed."))
    return redirect("methods:list")
