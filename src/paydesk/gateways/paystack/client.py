"""Paystack's API, the calls Paydesk makes (httpx through GatewayHttp):

- `POST /transaction/initialize` → the hosted checkout's `authorization_url`;
- `GET /transaction/verify/{reference}` → where the transaction stands;
- refunds: `POST /refund`, `GET /refund?transaction=…` (the list) and `GET /refund/{id}` (Fetch
  Refund: where one stands now, for reconciliation).

Facts (notes.md, and the official `paystack-openapi.yaml` that tests/gateways/data keeps and the
contract test checks every request and answer against):
- `Authorization: Bearer <secret key>` on every call; JSON bodies; answers in Paystack's envelope
  `{status: bool, message, data}`.
- `amount` is an *integer* of hundredths ("× 100") for every currency Paystack takes; the OpenAPI
  file types it `integer`, so it travels as a JSON number (never a string, never a float).
- `reference` is ours (letters, digits, `-`, `.`, `=`): Paystack refuses a reused one with HTTP
  400 `duplicate_reference`. That is the idempotency of initialize: one Paydesk payment can never
  become two Paystack transactions, and after a lost answer the reference is simply verified.

What a failure means (quality.md R6) is decided in GatewayHttp (timeouts, 5xx, non-JSON →
GatewayUnavailable); the 4xx shapes are Paystack's own and are mapped here to the errors below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from paydesk.errors import GatewayError, GatewayNotConfigured, GatewayUnavailable
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import Answer, GatewayHttp, gateway_base_url
from paydesk.gateways.paystack.refunds import (
    MAX_PAGES,
    PER_PAGE,
    PaystackRefund,
    refund_answer,
    refund_body,
    refund_page,
    refund_refusal,
)
from paydesk.gateways.paystack.webhooks import (
    GATEWAY_NAME,
    PAYSTACK_EXPONENT,
    paystack_amount_rule,
)
from paydesk.gateways.signing import mapping, money_from_minor_units, text
from paydesk.money import Money

LIVE_API = "https://api.paystack.co"
DISPLAY_NAME = "Paystack"
# The currencies Paystack charges (its OpenAPI file's `Currency` enum).
CURRENCIES = frozenset({"NGN", "GHS", "ZAR", "KES", "USD"})
_REFERENCE = re.compile(r"^[A-Za-z0-9.=-]{1,100}$")


class PaystackDuplicateReference(GatewayError):
    """Paystack already holds a transaction with this reference (HTTP 400 duplicate_reference)."""

    code = "duplicate_reference"


class PaystackNotFound(GatewayError):
    """Paystack has no transaction with this reference (HTTP 404)."""

    code = "transaction_not_found"


class PaystackAuthFailed(GatewayError):
    """Paystack refused the secret key (HTTP 401): a configuration problem, not the payment's."""

    code = "paystack_unauthorized"


@dataclass(frozen=True, slots=True)
class Initialized:
    """What initialize gave: the hosted page to send the customer to, and its access code."""

    authorization_url: str
    access_code: str
    reference: str


@dataclass(frozen=True, slots=True)
class PaystackTransaction:
    """The parts of a verified transaction Paydesk uses (amounts as Money, None when unusable)."""

    id: str
    reference: str
    status: str  # success | failed | abandoned | reversed | ongoing | pending | processing …
    amount: Money | None  # what the payer was charged (fees included when they bear them)
    fees: Money | None
    currency: str
    gateway_response: str
    channel: str
    paid_at: str
    # What Paydesk initialised: it differs from `amount` when the customer bears the fees.
    requested_amount: Money | None = None

    @property
    def paid_for(self) -> Money | None:
        """The amount compared with the quote (webhooks.py `paystack_amount_rule`)."""
        return paystack_amount_rule(
            charged=self.amount, requested=self.requested_amount, fees=self.fees
        )[0]

    @property
    def merchant_fees(self) -> Money | None:
        """Paystack's fee when the provider bears it; None when the customer paid it on top."""
        return paystack_amount_rule(
            charged=self.amount, requested=self.requested_amount, fees=self.fees
        )[1]


def to_subunits(amount: Money) -> int:
    """`amount` in Paystack's hundredths, exactly; GatewayError when it is not a whole number."""
    units = amount.amount.scaleb(PAYSTACK_EXPONENT)
    if units != units.to_integral_value() or units <= 0:
        raise GatewayError(f"Paystack cannot charge {amount}: it counts in hundredths.")
    return int(units)


def _message(answer: Answer, fallback: str) -> str:
    body = mapping(answer.body)
    return text(body.get("message")) or fallback


class PaystackClient:
    """A Paystack API client. Settings (key, base URL, timeout) are read on every call."""

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._secret_key = secret_key
        self._base_url = base_url
        self._transport = transport

    def _http(self) -> GatewayHttp:
        key = (
            self._secret_key
            if self._secret_key is not None
            else gateway_credential("PAYDESK_PAYSTACK_SECRET_KEY")
        )
        if not key:
            raise GatewayNotConfigured("PAYDESK_PAYSTACK_SECRET_KEY is not set.")
        base = self._base_url or gateway_base_url(
            "PAYDESK_PAYSTACK_API_BASE", live=LIVE_API, sandbox_path="paystack"
        )
        return GatewayHttp(
            gateway=GATEWAY_NAME,
            display_name=DISPLAY_NAME,
            base_url=base,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            transport=self._transport,
        )

    def initialize(
        self,
        *,
        email: str,
        amount: Money,
        reference: str,
        callback_url: str,
        cancel_url: str = "",
        idempotency_key: str = "",
    ) -> Initialized:
        """Create the transaction `reference` for `amount` and get its hosted checkout page.

        PaystackDuplicateReference when the reference was used before; PaystackAuthFailed for a
        refused key; GatewayError for any other refusal; GatewayUnavailable when there is no
        usable answer.
        """
        if amount.currency not in CURRENCIES:
            raise GatewayError(f"Paystack does not charge {amount.currency}.")
        if not _REFERENCE.match(reference):
            raise GatewayError("A Paystack reference has only letters, digits, '-', '.' and '='.")
        if not email:
            raise GatewayError("Paystack needs the customer's email address.")
        metadata: dict[str, Any] = {"paydesk_reference": reference}
        if cancel_url:
            metadata["cancel_action"] = cancel_url  # where Paystack's checkout "Cancel" goes
        body = {
            "email": email,
            "amount": to_subunits(amount),
            "currency": amount.currency,
            "reference": reference,
            "callback_url": callback_url,
            "metadata": metadata,
        }
        answer = self._http().request(
            "POST",
            "/transaction/initialize",
            json_body=body,
            payment_reference=reference,
            idempotency_key=idempotency_key,
        )
        if not answer.ok:
            self._refused(answer, "initialize")
        data = mapping(mapping(answer.body).get("data"))
        initialized = Initialized(
            authorization_url=text(data.get("authorization_url")),
            access_code=text(data.get("access_code")),
            reference=text(data.get("reference")),
        )
        if mapping(answer.body).get("status") is not True or not initialized.authorization_url:
            raise GatewayUnavailable("Paystack's answer had no checkout page.")
        if initialized.reference != reference:
            raise GatewayUnavailable("Paystack answered about another transaction.")
        if not initialized.authorization_url.startswith(("https://", "http://")):
            raise GatewayUnavailable("Paystack's checkout page is not a web address.")
        return initialized

    def verify(self, reference: str) -> PaystackTransaction:
        """Where the transaction `reference` (ours) stands at Paystack.

        PaystackNotFound when Paystack has none; PaystackAuthFailed for a refused key;
        GatewayUnavailable when there is no usable answer.
        """
        if not _REFERENCE.match(reference):
            raise GatewayError("A Paystack reference has only letters, digits, '-', '.' and '='.")
        answer = self._http().request(
            "GET", f"/transaction/verify/{quote(reference, safe='')}", payment_reference=reference
        )
        if not answer.ok:
            self._refused(answer, "verify")
        envelope = mapping(answer.body)
        data = mapping(envelope.get("data"))
        if envelope.get("status") is not True or not data:
            raise GatewayUnavailable("Paystack's verification answer had no transaction.")
        if text(data.get("reference")) != reference:
            raise GatewayUnavailable("Paystack answered about another transaction.")
        currency = text(data.get("currency")).upper()
        amount = money_from_minor_units(data.get("amount"), currency, exponent=PAYSTACK_EXPONENT)
        fees = money_from_minor_units(data.get("fees"), currency, exponent=PAYSTACK_EXPONENT)
        return PaystackTransaction(
            id=text(data.get("id")),
            reference=reference,
            status=text(data.get("status")).lower(),
            amount=amount,
            fees=fees,
            currency=currency,
            gateway_response=text(data.get("gateway_response"))[:200],
            channel=text(data.get("channel")),
            paid_at=text(data.get("paid_at")),
            requested_amount=money_from_minor_units(
                data.get("requested_amount"), currency, exponent=PAYSTACK_EXPONENT
            ),
        )

    def refund_create(
        self, *, transaction: str, amount: Money, refund_reference: str, reason: str
    ) -> PaystackRefund:
        """Refund `amount` of the transaction (its reference or id); the merchant note carries
        `refund_reference` (refunds.py). GatewayError when Paystack refuses it (nothing made)."""
        body = refund_body(
            transaction=transaction,
            amount_units=to_subunits(amount),
            currency=amount.currency,
            refund_reference=refund_reference,
            reason=reason,
        )
        answer = self._http().request(
            "POST", "/refund", json_body=body, payment_reference=refund_reference
        )
        if not answer.ok:
            if answer.status == 400:
                raise refund_refusal(_message(answer, "HTTP 400"))
            self._refused(answer, "refund")
        return refund_answer(answer.body)

    def refund_get(self, refund_id: str, *, payment_reference: str = "") -> PaystackRefund:
        """`GET /refund/{id}` (Fetch Refund): one refund as Paystack has it now."""
        if not refund_id.isdigit() or not refund_id.isascii():
            raise GatewayError("That is not a Paystack refund id.")
        answer = self._http().request(
            "GET", f"/refund/{refund_id}", payment_reference=payment_reference
        )
        if not answer.ok:
            self._refused(answer, "refund")
        return refund_answer(answer.body)

    def refund_list(self, *, transaction_id: str) -> list[PaystackRefund]:
        """Every refund of the transaction `transaction_id` (Paystack's integer id)."""
        found: list[PaystackRefund] = []
        page, pages = 1, 1
        while page <= min(pages, MAX_PAGES):
            answer = self._http().request(
                "GET",
                "/refund",
                params={"transaction": transaction_id, "perPage": str(PER_PAGE), "page": str(page)},
                payment_reference=transaction_id,
            )
            if not answer.ok:
                self._refused(answer, "refund list")
            refunds, pages = refund_page(answer.body)
            found += [r for r in refunds if r.transaction_id == transaction_id]
            page += 1
        return found

    @staticmethod
    def _refused(answer: Answer, what: str) -> None:
        body: Mapping[str, Any] = mapping(answer.body)
        if answer.status == 401:
            raise PaystackAuthFailed(
                f"Paystack did not accept Paydesk's secret key ({_message(answer, 'HTTP 401')})."
            )
        if answer.status == 404:
            raise PaystackNotFound(_message(answer, "Transaction reference not found"))
        if answer.status == 400 and text(body.get("code")) == "duplicate_reference":
            raise PaystackDuplicateReference(_message(answer, "Duplicate Transaction Reference"))
        if answer.status == 429:
            raise GatewayUnavailable("Paystack asked Paydesk to slow down (HTTP 429).")
        raise GatewayError(
            f"Paystack refused the {what} request: {_message(answer, f'HTTP {answer.status}')}"
        )
