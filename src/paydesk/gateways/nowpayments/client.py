"""NOWPayments' API, the parts Paydesk uses (docs/gateways/nowpayments.md), through GatewayHttp.

- `POST /v1/invoice` (header `x-api-key`): a hosted invoice for `price_amount` (a JSON *number*
  in major units) in `price_currency` (a lowercase ticker); `order_id` is our payment's
  reference. NOWPayments has no idempotency header: Paydesk starts one checkout per payment
  (checkout_start's form token), and `order_id` ties every invoice and IPN to that payment.
- `GET /v1/payment/{payment_id}` (`x-api-key`): one payment, re-queried before crediting.
- `GET /v1/payment/?invoiceId=…` (`x-api-key` and `Authorization: Bearer <JWT>`): the payments
  of one invoice, for reconciliation when no IPN and no return named the payment. The JWT comes
  from `POST /v1/auth` with the account's email and password and lives 5 minutes.

Amounts are read with exact decimals (GatewayHttp); never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import Answer, GatewayHttp, JsonNumber, gateway_base_url
from paydesk.money import Money

GATEWAY = "nowpayments"
DISPLAY_NAME = "NOWPayments"
LIVE_BASE = "https://api.nowpayments.io"  # the paths below carry /v1
PAGE_SIZE = 100


def _http(*, bearer: str = "") -> GatewayHttp:
    headers = {"x-api-key": gateway_credential("PAYDESK_NOWPAYMENTS_API_KEY")}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return GatewayHttp(
        gateway=GATEWAY,
        display_name=DISPLAY_NAME,
        base_url=gateway_base_url(
            "PAYDESK_NOWPAYMENTS_API_BASE", live=LIVE_BASE, sandbox_path="nowpayments"
        ),
        headers=headers,
    )


def _refusal(answer: Answer, doing: str) -> GatewayError:
    """NOWPayments' error shape: {"status": false, "statusCode": 401, "code": "INVALID_API_KEY",
    "message": "Invalid api key"}. 429 is worth retrying; every other 4xx is not."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    code = str(body.get("code") or f"HTTP {answer.status}")[:60]
    message = str(body.get("message") or "no reason given")[:200]
    text = f"NOWPayments refused to {doing}: {message} ({code})."
    if answer.status == 429:
        return GatewayUnavailable(text)
    return GatewayError(text)


def _object(answer: Answer, doing: str) -> dict[str, Any]:
    if not answer.ok:
        raise _refusal(answer, doing)
    if not isinstance(answer.body, dict):
        raise GatewayUnavailable(f"NOWPayments answered something unusable to {doing}.")
    return answer.body


def price_amount(money: Money) -> JsonNumber:
    """The price as the JSON number NOWPayments wants: `10.5`, `100`, never a float."""
    plain = money.amount.normalize()
    if plain == plain.to_integral_value():
        plain = plain.quantize(Decimal(1))
    return JsonNumber(plain)


def invoice_create(
    *,
    amount: Money,
    order_id: str,
    description: str,
    ipn_callback_url: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str = "",
) -> dict[str, Any]:
    """`POST /v1/invoice` → the invoice (`id`, `invoice_url`, …)."""
    body = {
        "price_amount": price_amount(amount),
        "price_currency": amount.currency.lower(),
        "order_id": order_id,
        "order_description": description[:200],
        "ipn_callback_url": ipn_callback_url,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    answer = _http().request(
        "POST",
        "/v1/invoice",
        json_body=body,
        payment_reference=order_id,
        idempotency_key=idempotency_key,
    )
    invoice = _object(answer, "create the invoice")
    if not str(invoice.get("id") or "").strip() or not str(invoice.get("invoice_url") or ""):
        raise GatewayUnavailable("NOWPayments' invoice came back without its id or its page.")
    return invoice


def payment_get(payment_id: str, *, payment_reference: str = "") -> dict[str, Any]:
    """`GET /v1/payment/{payment_id}` → the payment as NOWPayments has it now."""
    if not payment_id.isdigit():
        raise GatewayError("A NOWPayments payment id is a number.")
    answer = _http().request(
        "GET", f"/v1/payment/{payment_id}", payment_reference=payment_reference
    )
    return _object(answer, f"show payment {payment_id}")


def auth_token() -> str:
    """`POST /v1/auth` with the account's email and password → a JWT (valid 5 minutes)."""
    answer = _http().request(
        "POST",
        "/v1/auth",
        json_body={
            "email": gateway_credential("PAYDESK_NOWPAYMENTS_EMAIL"),
            "password": gateway_credential("PAYDESK_NOWPAYMENTS_PASSWORD"),
        },
    )
    token = str(_object(answer, "sign in").get("token") or "")
    if not token:
        raise GatewayUnavailable("NOWPayments' sign-in answer had no token.")
    return token


def invoice_payments(invoice_id: str, *, payment_reference: str = "") -> list[dict[str, Any]]:
    """`GET /v1/payment/?invoiceId=…` → every payment made against one invoice, oldest first."""
    answer = _http(bearer=auth_token()).request(
        "GET",
        "/v1/payment/",
        params={
            "invoiceId": invoice_id,
            "limit": str(PAGE_SIZE),
            "page": "0",
            "sortBy": "created_at",
            "orderBy": "asc",
        },
        payment_reference=payment_reference,
    )
    data = _object(answer, f"list the payments of invoice {invoice_id}").get("data")
    if not isinstance(data, list):
        raise GatewayUnavailable("NOWPayments' payment list had no data.")
    return [item for item in data if isinstance(item, dict)]
