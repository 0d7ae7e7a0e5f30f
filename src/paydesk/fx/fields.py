"""The exact rate: a Decimal in Python, an integer of 1/10,000,000,000 in the database.

Why an integer: Django's DecimalField is a floating-point REAL on SQLite, so a rate such as
1.0512 would not come back exactly. An integer of ten-billionths is exact on SQLite and
PostgreSQL alike, sorts and compares numerically, and lets the database itself refuse a rate
that is not positive (a CHECK constraint), which a string column could not. Ten decimals hold
every rate the ECB has ever published (at most 6 significant digits) and any rate Finance types.
This module never rounds a rate: one with more than 10 decimals is refused, never truncated.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models

from paydesk.errors import InvalidRate

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

RATE_PLACES = 10
RATE_SCALE = 10**RATE_PLACES
# Largest rate stored (10^9 ten-billionths fit a signed 64-bit integer with room to spare).
MAX_RATE = Decimal(10**8)

_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?|\.\d+")


def plain_rate(rate: Decimal) -> Decimal:
    """The same value without trailing zeros or an exponent: 1.0512000000 → 1.0512, 1E+4 → 10000."""
    rate = rate.normalize()
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        rate = rate.quantize(Decimal(1))
    return rate


RATE_DISPLAY_DIGITS = 6  # the ECB publishes at most 6 significant digits


def rate_short(rate: Decimal) -> str:
    """A rate for people to read: 6 significant digits (never fewer than its whole part), no
    trailing zeros — 1.0845237190 → 1.08452, 0.0091234567 → 0.00912346, 1 → 1. Rounds for
    display only: show the exact rate (plain_rate) beside it, e.g. in a title."""
    rate = plain_rate(rate)
    if rate == 0:
        return "0"
    places = max(0, RATE_DISPLAY_DIGITS - 1 - rate.adjusted())
    if places >= _exact_places(rate):
        return f"{rate:f}"
    return f"{plain_rate(rate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)):f}"


def _exact_places(value: Decimal) -> int:
    """Decimals `value` really has, counted digit by digit (normalize() would round past 28)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing_zeros)


def to_rate(value: object, *, field: str = "rate") -> Decimal:
    """A positive exact rate, at most 10 decimals, from a Decimal, int or string; never a float."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidRate("Rates must be exact decimals, never floats.", field=field)
    if isinstance(value, Decimal):
        rate = value
    elif isinstance(value, int):
        rate = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise InvalidRate(f"'{value}' is not a rate like 1.0512.", field=field)
        rate = Decimal(text)
    else:
        raise InvalidRate(f"{value!r} is not a rate.", field=field)
    if not rate.is_finite() or rate <= 0:
        raise InvalidRate("A rate must be a number greater than zero.", field=field)
    if rate > MAX_RATE:
        raise InvalidRate(f"A rate above {MAX_RATE} is not accepted.", field=field)
    if _exact_places(rate) > RATE_PLACES:
        raise InvalidRate(f"A rate has at most {RATE_PLACES} decimal places.", field=field)
    return plain_rate(rate)


def rate_to_units(rate: Decimal) -> int:
    """The database integer of ten-billionths for an exact rate."""
    return int(to_rate(rate).scaleb(RATE_PLACES))


def rate_from_units(units: int) -> Decimal:
    return plain_rate(Decimal(int(units)).scaleb(-RATE_PLACES))


class RateField(models.BigIntegerField):
    """An exact positive rate with at most 10 decimals, stored as an integer of 1/10^10."""

    description = "Exact exchange rate (integer of ten-billionths in the database)"
    # django-stubs' plugin types the model attribute from these: a Decimal, not the column's int.
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return rate_from_units(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return to_rate(value)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        # Zero may appear in a lookup or a CHECK constraint (rate > 0), never as a stored rate.
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and value == 0:
            return 0
        return rate_to_units(value)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        defaults = {"decimal_places": RATE_PLACES, "max_digits": 19, "min_value": Decimal("1e-10")}
        return (form_class or forms.DecimalField)(**{**defaults, **kwargs})
