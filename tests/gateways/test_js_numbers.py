"""NOWPayments' canonical text writes numbers as JavaScript does: the shortest round-trip
digits of the double (checked here against Python's float repr) laid out by JavaScript's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.nowpayments.webhooks import _js_number


def same_digits_as_float(literal: str) -> None:
    reference = float(literal)
    written = _js_number(literal)
    if reference in (float("inf"), float("-inf")):
        assert written == "null"
    elif reference == 0:
        assert written == "0"
    else:
        assert Decimal(written) == Decimal(repr(reference))
        assert len(Decimal(written).normalize().as_tuple().digits) == len(
            Decimal(repr(reference)).normalize().as_tuple().digits
        )


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(5e-324)
@example(2.2250738585072014e-308)  # the smallest normal
@example(1.7976931348623157e308)
@example(1e23)
@example(9007199254740993.0)
def test_every_double_is_written_with_floats_shortest_digits(value):
    same_digits_as_float(repr(value))


@settings(max_examples=400, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
@example(Decimal("9007199254740993"))  # 2**53 + 1: a tie, read as the even 2**53
@example(Decimal("2.4703282292062327e-324"))  # just below half the smallest subnormal → 0
@example(Decimal("2.4703282292062328e-324"))  # just above → 5e-324
@example(Decimal("1.7976931348623158e308"))  # rounds to the largest double
@example(Decimal("1.7976931348623159e308"))  # rounds to Infinity
@example(Decimal("0.30000000000000000000000000001"))
@example(Decimal("-155.38559757"))
def test_every_decimal_literal_reads_as_javascript_reads_it(value):
    same_digits_as_float(str(value))


@pytest.mark.parametrize(
    ("literal", "written"),
    [
        ("0.0000012", "0.0000012"),
        ("0.0000001", "1e-7"),
        ("1.50", "1.5"),
        ("170", "170"),
        ("1E+2", "100"),
        ("1e21", "1e+21"),
        ("123456789012345678901", "123456789012345680000"),
        ("-0.0", "0"),
        ("5e-324", "5e-324"),
        ("1e400", "null"),
        ("-1e-400", "0"),
        ("0.000001", "0.000001"),
        ("-2.5e-7", "-2.5e-7"),
    ],
)
def test_javascript_layout(literal, written):
    assert _js_number(literal) == written


def test_an_absurdly_long_number_is_refused():
    with pytest.raises(WebhookSignatureInvalid):
        _js_number("1." + "3" * 5000)
