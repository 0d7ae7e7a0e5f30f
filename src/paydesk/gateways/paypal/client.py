"""PayPal's REST API, as Paydesk uses it: an OAuth2 client-credentials token, then Orders v2
(create, get, capture). Every call goes through GatewayHttp (timeouts, 5xx and non-JSON become
GatewayUnavailable; the payment log records each call, redacted).

- `POST /v1/oauth2/token` (Basic client_id:secret, form `grant_type=client_credentials`): the
  token is kept per process until TOKEN_MARGIN seconds before its `expires_in`, and never
  logged (the summary redaction drops `access_token`). A 401 on an API call drops it and asks
  for a new one once.
- `POST /v2/checkout/orders`: intent CAPTURE, one purchase unit whose reference_id, custom_id
  and invoice_id are our payment's reference, the amount as a decimal string (no decimals for
  HUF, JPY, TWD), and the PayPal experience (return and cancel URLs, PAY_NOW). The header
  `PayPal-Request-Id` is the checkout's idempotency key: the same key gives the same order.
- `GET /v2/checkout/orders/{id}` (an id outside Orders v2's `^[A-Z0-9]+$`, 1 to 36, is refused
  before sending); `POST /v2/checkout/orders/{id}/capture` with
  `PayPal-Request-Id: capture:<order id>`, so a return and a reconciliation capturing at once
  capture once.
- `POST /v2/payments/captures/{capture id}/refund` (Payments v2): the amount, `custom_id` = our
  refund row's reference (PayPal echoes it on the refund and its PAYMENT.CAPTURE.REFUNDED
  webhook) and `note_to_payer` (on one line); `PayPal-Request-Id` = the refund's idempotency
  key, so a retry answers the same refund (PayPal keeps the keys 45 days).
- `GET /v2/payments/refunds/{id}`: where a refund stands now (reconciliation).

PayPal's error bodies are `{name, message, details: [{issue, description}], debug_id}` (and
`{error, error_description}` from the OAuth endpoint); a 4xx becomes PayPalRefusal carrying the
first issue, for the adapter to map.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import Answer, GatewayHttp, gateway_base_url
from paydesk.money import Money

GATEWAY_NAME = "paypal"
DISPLAY_NAME = "PayPal"
LIVE_API = "https://api-m.paypal.com"
# Currencies PayPal's REST API takes (its currency-codes reference).
CURRENCIES = frozenset(
    {
        "AUD",
        "BRL",
        "CAD",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "HKD",
        "HUF",
        "ILS",
        "JPY",
        "MYR",
        "MXN",
        "TWD",
        "NZD",
        "NOK",
        "PHP",
        "PLN",
        "GBP",
        "SGD",
        "SEK",
        "CHF",
        "THB",
        "USD",
    }
)
NO_DECIMALS = frozenset({"HUF", "JPY", "TWD"})  # PayPal refuses decimals: DECIMALS_NOT_SUPPORTED
# Orders v2's `{id}` path parameter (its OpenAPI file): capitals and digits, 1 to 36 of them.
ORDER_ID = re.compile(r"[A-Z0-9]{1,36}")
TOKEN_MARGIN = 60  # seconds before expires_in that a cached token is renewed

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class PayPalRefusal(GatewayError):
    """PayPal answered 4xx: `status`, and its error's `name` and first `issue`."""

    code = "gateway_refused"

    def __init__(self, message: str, *, status: int, name: str = "", issue: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.issue = issue


def paypal_amount_value(amount: Money) -> str:
    """The decimal string PayPal wants: `10.00`, `1500` (JPY), `2500` (HUF, TWD: whole only)."""
    if amount.currency not in CURRENCIES:
        raise GatewayError(f"PayPal does not take {amount.currency}.")
    if amount.currency in NO_DECIMALS:
        if amount.amount != amount.amount.to_integral_value():
            raise GatewayError(f"PayPal takes only whole {amount.currency} amounts.")
        return f"{amount.amount.quantize(Decimal(1)):f}"
    return f"{amount.amount.quantize(Decimal(1).scaleb(-amount.exponent)):f}"


def _refusal(answer: Answer, what: str) -> PayPalRefusal:
    body = answer.body if isinstance(answer.body, Mapping) else {}
    name = str(body.get("name") or body.get("error") or "")
    details = body.get("details")
    first = details[0] if isinstance(details, list) and details else {}
    first = first if isinstance(first, Mapping) else {}
    issue = str(first.get("issue") or "")
    description = str(
        first.get("description") or body.get("message") or body.get("error_description") or ""
    )
    label = issue or name or f"HTTP {answer.status}"
    text = f"PayPal refused {what} ({label})"
    return PayPalRefusal(
        f"{text}: {description}" if description else f"{text}.",
        status=answer.status,
        name=name,
        issue=issue,
    )


class PayPalClient:
    """One PayPal account (settings read when built: build one per use)."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.client_id = gateway_credential("PAYDESK_PAYPAL_CLIENT_ID")
        self.client_secret = gateway_credential("PAYDESK_PAYPAL_CLIENT_SECRET")
        self.base_url = gateway_base_url(
            "PAYDESK_PAYPAL_API_BASE", live=LIVE_API, sandbox_path="paypal"
        )
        self._transport = transport

    def _http(self, **options: Any) -> GatewayHttp:
        return GatewayHttp(
            gateway=GATEWAY_NAME,
            display_name=DISPLAY_NAME,
            base_url=self.base_url,
            transport=self._transport,
            **options,
        )

    # --- OAuth -------------------------------------------------------------------------

    def access_token(self, *, payment_reference: str = "", renew: bool = False) -> str:
        """A bearer token, from this process's cache while it has TOKEN_MARGIN seconds left."""
        if not (self.client_id and self.client_secret):
            raise GatewayUnavailable("PayPal's client id or secret is not set.")
        key = (self.base_url, self.client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if renew:
                _tokens.pop(key, None)
            elif cached and cached[1] > time.monotonic():
                return cached[0]
        answer = self._http(auth=(self.client_id, self.client_secret)).request(
            "POST",
            "/v1/oauth2/token",
            form={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
            payment_reference=payment_reference,
        )
        body = answer.body if isinstance(answer.body, Mapping) else {}
        if answer.status in (401, 403):
            # A wrong key is the operator's to fix, never the customer's payment's fault: the
            # payment stays pending (reconciliation asks again) instead of being cancelled.
            raise GatewayUnavailable(
                f"PayPal refused Paydesk's API credentials ({body.get('error') or answer.status})."
            )
        if not answer.ok:
            raise _refusal(answer, "the access token request")
        token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(token, str) or not token:
            raise GatewayUnavailable("PayPal answered the token request without a token.")
        lifetime = expires_in if isinstance(expires_in, int) and expires_in > 0 else 0
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN, 0))
        return token

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        request_id: str = "",
        payment_reference: str = "",
    ) -> Answer:
        headers = {"Prefer": "return=representation", "Accept": "application/json"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        for renew in (False, True):
            token = self.access_token(payment_reference=payment_reference, renew=renew)
            answer = self._http().request(
                method,
                path,
                json_body=json_body,
                headers={**headers, "Authorization": f"Bearer {token}"},
                payment_reference=payment_reference,
                idempotency_key=request_id,
            )
            if answer.status != 401:
                return answer
        raise GatewayUnavailable("PayPal refused Paydesk's access token twice.")

    # --- Orders v2 ---------------------------------------------------------------------

    def order_create(
        self,
        *,
        reference: str,
        amount: Money,
        description: str,
        return_url: str,
        cancel_url: str,
        request_id: str,
    ) -> dict[str, Any]:
        """Create an order to capture `amount` for our payment `reference`; the order's JSON.
        `request_id` is required: Orders v2 refuses an order with a `payment_source` and no
        `PayPal-Request-Id` (PAYPAL_REQUEST_ID_REQUIRED), and it is what makes a retry safe."""
        if not request_id:
            raise GatewayError("A PayPal order needs a PayPal-Request-Id.")
        body = {
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": reference,
                    "custom_id": reference,
                    "invoice_id": reference,
                    "description": description[:127],
                    "amount": {
                        "currency_code": amount.currency,
                        "value": paypal_amount_value(amount),
                    },
                }
            ],
            "payment_source": {
                "paypal": {
                    "experience_context": {
                        "return_url": return_url,
                        "cancel_url": cancel_url,
                        "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                    }
                }
            },
        }
        answer = self._call(
            "POST",
            "/v2/checkout/orders",
            json_body=body,
            request_id=request_id,
            payment_reference=reference,
        )
        return self._order(answer, "the order")

    def order_get(self, order_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        answer = self._call(
            "GET", f"/v2/checkout/orders/{_safe_id(order_id)}", payment_reference=payment_reference
        )
        return self._order(answer, f"to show order {order_id}")

    def order_capture(self, order_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """Capture an approved order (idempotent: `PayPal-Request-Id: capture:<order id>`)."""
        order_id = _safe_id(order_id)
        answer = self._call(
            "POST",
            f"/v2/checkout/orders/{order_id}/capture",
            json_body={},
            request_id=f"capture:{order_id}",
            payment_reference=payment_reference,
        )
        return self._order(answer, f"to capture order {order_id}")

    # --- Payments v2 -------------------------------------------------------------------

    def capture_refund(
        self,
        capture_id: str,
        *,
        amount: Money,
        custom_id: str,
        note_to_payer: str,
        request_id: str,
        payment_reference: str = "",
    ) -> dict[str, Any]:
        """Refund `amount` of a completed capture; the refund's JSON (`id`, `status`…)."""
        capture_id = _safe_id(capture_id, "capture")
        body: dict[str, Any] = {
            "amount": {"currency_code": amount.currency, "value": paypal_amount_value(amount)},
            "custom_id": custom_id[:127],
        }
        # one line: Payments v2's pattern for it is `^.*$`, which refuses a line break
        note = " ".join(note_to_payer.split())
        if note:
            body["note_to_payer"] = note[:255]
        answer = self._call(
            "POST",
            f"/v2/payments/captures/{capture_id}/refund",
            json_body=body,
            request_id=request_id,
            payment_reference=payment_reference,
        )
        if not answer.ok:
            raise _refusal(answer, f"to refund capture {capture_id}")
        refund = answer.body
        if not isinstance(refund, dict) or not isinstance(refund.get("id"), str):
            raise GatewayUnavailable("PayPal answered without a refund.")
        return refund

    def refund_get(self, refund_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """`GET /v2/payments/refunds/{id}`: one refund as PayPal has it now."""
        refund_id = _safe_id(refund_id, "refund")
        answer = self._call(
            "GET", f"/v2/payments/refunds/{refund_id}", payment_reference=payment_reference
        )
        if not answer.ok:
            raise _refusal(answer, f"to show refund {refund_id}")
        refund = answer.body
        if not isinstance(refund, dict) or refund.get("id") != refund_id:
            raise GatewayUnavailable(f"PayPal answered without refund {refund_id}.")
        return refund

    @staticmethod
    def _order(answer: Answer, what: str) -> dict[str, Any]:
        if not answer.ok:
            raise _refusal(answer, what)
        body = answer.body
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise GatewayUnavailable("PayPal answered without an order.")
        return body


def _safe_id(order_id: str, kind: str = "order") -> str:
    """PayPal's ids are letters and digits; anything else never reaches a URL path. An order id
    is what Orders v2's OpenAPI file allows in its path (ORDER_ID); Payments v2 sets no pattern
    for a capture id: ASCII letters and digits, at most 64."""
    if kind == "order":
        ok = ORDER_ID.fullmatch(order_id) is not None
    else:
        ok = bool(order_id) and order_id.isascii() and order_id.isalnum() and len(order_id) <= 64
    if not ok:
        raise GatewayError(f"That is not a PayPal {kind} id.")
    return order_id


def order_link(order: Mapping[str, Any], *rels: str) -> str:
    """The href of the first link of `order` whose rel is one of `rels` (in that preference)."""
    links = order.get("links")
    found = {
        str(link.get("rel")): str(link.get("href") or "")
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, Mapping)
    }
    for rel in rels:
        if found.get(rel):
            return found[rel]
    return ""
