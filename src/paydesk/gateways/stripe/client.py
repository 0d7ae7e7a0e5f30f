"""Stripe's PaymentIntents API through the official `stripe` SDK.

The calls, all server-side with the secret key:
- `GET /v1/payment_methods/{id}`: the card's brand and last four, for the payment's description
  before it is charged (`card_label`);
- `POST /v1/payment_intents` (form-encoded): create and confirm in one call with the `pm_…` id the
  card fields hosted by Stripe made in the browser; `Idempotency-Key` = the checkout's key;
- `GET /v1/payment_intents/{id}`: where an intent stands (the return from 3-D Secure, and
  reconciliation);
  both ask `expand[]=payment_method`, so the answer carries the card's brand and last four
  (`card_label`, the payment's description) — never its number;
- `POST /v1/refunds` (form-encoded): refund part or all of an intent; `Idempotency-Key` =
  `refund-<refund row's reference>`, the reference also in `metadata[paydesk_refund]`.
- `GET /v1/refunds/{id}`: where a refund stands now (reconciliation).
- `GET /v1/payment_intents/search`: the intent whose metadata carries our reference, for a
  payment whose creating request got no answer (reconciliation; `payment_intent_search`).

The SDK's API base is `gateway_base_url(...)` (the sandbox in the demo and the tests, Stripe's
live API otherwise), its own retries are off (a retry is reconciliation's job, never a hidden
second charge attempt) and its HTTP client is `StripeHttpClient`: httpx through
`gateways/http.py`'s transport, so a Stripe call has the same total deadline
(PAYDESK_GATEWAY_TIMEOUT, connecting to the answer's last byte) as every other gateway's. Every
call is
handed to the payment log (`record_exchange`) with a summary that never holds a client secret,
a key or card data. What a failure means (quality.md R6):
- no answer in time, refused connection, HTTP 5xx or 429, a body that is not JSON →
  GatewayUnavailable (the payment stays pending; reconciliation asks again); a 429 as its
  GatewayRateLimited: Stripe's rate limiter answers before the request is run (docs/gateways/
  stripe.md, "Failures"), so nothing was done: a call whose outcome matters (a detach) need
  not ask Stripe what happened, and a PaymentIntent so answered is not left pending (Make
  Payment cancels its payment; an automatic top-up sends it again with the same key);
- HTTP 402 `card_error` → CardDeclined, carrying Stripe's message and the declined intent;
- HTTP 409 `idempotency_error` on a PaymentIntent's or a refund's creation (the same key still
  running at Stripe) → GatewayUnavailable: that request may charge or refund, so nothing is
  cancelled as refused; a refund's 400 `idempotency_error` (the key used with other
  parameters) too;
- any other 4xx (bad request, unknown intent, wrong key, a PaymentIntent's key used with other
  parameters) → GatewayError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import stripe
from django.conf import settings

from paydesk.errors import GatewayDeclined, GatewayError, GatewayRateLimited, GatewayUnavailable
from paydesk.gateways.base import redact
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import (
    Exchange,
    deadline_transport,
    gateway_base_url,
    record_exchange,
)
from paydesk.gateways.stripe.cards import card_label, method_id
from paydesk.gateways.stripe.returns import REASON_KEY, REFUND_KEY, refund_summary
from paydesk.gateways.stripe.webhooks import (
    GATEWAY_NAME,
    REFERENCE_KEY,
    STRIPE_API_VERSION,
    stripe_exponent,
)
from paydesk.money import Money

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams, RefundCreateParams

LIVE_API = "https://api.stripe.com"
# What a customer reads when Stripe refuses a SEPA debit from a UK, Swiss or other non-EEA bank
# account for want of the account holder's address (Stripe's own text names a parameter):
# when a mandate is saved, and when a saved one is charged (a mandate saved before the address
# was asked for gets the Billing page's address before it is charged: methods.services).
SEPA_ADDRESS_NEEDED = (
    "A UK, Swiss or other non-EEA bank account needs the account holder's billing address "
    "(street, city, postal code and country): add it on the Billing page, then try again."
)
DISPLAY_NAME = "Stripe"
# A payment reference that may go, quoted, into a Search API query (no quote to escape).
SEARCHABLE_REFERENCE = re.compile(r"[A-Za-z0-9_\-]{1,200}")
SEARCH_LIMIT = 10  # Stripe's default page; one checkout makes one intent

# The fields of an intent (or of an error) that reach the payment log. Never `client_secret`.
_INTENT_FIELDS = (
    "id",
    "object",
    "status",
    "amount",
    "amount_received",
    "currency",
    "payment_method",
    "latest_charge",
    "cancellation_reason",
)
_ERROR_FIELDS = ("type", "code", "decline_code", "message", "param")


def stripe_api_base() -> str:
    """PAYDESK_STRIPE_API_BASE, else the sandbox when it is on, else api.stripe.com."""
    return gateway_base_url("PAYDESK_STRIPE_API_BASE", live=LIVE_API, sandbox_path="stripe")


def stripe_minor_units(money: Money) -> int:
    """`money` as Stripe's integer amount: zero-decimal currencies (JPY…) in whole units,
    three-decimal ones (KWD…) in thousandths ending in 0, everything else in hundredths.
    GatewayError when Stripe cannot charge that amount exactly (never rounded)."""
    exponent = stripe_exponent(money.currency)
    units = money.amount.scaleb(exponent)
    if units != units.to_integral_value():
        raise GatewayError(
            f"Stripe charges {money.currency} in whole units of {Decimal(1).scaleb(-exponent)}: "
            f"{money} cannot be charged exactly."
        )
    if exponent == 3 and int(units) % 10:
        raise GatewayError(
            f"Stripe charges {money.currency} in multiples of 0.010: {money} cannot be charged."
        )
    return int(units)


class CardDeclined(GatewayDeclined):
    """Stripe refused the card (HTTP 402 `card_error`): its message for the customer, its codes,
    the intent it left in `requires_payment_method` (empty when Stripe sent none) and the
    declined card's `card_label` ('' when the error names none)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        decline_code: str,
        intent: Mapping[str, Any],
        instrument: str = "",
    ) -> None:
        super().__init__(message)
        self.stripe_code = code
        self.decline_code = decline_code
        self.intent = dict(intent)
        self.instrument = instrument


def intent_summary(intent: Mapping[str, Any]) -> dict[str, str]:
    """What the payment log keeps of a PaymentIntent (no client secret, no card data: of an
    expanded payment method only its id)."""
    summary = {name: str(intent[name]) for name in _INTENT_FIELDS if intent.get(name) is not None}
    if isinstance(intent.get("payment_method"), Mapping):
        summary["payment_method"] = str(method_id(intent["payment_method"]))
    metadata = intent.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get(REFERENCE_KEY):
        summary[f"metadata.{REFERENCE_KEY}"] = str(metadata[REFERENCE_KEY])
    next_action = intent.get("next_action")
    if isinstance(next_action, Mapping):
        summary["next_action.type"] = str(next_action.get("type", ""))
    error = intent.get("last_payment_error")
    if isinstance(error, Mapping):
        summary.update(
            {f"last_payment_error.{k}": str(error[k]) for k in _ERROR_FIELDS if error.get(k)}
        )
    return summary


def _search_summary(body: Mapping[str, Any]) -> dict[str, str]:
    """What the payment log keeps of a search's answer: how many, and each intent's id and
    status."""
    data = body.get("data")
    intents = [i for i in data if isinstance(i, Mapping)] if isinstance(data, list) else []
    summary = {"object": str(body.get("object", "")), "found": str(len(intents))}
    for number, intent in enumerate(intents[:5]):
        summary[f"data.{number}.id"] = str(intent.get("id", ""))
        summary[f"data.{number}.status"] = str(intent.get("status", ""))
    return summary


def _error_summary(body: Any) -> dict[str, str]:
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return {}
    summary = {f"error.{k}": str(error[k]) for k in _ERROR_FIELDS if error.get(k)}
    intent = error.get("payment_intent")
    if isinstance(intent, Mapping):
        summary.update({f"error.payment_intent.{k}": v for k, v in intent_summary(intent).items()})
    return summary


class StripeHttpClient(stripe.HTTPClient):
    """The SDK's HTTP client: one httpx request per call through the gateways' deadline transport
    (gateways/http.py), so no Stripe call outlasts `timeout` seconds in total. A failure to get an
    answer is the SDK's APIConnectionError, caused by httpx's error (a TimeoutException when the
    deadline passed)."""

    name = "paydesk-httpx"

    def __init__(self, *, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        try:
            with httpx.Client(
                transport=deadline_transport(self.timeout),
                timeout=self.timeout,
                follow_redirects=False,
            ) as client:
                response = client.request(
                    method.upper(), url, headers=dict(headers or {}), content=post_data
                )
        except httpx.HTTPError as error:
            raise stripe.APIConnectionError(
                f"No answer from Stripe ({type(error).__name__}).", should_retry=False
            ) from error
        return response.content, response.status_code, response.headers

    def close(self) -> None:
        """Nothing to close: each request has its own client."""


class StripeApi:
    """The PaymentIntents calls Paydesk makes. Build one per use: settings are read each time."""

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        base_url: str | None = None,
        timeout: int | None = None,
    ) -> None:
        self.secret_key = (
            secret_key
            if secret_key is not None
            else gateway_credential("PAYDESK_STRIPE_SECRET_KEY")
        )
        self.base_url = (base_url or stripe_api_base()).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.PAYDESK_GATEWAY_TIMEOUT

    # --- the calls ------------------------------------------------------------------------

    def payment_intent_create(
        self,
        *,
        amount: Money,
        payment_method: str,
        return_url: str,
        payment_reference: str,
        description: str,
        idempotency_key: str,
        customer: str = "",
        off_session: bool = False,
        method_type: str = "card",
    ) -> dict[str, Any]:
        """Create and confirm a PaymentIntent; the intent as Stripe answers it. A saved method
        names its Stripe `customer`; `off_session` when the customer is not there to
        authenticate (Stripe then declines with `authentication_required` instead of asking)."""
        params: PaymentIntentCreateParams = {
            "amount": stripe_minor_units(amount),
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            # Since 2026-09-30.endive `payment_method_types` is read-only (400
            # payment_method_types_no_longer_supported); this restricts the intent to the type.
            "allowed_payment_method_types": [method_type],
            "confirm": True,
            "description": description[:500],
            "metadata": {REFERENCE_KEY: payment_reference},
            "expand": ["payment_method"],
        }
        if off_session:
            params["off_session"] = True
        else:
            params["return_url"] = return_url
        if customer:
            params["customer"] = customer
        summary = {
            "amount": str(params["amount"]),
            "currency": params["currency"],
            "payment_method": payment_method,
            "confirm": "true",
            "return_url": params.get("return_url", ""),
            "customer": customer,
            "off_session": "true" if off_session else "",
            f"metadata.{REFERENCE_KEY}": payment_reference,
        }
        with _conflict_unanswered(other_parameters=False):
            return self._call(
                "POST",
                "/v1/payment_intents",
                lambda client: client.v1.payment_intents.create(
                    params,
                    {"idempotency_key": idempotency_key},
                ),
                request_summary=summary,
                payment_reference=payment_reference,
                idempotency_key=idempotency_key,
            )

    def payment_method_retrieve(self, method_id: str, *, payment_reference: str = "") -> str:
        """`GET /v1/payment_methods/{id}`: the card the browser's fields made, as `card_label`
        ("Visa •••• 4242"; '' when it is not a card). The payment log keeps only the id."""
        if not method_id.startswith("pm_") or "/" in method_id:
            raise GatewayError(f"'{method_id[:40]}' is not a Stripe PaymentMethod id.")
        method = self._call(
            "GET",
            f"/v1/payment_methods/{method_id}",
            lambda client: client.v1.payment_methods.retrieve(method_id),
            request_summary={},
            payment_reference=payment_reference,
            summarize=lambda body: {"id": str(body.get("id", "")), "type": str(body.get("type"))},
        )
        return card_label(method)

    def payment_intent_retrieve(
        self, intent_id: str, *, payment_reference: str = ""
    ) -> dict[str, Any]:
        """One PaymentIntent as Stripe has it now."""
        if not intent_id.startswith("pi_") or "/" in intent_id:
            raise GatewayError(f"'{intent_id[:40]}' is not a Stripe PaymentIntent id.")
        return self._call(
            "GET",
            f"/v1/payment_intents/{intent_id}",
            lambda client: client.v1.payment_intents.retrieve(
                intent_id,
                {"expand": ["payment_method"]},
            ),
            request_summary={},
            payment_reference=payment_reference,
        )

    def payment_intent_search(self, payment_reference: str) -> list[dict[str, Any]]:
        """`GET /v1/payment_intents/search?query=metadata['paydesk_reference']:'<reference>'`:
        the PaymentIntents Stripe's Search API finds with our reference in their metadata (set
        by our server when it created the intent), those whose metadata really names it. The
        index lags (docs.stripe.com/api/payment_intents/search: under a minute, up to an hour
        during outages): an empty answer is not proof (the gateway adapter decides)."""
        if not SEARCHABLE_REFERENCE.fullmatch(payment_reference):
            raise GatewayError(f"'{payment_reference[:40]}' cannot be searched for at Stripe.")
        query = f"metadata['{REFERENCE_KEY}']:'{payment_reference}'"
        found = self._call(
            "GET",
            "/v1/payment_intents/search",
            lambda client: client.v1.payment_intents.search(
                {"query": query, "limit": SEARCH_LIMIT, "expand": ["data.payment_method"]}
            ),
            request_summary={"query": query},
            payment_reference=payment_reference,
            summarize=_search_summary,
        )
        data = found.get("data")
        if found.get("object") != "search_result" or not isinstance(data, list):
            raise GatewayUnavailable(f"{DISPLAY_NAME} answered the search without a result list.")
        return [
            intent
            for intent in data
            if isinstance(intent, dict)
            and isinstance(intent.get("metadata"), dict)
            and intent["metadata"].get(REFERENCE_KEY) == payment_reference
        ]

    def refund_create(
        self,
        *,
        intent_id: str,
        amount: Money,
        refund_reference: str,
        payment_reference: str,
        reason: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """`POST /v1/refunds`: send `amount` of the PaymentIntent back to the card; the Refund as
        Stripe answers it. Our refund row's reference goes in `metadata[paydesk_refund]` (its
        webhooks echo it), the key in `Idempotency-Key`. An idempotency conflict (the same key
        still running, or used with other parameters) is GatewayUnavailable: the refund may exist
        at Stripe, so Paydesk must not call it refused."""
        if not intent_id.startswith("pi_") or "/" in intent_id:
            raise GatewayError(f"'{intent_id[:40]}' is not a Stripe PaymentIntent id.")
        params: RefundCreateParams = {
            "payment_intent": intent_id,
            "amount": stripe_minor_units(amount),
            "metadata": {
                REFUND_KEY: refund_reference,
                REFERENCE_KEY: payment_reference,
                REASON_KEY: reason[:500],
            },
        }
        summary = {
            "payment_intent": intent_id,
            "amount": str(params["amount"]),
            f"metadata.{REFUND_KEY}": refund_reference,
            f"metadata.{REFERENCE_KEY}": payment_reference,
        }
        with _conflict_unanswered(other_parameters=True):
            return self._call(
                "POST",
                "/v1/refunds",
                lambda client: client.v1.refunds.create(
                    params,
                    {"idempotency_key": idempotency_key},
                ),
                request_summary=summary,
                payment_reference=payment_reference,
                idempotency_key=idempotency_key,
                summarize=refund_summary,
            )

    def refund_retrieve(self, refund_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """`GET /v1/refunds/{id}`: one Refund as Stripe has it now (reconciliation's question
        about a refund it answered `pending`)."""
        if not refund_id.startswith("re_") or "/" in refund_id:
            raise GatewayError(f"'{refund_id[:40]}' is not a Stripe Refund id.")
        return self._call(
            "GET",
            f"/v1/refunds/{refund_id}",
            lambda client: client.v1.refunds.retrieve(refund_id),
            request_summary={},
            payment_reference=payment_reference,
            summarize=refund_summary,
        )

    # --- one exchange ---------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        send: Callable[[stripe.StripeClient], Any],
        *,
        request_summary: Mapping[str, str],
        payment_reference: str,
        idempotency_key: str = "",
        summarize: Callable[[Mapping[str, Any]], dict[str, str]] = intent_summary,
    ) -> dict[str, Any]:
        if not self.secret_key:
            raise GatewayError("Stripe's secret key (PAYDESK_STRIPE_SECRET_KEY) is not set.")
        started = time.monotonic()
        status: int | None = None
        body: Any = None
        failure: GatewayError | None = None
        stripe_error: stripe.StripeError | None = None
        error_text = ""
        http_client = StripeHttpClient(timeout=self.timeout)
        try:
            client = stripe.StripeClient(
                self.secret_key,
                base_addresses={"api": self.base_url},
                stripe_version=STRIPE_API_VERSION,
                max_network_retries=0,
                http_client=http_client,
            )
            answer = send(client)
            status = answer.last_response.code
            body = answer.last_response.data
            if not isinstance(body, dict):
                error_text = f"{DISPLAY_NAME} answered something that is not a JSON object."
                failure = GatewayUnavailable(error_text)
        except stripe.CardError as error:
            stripe_error = error
            status, body = error.http_status, error.json_body
            failure = _declined(error)
        except stripe.APIConnectionError as error:
            stripe_error = error
            error_text = self._connection_text(error)
            failure = GatewayUnavailable(error_text)
        except stripe.StripeError as error:
            stripe_error = error
            status, body = error.http_status, error.json_body
            failure = self._refusal(error)
            if isinstance(failure, GatewayUnavailable):
                error_text = failure.message
        finally:
            http_client.close()
        response_summary = _error_summary(body) if failure else summarize(body or {})
        record_exchange(
            Exchange(
                gateway=GATEWAY_NAME,
                method=method,
                path=path,
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                payment_reference=payment_reference,
                idempotency_key=idempotency_key,
                error=error_text,
                request_summary=redact(request_summary),
                response_summary=redact(response_summary),
            )
        )
        if failure is not None:
            raise failure from stripe_error
        return body

    def _connection_text(self, error: stripe.APIConnectionError) -> str:
        cause = error.__cause__
        if cause is not None and any("Timeout" in k.__name__ for k in type(cause).__mro__):
            return f"{DISPLAY_NAME} did not answer within {self.timeout:g} s."
        name = type(cause).__name__ if cause is not None else "no connection"
        return f"{DISPLAY_NAME} could not be reached ({name})."

    @staticmethod
    def _refusal(error: stripe.StripeError) -> GatewayError:
        status = error.http_status
        if status is None or status >= 500:
            return GatewayUnavailable(f"{DISPLAY_NAME} answered HTTP {status or 'nothing'}.")
        if not isinstance(error.json_body, dict):
            return GatewayUnavailable(f"{DISPLAY_NAME} answered something that is not JSON.")
        if status == 429 or isinstance(error, stripe.RateLimitError):
            return GatewayRateLimited(f"{DISPLAY_NAME} is rate limiting requests (HTTP 429).")
        if _sepa_address_missing(error.json_body):
            return GatewayError(SEPA_ADDRESS_NEEDED)
        message = _error_message(error.json_body) or f"HTTP {status}"
        return GatewayError(f"{DISPLAY_NAME} refused the request: {message}")


@contextmanager
def _conflict_unanswered(*, other_parameters: bool) -> Iterator[None]:
    """An idempotency conflict on a call that moves money is GatewayUnavailable, not a refusal:
    HTTP 409 (a request with the same key still running at Stripe, which saves no result for
    this one: docs.stripe.com/idempotency) always — that request may still charge or refund, so
    Paydesk keeps its row pending and sends the same key again later; the 400 (the key used with
    other parameters) only when `other_parameters`. The SDK raises its IdempotencyError for the
    400 only: the 409 is a plain APIError, known by its status and error type."""
    try:
        yield
    except GatewayError as error:
        cause = error.__cause__
        if not isinstance(cause, stripe.StripeError):
            raise
        body = cause.json_body if isinstance(cause.json_body, dict) else {}
        details = found if isinstance(found := body.get("error"), dict) else {}
        in_use = cause.http_status == 409 and details.get("type") == "idempotency_error"
        if not (in_use or (other_parameters and isinstance(cause, stripe.IdempotencyError))):
            raise
        if not in_use:
            raise GatewayUnavailable(error.message) from error
        # Stripe's own text (in the payment log) is long: a payment's reason is at most 300.
        raise GatewayUnavailable(
            f"{DISPLAY_NAME} is still working on an earlier request with the same idempotency "
            "key (HTTP 409) and did not run this one."
        ) from error


def _sepa_address_missing(body: Mapping[str, Any]) -> bool:
    """Stripe's refusal (since 2026-09-30.endive) of a SEPA debit from a non-EEA IBAN whose
    PaymentMethod lacks billing_details.address line1, city, postal_code or country."""
    error = body.get("error")
    return (
        isinstance(error, Mapping)
        and error.get("code") == "parameter_missing"
        and str(error.get("param") or "").startswith("billing_details[address]")
    )


def _error_message(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return error["message"][:300]
    return ""


def _declined(error: stripe.CardError) -> CardDeclined:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    details = found if isinstance(found := body.get("error"), dict) else {}
    intent = details.get("payment_intent")
    return CardDeclined(
        _error_message(body) or "Your card was declined.",
        code=str(details.get("code") or ""),
        decline_code=str(details.get("decline_code") or ""),
        intent=intent if isinstance(intent, dict) else {},
        instrument=card_label(details.get("payment_method")),
    )
