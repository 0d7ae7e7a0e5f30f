"""NOWPayments' IPN signature, made by the sandbox itself from NOWPayments' documentation, never
with Paydesk's code:

    x-nowpayments-sig = hex HMAC-SHA512(IPN secret, JSON.stringify(sortObject(body)))

where NOWPayments' own example `sortObject` rebuilds every object (and array) from its keys
sorted; JSON.stringify then writes it compactly. NOWPayments runs on Node, so its IPN bodies and
the signed text print numbers as JavaScript does (`10.5`, never `10.50`; `0.0000012`, but
`1e-7` below a millionth: `js_json`). The bodies the sandbox sends keep their amounts' own
digits (`0.00010000`: `literal_json`), as NOWPayments' published example body does, so a
receiver that signs the body's literal text instead of re-writing it fails as it would live.

Numbers are Decimals here, never floats. A JavaScript number is a double; a decimal of at most
15 significant digits survives the trip through a double unchanged, so for those the digits
JavaScript prints are the decimal's own, laid out by Number#toString's rules. The sandbox never
makes a longer one, and refuses to write one rather than print it differently from Node.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

SIGNATURE_HEADER = "x-nowpayments-sig"
_EXACT_DIGITS = 15


def js_number(value: Decimal | int) -> str:
    """`value` as JavaScript's Number#toString writes it (ECMA-262 Number::toString)."""
    number = Decimal(value)
    if number == 0:
        return "0"
    sign, digit_tuple, exponent = number.normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    if len(digits) > _EXACT_DIGITS:
        raise ValueError(f"{value} has more digits than a JavaScript number keeps.")
    k, n = len(digits), int(exponent) + len(digits)  # value = 0.digits × 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return ("-" if sign else "") + text


def js_json(value: Any) -> str:
    """`value` as JSON.stringify writes it: compact, keys in the order given, numbers as
    JavaScript prints them, strings unescaped beyond what JSON needs."""
    return _json(value, js_number)


def literal_json(value: Any) -> str:
    """`value` as compact JSON keeping each Decimal's own digits (`0.00010000` stays so), the
    way the sandbox writes its bodies: NOWPayments' published IPN example carries such literals
    (`0.0000001`, which JavaScript would print `1e-7`), so the text it signs is not the body."""
    return _json(value, lambda number: format(Decimal(number), "f"))


def _json(value: Any, number: Callable[[Decimal | int], str]) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(
            f"{_json(str(key), number)}:{_json(item, number)}" for key, item in value.items()
        ) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(item, number) for item in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | Decimal):
        return number(value)
    raise TypeError(f"The sandbox writes no {type(value).__name__} into NOWPayments JSON.")


def sort_object(value: Any) -> Any:
    """NOWPayments' `sortObject`: every object's keys sorted (UTF-16 order, as JavaScript's
    default sort), recursively; an array comes out as an object keyed "0", "1", … as that
    function makes it. (The sandbox's own bodies have no arrays and no integer-like keys.)"""
    if isinstance(value, list):
        value = {str(index): item for index, item in enumerate(value)}
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
        return {key: sort_object(value[key]) for key in keys}
    return value


def signed_text(body: bytes) -> str:
    """What NOWPayments signs for `body`: its JSON re-read, sorted and written again."""
    parsed = json.loads(body.decode("utf-8"), parse_float=Decimal)
    return js_json(sort_object(parsed))


def nowpayments_signature(body: bytes, ipn_secret: str) -> str:
    """The x-nowpayments-sig of an IPN body."""
    message = signed_text(body).encode("utf-8")
    return hmac.new(ipn_secret.encode("utf-8"), message, hashlib.sha512).hexdigest()
