"""Contract: NOWPayments' x-nowpayments-sig, signed by an implementation written here.

NOWPayments publishes no official Python library that signs IPNs. Its documentation gives the
algorithm as Node code — hex HMAC-SHA512(IPN secret, JSON.stringify(sortObject(body))) with

    function sortObject(obj) {
      return Object.keys(obj).sort().reduce((result, key) => {
        result[key] = (obj[key] && typeof obj[key] === 'object') ? sortObject(obj[key]) : obj[key]
        return result
      }, {})
    }

— so the text NOWPayments signs is what Node makes of that. `node_signed_text` below is an
independent implementation of exactly those JavaScript steps, written from ECMA-262 and sharing
nothing with Paydesk's nowpayments/webhooks.py:

- JSON.parse reads every number as the nearest double (`float` here), 1e400 as Infinity;
- `Object.keys(obj).sort()` compares UTF-16 code units; arrays are objects to `sortObject`, so
  they come out keyed "0", "1", …; `result[key] = …` on a plain object makes array-index keys
  (canonical integers up to 2³²−2) list first in numeric order, and "__proto__" sets the
  prototype instead of a property, so that key is not signed;
- JSON.stringify writes a number with Number::toString (the fewest digits that read back as
  the same double, found here by searching decimal candidates, then laid out: 1e-7, 0.000001,
  1e+21, 100), a non-finite one as null, -0 as 0, and escapes strings per QuoteJSONString
  (lowercase \\u00xx for controls, lone surrogates escaped, everything else raw UTF-8).

The published example (vectors.json, computed with Node 20) must come out of it exactly. Then
for fixed and Hypothesis-generated IPNs — nested objects and arrays, numbers written as 1e-7,
0.1, 100.0, 1.50, 1E+2, -0, 5e-324, 1e400 — Paydesk must produce the same text, accept the
signature, accept it again when a number is written another way with the same value, and refuse
it when any value, key or the secret changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.nowpayments.webhooks import (
    nowpayments_signature_verify,
    nowpayments_signed_text,
)
from tests.gateways.contract import CONTRACT, one_hex_digit_changed

pytestmark = pytest.mark.sqlite_pass_only

SECRET = "contract_ipn_secret"

# --- NOWPayments' Node steps, written from ECMA-262 ----------------------------------------


def _shortest_digits(x: float) -> tuple[str, int]:
    """(s, n) for a positive finite double: the fewest digits s (k of them) such that
    s × 10^(n−k) reads back as x, the closest to x when several do (ties: even last digit)."""
    with localcontext() as context:
        context.prec = 1200
        exact = Decimal(x)
        for k in range(1, 18):
            nearest = Decimal(format(x, f".{k - 1}e"))
            step = Decimal((0, (1,), nearest.as_tuple().exponent))
            fits = [d for d in (nearest - step, nearest, nearest + step) if d > 0 and float(d) == x]
            if fits:
                best = min(fits, key=lambda d: (abs(d - exact), d.as_tuple().digits[-1] % 2))
                best = best.normalize()
                return "".join(map(str, best.as_tuple().digits)), best.adjusted() + 1
    raise AssertionError(f"no decimal of ≤ 17 digits reads back as {x!r}")


def js_number(x: float) -> str:
    """JSON.stringify of a number: Number::toString(x) (ECMA-262 6.1.6.1.20), null if not finite."""
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number(-x)
    s, n = _shortest_digits(x)
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + s
    exponent = f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return s + exponent if k == 1 else f"{s[0]}.{s[1:]}{exponent}"


_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def js_quote(text: str) -> str:
    """QuoteJSONString: the short escapes, \\u00xx (lowercase) below U+0020 and for lone
    surrogates, every other character as itself."""
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _utf16_units(key: str) -> list[int]:
    units = []
    for char in key:
        code = ord(char)
        if code >= 0x10000:
            code -= 0x10000
            units += [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
        else:
            units.append(code)
    return units


def _is_array_index(key: str) -> bool:
    return re.fullmatch(r"0|[1-9][0-9]*", key) is not None and int(key) <= 2**32 - 2


def sort_object(value: dict | list) -> list[tuple[str, Any]]:
    """sortObject(value) as the (key, value) pairs of the object it returns, in the order
    JavaScript then lists them."""
    items = (
        {str(index): item for index, item in enumerate(value)} if isinstance(value, list) else value
    )
    pairs = []
    for key in sorted(items, key=_utf16_units):  # Object.keys(obj).sort()
        if key == "__proto__":  # result["__proto__"] = … sets the prototype: no property
            continue
        item = items[key]
        # (obj[key] && typeof obj[key] === 'object'): every object and array, even empty
        pairs.append((key, sort_object(item) if isinstance(item, dict | list) else item))
    indices = sorted(
        (pair for pair in pairs if _is_array_index(pair[0])), key=lambda pair: int(pair[0])
    )
    return indices + [pair for pair in pairs if not _is_array_index(pair[0])]


def js_stringify(value: Any) -> str:
    if isinstance(value, list):  # pairs made by sort_object
        return "{" + ",".join(f"{js_quote(key)}:{js_stringify(item)}" for key, item in value) + "}"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return js_number(value)
    return js_quote(value)


def _no_constant(name: str) -> None:
    raise ValueError(f"JSON.parse refuses {name}")


def node_signed_text(body: bytes) -> str:
    """JSON.stringify(sortObject(JSON.parse(body)))."""
    parsed = json.loads(
        body.decode("utf-8"), parse_float=float, parse_int=float, parse_constant=_no_constant
    )
    assert isinstance(parsed, dict)
    return js_stringify(sort_object(parsed))


def nowpayments_signs(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(
        secret.encode(), node_signed_text(body).encode("utf-8"), hashlib.sha512
    ).hexdigest()


def paydesk_accepts(body: bytes, signature: str, secret: str = SECRET) -> bool:
    try:
        nowpayments_signature_verify(body=body, signature=signature, secret=secret)
    except WebhookSignatureInvalid:
        return False
    return True


# --- bodies with numbers written in every way ----------------------------------------------


class Number(str):
    """A number's literal text in a generated body."""


def _json_string(text: str, ensure_ascii: bool) -> str:
    """A JSON string; a lone surrogate (no UTF-8 for it) always as its \\u escape."""
    return re.sub(
        "[\ud800-\udfff]",
        lambda match: f"\\u{ord(match.group()):04x}",
        json.dumps(text, ensure_ascii=ensure_ascii),
    )


def write(value: Any, *, ensure_ascii: bool = False) -> str:
    """A body as a gateway might send it: keys in the generated order, numbers as written."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{_json_string(key, ensure_ascii)}:{write(item, ensure_ascii=ensure_ascii)}"
                for key, item in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(write(item, ensure_ascii=ensure_ascii) for item in value) + "]"
    if isinstance(value, str):
        return _json_string(value, ensure_ascii)
    return json.dumps(value)


def spellings(x: float) -> list[str]:
    """Ways a JSON number with the value of `x` can be written."""
    forms = [
        repr(x),
        format(x, ".17g"),
        format(x, ".17E"),
        js_number(x),
        format(Decimal(x), "f") if abs(x) < 1e30 else repr(x),
    ]
    if x == int(x) and abs(x) < 1e20:
        forms += [str(int(x)), f"{int(x)}.000", f"{int(x)}e0"]
    return forms


FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            1e-7,
            0.1,
            100.0,
            1.5,
            0.0000012,
            0.0000001,
            1e21,
            1e-6,
            123e-20,
            5e-324,
            9007199254740993.0,
            155.38559757,
            0.30000000000000004,
            -0.0,
        ]
    ),
)
NUMBERS = st.one_of(
    st.builds(lambda x, i: Number(spellings(x)[i % len(spellings(x))]), FLOATS, st.integers(0, 7)),
    st.integers(-(2**70), 2**70).map(lambda i: Number(str(i))),
    st.sampled_from(["1e400", "-1e400", "2e-400", "-0", "1.50", "1E+2", "100.0", "0.10"]).map(
        Number
    ),
)
# Text with lone surrogates too: a JSON body may carry them escaped (\ud800), and
# JSON.stringify writes them escaped again.
TEXT = st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=12)
KEYS = st.one_of(
    TEXT.filter(lambda key: key != "__proto__"),  # Node drops it: its own test below
    st.sampled_from(
        [
            "0",
            "9",
            "10",
            "01",
            "4294967294",
            "4294967295",
            "a",
            "B",
            "é",
            "😀",
            "ｚ",
            "payment_id",
            "fee",
            "price_amount",
            "pay_amount",
        ]
    ),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
TREES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=16,
)
IPNS = st.builds(
    lambda payment_id, status, amount, rest: {
        "payment_id": payment_id,
        "payment_status": status,
        "price_amount": amount,
        **rest,
    },
    st.integers(1, 10**11).map(lambda i: Number(str(i))),
    st.sampled_from(["finished", "partially_paid", "waiting"]),
    NUMBERS,
    st.dictionaries(KEYS, TREES, max_size=5),
)


def leaf_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaf_paths(item, (*path, index))]
    return [path]


def changed(value: Any, path: tuple, how: str) -> Any:
    """`value` with the leaf at `path` given another value ("value") or written another way
    with the same value ("spelling")."""
    if not path:
        if how == "spelling":
            if isinstance(value, Number):
                x = float(value)
                if not math.isfinite(x):  # 1e400 → 1e4000: Infinity all the same
                    return Number(value + "0")
                return Number(next((s for s in spellings(x) if s != value), value))
            return value
        if isinstance(value, Number):
            x = float(value)
            return Number(repr(x * 2 + 1) if math.isfinite(x * 2 + 1) else "1")
        if isinstance(value, str):
            return value + "x"
        if isinstance(value, bool):
            return not value
        return 0 if value is None else None
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {
            key: changed(item, rest, how) if key == head else item for key, item in value.items()
        }
    return [changed(item, rest, how) if index == head else item for index, item in enumerate(value)]


# --- the tests -----------------------------------------------------------------------------


def test_the_published_example_comes_out_of_the_node_steps_and_paydesk_accepts_it(vectors):
    vector = vectors["nowpayments_ipn_signature"]
    body = vector["body"].encode()
    text = node_signed_text(body)
    assert '"fee":{"currency":"btc","depositFee":0.0000012,"serviceFee":1e-7,' in text
    signature = hmac.new(vector["secret"].encode(), text.encode(), hashlib.sha512).hexdigest()
    assert signature == vector["hmac_sha512_hex_recursive_sort"]
    assert nowpayments_signed_text(body) == text
    assert paydesk_accepts(body, signature, vector["secret"])
    assert not paydesk_accepts(body, signature, "another_ipn_secret")


FIXED = {
    "numbers": (
        b'{"z":1e-7,"a":0.1,"m":100.0,"b":1.50,"c":1E+2,"d":-0,"e":5e-324,"f":1e400,'
        b'"g":0.000001,"h":1e21,"i":123456789012345678901234,"j":9007199254740993,"k":-1e-7}',
        '{"a":0.1,"b":1.5,"c":100,"d":0,"e":5e-324,"f":null,"g":0.000001,"h":1e+21,'
        '"i":1.2345678901234569e+23,"j":9007199254740992,"k":-1e-7,"m":100,"z":1e-7}',
    ),
    "nested": (
        b'{"payment_id":1,"fee":{"serviceFee":0.0000001,"depositFee":0.0000012,'
        b'"currency":"btc"},"outcome":{"amount":{"value":1.10,"exp":2}},"list":[3,{"b":1,"a":2}],'
        b'"empty":[],"none":null,"flag":false}',
        '{"empty":{},"fee":{"currency":"btc","depositFee":0.0000012,"serviceFee":1e-7},'
        '"flag":false,"list":{"0":3,"1":{"a":2,"b":1}},"none":null,'
        '"outcome":{"amount":{"exp":2,"value":1.1}},"payment_id":1}',
    ),
    "keys": (
        '{"b":1,"a":2,"10":3,"9":4,"01":5,"4294967295":6,"4294967294":7,"é":8,"😀":9,"ｚ":10}'.encode(),
        '{"9":4,"10":3,"4294967294":7,"01":5,"4294967295":6,"a":2,"b":1,"é":8,"😀":9,"ｚ":10}',
    ),
    "strings": (
        b'{"s":"caf\\u00e9 \\u2028 \\u007f \\u0001 \\t \\"q\\" \\\\ \\/ \\ud83d\\ude00",'
        b'"t":"caf\xc3\xa9"}',
        '{"s":"caf\u00e9 \u2028 \u007f \\u0001 \\t \\"q\\" \\\\ / \U0001f600","t":"caf\u00e9"}',
    ),
    "lone surrogates": (
        b'{"s":"\\ud800x\\udfff","k\\udc00":1,"k\\ud83d\\ude00":2,"kz":3}',
        '{"kz":3,"k\U0001f600":2,"k\\udc00":1,"s":"\\ud800x\\udfff"}',
    ),
}


@pytest.mark.parametrize("name", FIXED)
def test_fixed_bodies_sign_the_text_node_writes(name):
    body, node_text = FIXED[name]  # node_text: what Node 20 wrote for this body
    assert node_signed_text(body) == node_text
    assert nowpayments_signed_text(body) == node_text
    signature = nowpayments_signs(body)
    assert paydesk_accepts(body, signature)
    assert not paydesk_accepts(body, one_hex_digit_changed(signature, 5))
    assert not paydesk_accepts(body, signature, SECRET + "x")


def test_a_proto_key_is_not_signed_by_node_and_paydesk_then_refuses():
    """Node's sortObject drops "__proto__"; Paydesk signs every key, so it refuses such a body
    rather than accept a field nobody signed (NOWPayments' IPNs have no such key)."""
    body = b'{"__proto__":{"price_amount":1},"payment_id":5,"payment_status":"finished"}'
    assert node_signed_text(body) == '{"payment_id":5,"payment_status":"finished"}'
    assert not paydesk_accepts(body, nowpayments_signs(body))


@CONTRACT
@given(ipn=IPNS, ensure_ascii=st.booleans(), pick=st.integers(0, 10**6))
@example(
    ipn={
        "payment_id": Number("5077125051"),
        "payment_status": "finished",
        "price_amount": Number("100.0"),
        "fee": {"serviceFee": Number("0.0000001"), "depositFee": Number("1.2e-06")},
    },
    ensure_ascii=False,
    pick=0,
)
@example(
    ipn={
        "payment_id": Number("1"),
        "payment_status": "waiting",
        "price_amount": Number("1"),
        "order_description": "\udc00 lone",
        "\ud83d": [True],
    },
    ensure_ascii=False,
    pick=1,
)
def test_paydesk_signs_what_node_signs_and_refuses_any_change(ipn, ensure_ascii, pick):
    body = write(ipn, ensure_ascii=ensure_ascii).encode("utf-8")
    text = node_signed_text(body)
    assert nowpayments_signed_text(body) == text
    signature = nowpayments_signs(body)
    assert paydesk_accepts(body, signature)
    assert not paydesk_accepts(body, signature, SECRET + "x")

    paths = leaf_paths(ipn)
    path = paths[pick % len(paths)]
    respelled = write(changed(ipn, path, "spelling"), ensure_ascii=ensure_ascii).encode()
    assert node_signed_text(respelled) == text  # the same values: the same signed text
    assert paydesk_accepts(respelled, signature)

    tampered = write(changed(ipn, path, "value"), ensure_ascii=ensure_ascii).encode()
    if node_signed_text(tampered) != text:  # e.g. not -0 → 0, which JavaScript writes alike
        assert not paydesk_accepts(tampered, signature)
    renamed = dict(ipn)
    renamed["payment_status "] = renamed.pop("payment_status")
    assert not paydesk_accepts(write(renamed, ensure_ascii=ensure_ascii).encode(), signature)
