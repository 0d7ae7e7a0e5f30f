"""Saved payment methods at Stripe: Customers, SetupIntents and PaymentMethods.

Card numbers and IBANs never reach Paydesk: the browser confirms a SetupIntent with Stripe.js
(the card or IBAN typed into Stripe's own frame), and Paydesk's server only ever sees ids and
what Stripe shows of a method (brand, last four, expiry; a mandate's id). The calls, all with the
secret key, through the same exchange as the PaymentIntents (`StripeApi._call`: no retries, the
payment log, the failure rules of client.py):

- `POST /v1/customers` (`Idempotency-Key`, `metadata[paydesk_customer]`), `GET` and `POST
  /v1/customers/{id}` (the default method: `invoice_settings[default_payment_method]`);
- `POST /v1/setup_intents` (`usage=off_session`, one `allowed_payment_method_types`), `GET
  /v1/setup_intents/{id}`;
- `GET /v1/customers/{id}/payment_methods?type=…`, `GET /v1/payment_methods/{id}` (a detached
  one too, `customer` null: what a detach Stripe did not answer is checked with),
  `POST /v1/payment_methods/{id}/detach`;
- `POST /v1/payment_methods/{id}` with `billing_details[address][…]` ("Update a
  PaymentMethod": only one attached to a customer): the account holder's address a SEPA mandate
  from a non-EEA IBAN saved without one needs since 2026-09-30.endive (methods/services.py);
- `GET /v1/mandates/{id}`: a SEPA mandate's reference (`payment_method_details.sepa_debit.
  reference`, the one the customer's bank shows); never its `url`, which Stripe says holds the
  customer's details.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import stripe

from paydesk.errors import GatewayError
from paydesk.gateways.stripe.client import StripeApi

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams,
        CustomerPaymentMethodListParams,
        CustomerUpdateParams,
        PaymentMethodUpdateParams,
        SetupIntentCreateParams,
    )

CUSTOMER_KEY = "paydesk_customer"
METHOD_TYPES = ("card", "sepa_debit")
CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{4,100}")
SETUP_INTENT_ID = re.compile(r"seti_[A-Za-z0-9]{4,100}")
PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{4,200}")
MANDATE_ID = re.compile(r"mandate_[A-Za-z0-9]{4,100}")

_PLAIN_FIELDS = ("id", "object", "status", "customer", "type", "usage", "payment_method", "mandate")


def vault_summary(body: Mapping[str, Any]) -> dict[str, str]:
    """What the payment log keeps of a Customer, SetupIntent or PaymentMethod: ids, statuses,
    brand and last four. Never a client secret, never a whole IBAN or card number."""
    summary = {k: str(body[k]) for k in _PLAIN_FIELDS if isinstance(body.get(k), str | int)}
    card = body.get("card")
    if isinstance(card, Mapping):
        summary.update({f"card.{k}": str(card.get(k, "")) for k in ("brand", "last4")})
    sepa = body.get("sepa_debit")
    if isinstance(sepa, Mapping):
        summary["sepa_debit.last4"] = str(sepa.get("last4", ""))
    items = body.get("data")
    if isinstance(items, list):
        summary["data.count"] = str(len(items))
    error = body.get("last_setup_error")
    if isinstance(error, Mapping):
        summary["last_setup_error.code"] = str(error.get("code", ""))
        summary["last_setup_error.message"] = str(error.get("message", ""))[:300]
    return summary


def _checked(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value or ""):
        raise GatewayError(f"'{(value or '')[:40]}' is not a Stripe {what} id.")
    return value


class StripeVault(StripeApi):
    """The saved-method calls Paydesk makes (one instance per use: settings read each time)."""

    def _vault(
        self,
        method: str,
        path: str,
        send: Callable[[stripe.StripeClient], Any],
        *,
        summary: Mapping[str, str] | None = None,
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        return self._call(
            method,
            path,
            send,
            request_summary=summary or {},
            payment_reference="",
            idempotency_key=idempotency_key,
            summarize=vault_summary,
        )

    def customer_create(
        self, *, customer_ref: str, name: str, email: str, idempotency_key: str
    ) -> dict[str, Any]:
        params: CustomerCreateParams = {
            "name": name[:250],
            "email": email[:250],
            "metadata": {CUSTOMER_KEY: customer_ref},
        }
        return self._vault(
            "POST",
            "/v1/customers",
            lambda c: c.v1.customers.create(params, {"idempotency_key": idempotency_key}),
            summary={f"metadata.{CUSTOMER_KEY}": customer_ref},
            idempotency_key=idempotency_key,
        )

    def customer_retrieve(self, customer_id: str) -> dict[str, Any]:
        _checked(CUSTOMER_ID, customer_id, "Customer")
        return self._vault(
            "GET", f"/v1/customers/{customer_id}", lambda c: c.v1.customers.retrieve(customer_id)
        )

    def customer_default_set(self, customer_id: str, payment_method: str) -> dict[str, Any]:
        """The customer's default method (`invoice_settings.default_payment_method`); '' clears."""
        _checked(CUSTOMER_ID, customer_id, "Customer")
        if payment_method:
            _checked(PAYMENT_METHOD_ID, payment_method, "PaymentMethod")
        params: CustomerUpdateParams = {
            "invoice_settings": {"default_payment_method": payment_method}
        }
        return self._vault(
            "POST",
            f"/v1/customers/{customer_id}",
            lambda c: c.v1.customers.update(customer_id, params),
            summary={"default_payment_method": payment_method},
        )

    def setup_intent_create(
        self, *, customer_id: str, method_type: str, idempotency_key: str
    ) -> dict[str, Any]:
        """A SetupIntent for one method of `method_type`, to be charged later without the
        customer (`usage=off_session`); the browser confirms it with its client secret."""
        _checked(CUSTOMER_ID, customer_id, "Customer")
        if method_type not in METHOD_TYPES:
            raise GatewayError(f"Stripe methods of type '{method_type[:20]}' cannot be saved.")
        params: SetupIntentCreateParams = {
            "customer": customer_id,
            "usage": "off_session",
            # `payment_method_types` is read-only since 2026-09-30.endive (client.py).
            "allowed_payment_method_types": [method_type],
        }
        return self._vault(
            "POST",
            "/v1/setup_intents",
            lambda c: c.v1.setup_intents.create(params, {"idempotency_key": idempotency_key}),
            summary={"customer": customer_id, "usage": "off_session", "type": method_type},
            idempotency_key=idempotency_key,
        )

    def setup_intent_retrieve(self, setup_intent_id: str) -> dict[str, Any]:
        _checked(SETUP_INTENT_ID, setup_intent_id, "SetupIntent")
        return self._vault(
            "GET",
            f"/v1/setup_intents/{setup_intent_id}",
            lambda c: c.v1.setup_intents.retrieve(setup_intent_id),
        )

    def payment_methods_list(self, customer_id: str, method_type: str) -> list[dict[str, Any]]:
        _checked(CUSTOMER_ID, customer_id, "Customer")
        params: CustomerPaymentMethodListParams = {"type": method_type, "limit": 100}
        body = self._vault(
            "GET",
            f"/v1/customers/{customer_id}/payment_methods",
            lambda c: c.v1.customers.payment_methods.list(customer_id, params),
            summary={"type": method_type},
        )
        items = body.get("data")
        if not isinstance(items, list):
            raise GatewayError("Stripe answered a list of payment methods without its data.")
        return [item for item in items if isinstance(item, dict)]

    def payment_method_get(self, payment_method: str) -> dict[str, Any]:
        _checked(PAYMENT_METHOD_ID, payment_method, "PaymentMethod")
        return self._vault(
            "GET",
            f"/v1/payment_methods/{payment_method}",
            lambda c: c.v1.payment_methods.retrieve(payment_method),
        )

    def payment_method_detach(self, payment_method: str) -> dict[str, Any]:
        _checked(PAYMENT_METHOD_ID, payment_method, "PaymentMethod")
        return self._vault(
            "POST",
            f"/v1/payment_methods/{payment_method}/detach",
            lambda c: c.v1.payment_methods.detach(payment_method),
        )

    def payment_method_address_set(
        self, payment_method: str, address: Mapping[str, str]
    ) -> dict[str, Any]:
        """`POST /v1/payment_methods/{id}` with `billing_details[address]`: the six fields of
        Stripe's address, those not in `address` sent empty (Stripe then clears them), so the
        PaymentMethod holds exactly `address`. The payment log keeps which fields were sent and
        the country, never the street."""
        _checked(PAYMENT_METHOD_ID, payment_method, "PaymentMethod")
        params: PaymentMethodUpdateParams = {
            "billing_details": {
                "address": {
                    "line1": address.get("line1", ""),
                    "line2": address.get("line2", ""),
                    "city": address.get("city", ""),
                    "postal_code": address.get("postal_code", ""),
                    "state": address.get("state", ""),
                    "country": address.get("country", ""),
                }
            }
        }
        sent = ",".join(sorted(name for name, value in address.items() if value))
        return self._vault(
            "POST",
            f"/v1/payment_methods/{payment_method}",
            lambda c: c.v1.payment_methods.update(payment_method, params),
            summary={
                "billing_details.address": sent,
                "billing_details.address.country": address.get("country", ""),
            },
        )

    def mandate_reference(self, mandate: str) -> str:
        """The SEPA mandate's reference as Stripe made it ('' when Stripe names none)."""
        _checked(MANDATE_ID, mandate, "Mandate")
        body = self._vault(
            "GET", f"/v1/mandates/{mandate}", lambda c: c.v1.mandates.retrieve(mandate)
        )
        details = body.get("payment_method_details")
        sepa = details.get("sepa_debit") if isinstance(details, Mapping) else None
        reference = sepa.get("reference") if isinstance(sepa, Mapping) else None
        return reference[:64] if isinstance(reference, str) else ""
