"""Stripe's API versions, played: which version a request speaks (its `Stripe-Version` header,
else the account's default) and the one rule of Stripe's changelog that the sandbox's
PaymentIntents and SetupIntents obey by version — how a request restricts the payment method
types (`payment_method_types`, `allowed_payment_method_types`).

From Stripe's changelog (docs.stripe.com/changelog):
- 2026-07-29.dahlia adds `allowed_payment_method_types` to PaymentIntents and SetupIntents:
  compatible types are kept, incompatible ones dropped silently; mutually exclusive with
  `payment_method_types`, `excluded_payment_method_types`, `automatic_payment_methods` and
  `payment_method_configuration`. Before it, the parameter is unknown.
- 2026-09-30.endive (and the 2026-08-26 preview) refuses a written `payment_method_types` on
  PaymentIntents create/update/confirm and SetupIntents create/update: 400
  `payment_method_types_no_longer_supported`. The objects still answer it, read-only.
- 2026-09-30.endive also requires `billing_details.address` `line1`, `city`, `postal_code` and
  `country` for a SEPA Direct Debit PaymentMethod with a non-EEA IBAN (UK, Swiss, …), when it is
  created or updated and when a PaymentIntent or SetupIntent is confirmed with it (sepa.py).

Never imports Paydesk's gateway code: the sandbox plays Stripe from Stripe's documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.http import HttpRequest, JsonResponse, QueryDict

from paydesk.sandbox.stripe.common import _error

VERSION_HEADER = "Stripe-Version"
METHOD_TYPES = ("card", "sepa_debit")  # the payment method types the sandbox account turned on
# The sandbox account's default API version: the one a request without `Stripe-Version` speaks
# (Stripe answers it in the account's default). The version the sandbox played before it read
# the header, so a caller that names none is answered as before.
ACCOUNT_API_VERSION = "2024-06-20"
ALLOWED_TYPES_FROM = "2026-07-29"  # 2026-07-29.dahlia
TYPES_READ_ONLY_FROM = "2026-09-30"  # 2026-09-30.endive
TYPES_READ_ONLY_PREVIEW_FROM = "2026-08-26"  # 2026-08-26.preview
SEPA_ADDRESS_REQUIRED_FROM = "2026-09-30"  # 2026-09-30.endive
# The parameters `allowed_payment_method_types` may not be sent with.
_EXCLUSIVE = (
    "payment_method_types",
    "excluded_payment_method_types",
    "automatic_payment_methods",
    "payment_method_configuration",
)
_VERSION = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.([a-z]+))?")


def request_api_version(request: HttpRequest) -> str:
    """The API version `request` speaks: its `Stripe-Version`, else the account's default."""
    return request.headers.get(VERSION_HEADER, "").strip() or ACCOUNT_API_VERSION


def sepa_address_required(request: HttpRequest) -> bool:
    """Whether `request`'s API version requires a non-EEA SEPA debit's billing address."""
    matched = _VERSION.fullmatch(request_api_version(request))
    return matched is not None and matched.group(1) >= SEPA_ADDRESS_REQUIRED_FROM


def _invalid_version(version: str) -> JsonResponse:
    return _error(
        400,
        type_="invalid_request_error",
        message=f"Invalid Stripe API version: {version[:40]}",
    )


def _unknown(param: str) -> JsonResponse:
    return _error(
        400,
        type_="invalid_request_error",
        code="parameter_unknown",
        param=param,
        message=f"Received unknown parameter: {param}",
    )


def _sent(form: QueryDict, name: str) -> bool:
    """`name` is in the form, as a value or (a list, a hash) as `name[…]` fields."""
    return any(key == name or key.startswith(f"{name}[") for key in form)


def _listed(form: QueryDict, name: str) -> list[str]:
    return [str(value) for key, value in sorted(form.items()) if key.startswith(f"{name}[")]


def method_types(
    request: HttpRequest, *, enabled: Sequence[str]
) -> tuple[list[str], bool] | JsonResponse:
    """The payment method types an intent created by `request` asks for, as its API version
    reads them, and whether they are strict: `payment_method_types` as sent (until endive;
    strict: an incompatible type is an error), else `allowed_payment_method_types` (from dahlia)
    or Stripe's dynamic payment methods (`enabled`, the account's), from which the caller drops
    the incompatible types. Or the error Stripe answers on that version."""
    form = request.POST
    version = request_api_version(request)
    matched = _VERSION.fullmatch(version)
    if matched is None:
        return _invalid_version(version)
    date, release = matched.groups()
    read_only_from = TYPES_READ_ONLY_PREVIEW_FROM if release == "preview" else TYPES_READ_ONLY_FROM
    explicit = _sent(form, "payment_method_types")
    if explicit and date >= read_only_from:
        return _error(
            400,
            type_="invalid_request_error",
            code="payment_method_types_no_longer_supported",
            param="payment_method_types",
            message=(
                "payment_method_types is no longer supported on this API version. Use "
                "allowed_payment_method_types to restrict the payment method types, or dynamic "
                "payment methods."
            ),
        )
    if _sent(form, "allowed_payment_method_types"):
        if date < ALLOWED_TYPES_FROM:
            return _unknown("allowed_payment_method_types")
        clash = next((name for name in _EXCLUSIVE if _sent(form, name)), "")
        if clash:
            return _error(
                400,
                type_="invalid_request_error",
                param="allowed_payment_method_types",
                message=f"You cannot use allowed_payment_method_types together with {clash}.",
            )
        return _listed(form, "allowed_payment_method_types"), False
    if explicit:
        return _listed(form, "payment_method_types"), True
    return list(enabled), False
