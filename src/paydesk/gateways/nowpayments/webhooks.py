"""NOWPayments IPNs: the x-nowpayments-sig check and payment statuses mapped to ours (spec §5).

Pure: no model, no database, no setting. The signature is hex HMAC-SHA512 keyed with the IPN
secret over the body as NOWPayments' Node server re-serialises it: keys sorted recursively, then
JSON.stringify. Written by hand because no library reproduces JavaScript's JSON output:

- key order: the documented `sortObject` rebuilds each object from `Object.keys(obj).sort()`
  (UTF-16 code-unit order); a JavaScript object then lists integer-like keys first, ascending;
- arrays go through the same `sortObject`, so they come out as objects keyed "0", "1", …;
- numbers are written as JavaScript writes a double: `0.0000012` stays `0.0000012`, but
  `0.0000001` becomes `1e-7` and `1.50` becomes `1.5`. Python's `json.dumps` would write
  `1.2e-06`, so numbers are parsed keeping their literal text and re-written by JS rules
  (the one float in Paydesk's code, and not money: see `_js_number`).

The published vector reproduces only this way (keeping the literal `0.0000001` does not).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.base import GatewayEvent, Outcome
from paydesk.gateways.signing import (
    hmac_hex,
    json_object,
    money_from_decimal,
    signature_matches,
    text,
)

GATEWAY_NAME = "nowpayments"
SIGNATURE_HEADER = "x-nowpayments-sig"

_COMPLETED = {"finished"}
_CANCELLED = {"failed", "refunded", "expired"}
_PENDING = {"waiting", "confirming", "confirmed", "sending", "partially_paid"}
_MAX_ARRAY_INDEX = 2**32 - 2
_MAX_DIGITS = 1000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _NumberText(str):
    """A JSON number's literal text, kept so it can be re-written the way JavaScript writes it."""


def _js_number(literal: str) -> str:
    """`literal` as JavaScript's Number#toString writes the double it parses to (ECMA-262).

    A JSON number in JavaScript IS a binary64 double, so this one place reads it as a Python
    float — never money: only the digits the gateway signed. `repr` gives the same shortest
    round-trip digits JavaScript prints; only the layout (where the exponent starts) differs.
    """
    exact = Decimal(literal)
    if len(exact.as_tuple().digits) > _MAX_DIGITS:
        raise WebhookSignatureInvalid("A number in the IPN is too long.")
    double = float(literal)
    if math.isinf(double):
        return "null"  # JSON.parse gives Infinity; JSON.stringify writes it as null
    if double == 0:
        return "0"  # JavaScript writes -0 as 0 too
    sign = "-" if double < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(double))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), int(exponent) + len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        body = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + body


def _is_array_index(key: str) -> bool:
    return (
        key.isdigit()
        and key.isascii()
        and (key == "0" or key[0] != "0")
        and (int(key) <= _MAX_ARRAY_INDEX)
    )


def _js_key_order(keys: list[str]) -> list[str]:
    """`Object.keys(obj).sort()` put back into an object, then listed as JavaScript lists it."""
    ordered = sorted(keys, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    indices = sorted((k for k in ordered if _is_array_index(k)), key=int)
    return indices + [k for k in ordered if not _is_array_index(k)]


def _js_string(value: str) -> str:
    """JSON.stringify of a string. A lone surrogate (only an escape in the body can make one:
    json.loads joins pairs) is written as its escape, as JavaScript writes it, never raw."""
    return _LONE_SURROGATE.sub(
        lambda match: f"\\u{ord(match.group()):04x}", json.dumps(value, ensure_ascii=False)
    )


def _write(value: Any, allowed: list[str] | None) -> str:
    if isinstance(value, list):
        value = {str(index): item for index, item in enumerate(value)}
    if isinstance(value, dict):
        keys = _js_key_order(list(value)) if allowed is None else [k for k in allowed if k in value]
        return (
            "{" + ",".join(f"{_js_string(key)}:{_write(value[key], allowed)}" for key in keys) + "}"
        )
    if isinstance(value, _NumberText):
        return _js_number(value)
    if isinstance(value, str):
        return _js_string(value)
    return json.dumps(value)  # true, false, null


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_float=_NumberText, parse_int=_NumberText)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookSignatureInvalid("The IPN body is not JSON.") from error


def nowpayments_signed_text(body: bytes) -> str:
    """The text NOWPayments signs: keys sorted recursively, written like JSON.stringify."""
    return _write(_parsed(body), None)


def nowpayments_signature_verify(*, body: bytes, signature: str | None, secret: str) -> None:
    """WebhookSignatureInvalid unless `signature` is HMAC-SHA512 of the recursively sorted body."""
    if not secret:
        raise WebhookSignatureInvalid("No NOWPayments IPN secret is set.")
    if not signature:
        raise WebhookSignatureInvalid("The x-nowpayments-sig header is missing.")
    try:
        message = nowpayments_signed_text(body).encode("utf-8")
    except (UnicodeEncodeError, RecursionError) as error:  # a lone surrogate; absurd nesting
        raise WebhookSignatureInvalid("The IPN body cannot be re-serialised.") from error
    expected = hmac_hex(secret=secret, message=message, digest="sha512")
    if not signature_matches(expected=expected, given=signature):
        raise WebhookSignatureInvalid("The NOWPayments signature does not match the body.")


def _outcome(status: str) -> Outcome | None:
    if status in _COMPLETED:
        return Outcome.COMPLETED
    if status in _CANCELLED:
        return Outcome.CANCELLED
    if status in _PENDING:
        return Outcome.PENDING
    return None


_IN_FLIGHT = {"confirming", "confirmed", "sending", "partially_paid"}


def _crypto_amount(value: object) -> str:
    """A crypto amount as plain text (`0.00010000`, never `1E-4`); '?' when absent."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str) and not isinstance(value, bool):
        return str(value)
    return "?"


def nowpayments_payment_event(payment: Mapping[str, Any], *, event_id: str) -> GatewayEvent | None:
    """Our event for one NOWPayments payment (an IPN's body, or `GET /v1/payment/{id}`'s
    answer, read with exact decimals); None for an unknown status.

    `partially_paid` stays pending and asks staff to look (`attention`); money on its way
    (`confirming`, `confirmed`, `sending`, `partially_paid`) is `in_flight`, so reconciliation
    never abandons it; `waiting` is pending and may be abandoned. The amount is the invoice's
    price in its fiat currency; what was sent in crypto is kept in the summary. The crypto fee is
    in another currency than the charge, so it is not reported as the payment's fee.
    """
    status = text(payment.get("payment_status"))
    outcome = _outcome(status)
    if outcome is None:
        return None
    attention = ""
    partly_received = None
    if status == "partially_paid":
        pay_currency = text(payment.get("pay_currency")).upper()
        paid = _crypto_amount(payment.get("actually_paid"))
        attention = (
            f"Partially paid: {paid} of {_crypto_amount(payment.get('pay_amount'))} "
            f"{pay_currency} received."
        )
        partly_received = (paid, pay_currency)
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id,
        outcome=outcome,
        payment_reference=text(payment.get("order_id")),
        gateway_reference=text(payment.get("invoice_id")),
        transaction_id=text(payment.get("payment_id")),
        amount=money_from_decimal(payment.get("price_amount"), payment.get("price_currency")),
        reason=f"NOWPayments payment {status}." if outcome is Outcome.CANCELLED else "",
        attention=attention,
        partly_received=partly_received,
        in_flight=status in _IN_FLIGHT,
        summary={
            "payment_status": status,
            "payment_id": text(payment.get("payment_id")),
            "pay_amount": str(payment.get("pay_amount")),
            "actually_paid": str(payment.get("actually_paid")),
            "pay_currency": text(payment.get("pay_currency")),
            "outcome_amount": str(payment.get("outcome_amount")),
        },
    )


def parse_nowpayments_event(body: bytes) -> GatewayEvent | None:
    """Our event for a payment IPN; None for an unknown status.

    The IPN has no event id and no timestamp: (payment id, status) is the de-duplication key.
    A `finished` IPN is re-queried (`GET /v1/payment/{id}`) before anything is credited: see
    gateways/nowpayments/gateway.py `nowpayments_ipn_confirm`.
    """
    ipn = json_object(body)
    payment_id = text(ipn.get("payment_id"))
    status = text(ipn.get("payment_status"))
    return nowpayments_payment_event(ipn, event_id=f"{payment_id}:{status}")
