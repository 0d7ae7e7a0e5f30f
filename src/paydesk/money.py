"""Money: exact decimal amounts, ISO 4217 exponents, the one rounding rule, and display.

This is the only module that rounds. Nothing here ever touches a float: a float handed in is
refused, because its decimal value is already wrong.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import NumberPattern, get_currency_symbol, is_currency, parse_pattern

# The ledger stores amounts as integers of ten-thousandths: exact on SQLite and PostgreSQL alike.
STORAGE_PLACES = 4
STORAGE_SCALE = 10**STORAGE_PLACES
# Largest amount the ledger accepts (well inside a signed 64-bit integer of ten-thousandths).
MAX_ABS_AMOUNT = Decimal("100000000000")  # 10^11 in any currency

# ISO 4217 minor-unit exponents that differ from 2. Everything else has 2.
_ISO_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


# Exponents of codes already checked, as given (upper case): checking a code against Babel's
# list costs more than the rest of formatting an amount (bench P6's payloads, the API's lists).
_CHECKED_EXPONENTS: dict[str, int] = {}


def currency_exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (ISO 4217): JPY 0, USD 2, KWD 3."""
    known = _CHECKED_EXPONENTS.get(currency)
    if known is not None:
        return known
    code = normalize_currency(currency)
    exponent = _ISO_EXPONENTS.get(code, 2)
    if code == currency:
        _CHECKED_EXPONENTS[code] = exponent
    return exponent


def normalize_currency(currency: str) -> str:
    """Upper-case ISO 4217 code, or InvalidCurrency."""
    from paydesk.errors import InvalidCurrency

    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not is_currency(code):
        raise InvalidCurrency(f"'{currency}' is not an ISO 4217 currency code.", field="currency")
    return code


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """An exact Decimal from a Decimal, int or string; floats and junk are refused."""
    if type(value) is Decimal and value.is_finite() and abs(value) <= MAX_ABS_AMOUNT:
        return value  # the common case, every check below passed (a posting makes several)
    from paydesk.errors import InvalidAmount

    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount("Amounts must be exact decimals, never floats.", field=field)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:  # a left-empty field: no "'' is not a number" for it
            raise InvalidAmount("Enter an amount, like 1234.56.", field=field)
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise InvalidAmount(f"'{value}' is not a number like 1234.56.", field=field)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(f"'{value}' is not a number.", field=field) from None
    else:
        raise InvalidAmount(f"'{value!r}' is not an amount.", field=field)
    if not amount.is_finite():
        raise InvalidAmount("Amounts must be finite numbers.", field=field)
    if abs(amount) > MAX_ABS_AMOUNT:
        raise InvalidAmount("That amount is too large.", field=field)
    return amount


def decimal_places(amount: Decimal) -> int:
    """How many decimals the amount really has (trailing zeros do not count)."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(STORAGE_PLACES + 1)}
_STORAGE_QUANTUM = _QUANTA[STORAGE_PLACES]


def storable(amount: Decimal) -> bool:
    """`decimal_places(amount) <= STORAGE_PLACES` for an amount `to_decimal` accepted, in one
    step: at 4 places the amount is unchanged (quantizing is exact up to MAX_ABS_AMOUNT)."""
    return amount.quantize(_STORAGE_QUANTUM) == amount


def round_half_up(amount: Decimal, places: int) -> Decimal:
    """The one rounding rule of Paydesk: half away from zero, to `places` decimals."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def to_storage_units(amount: Decimal) -> int:
    """Integer of ten-thousandths for the database; more than 4 decimals is an error."""
    amount = to_decimal(amount)
    if not storable(amount):
        from paydesk.errors import InvalidAmount

        raise InvalidAmount(f"At most {STORAGE_PLACES} decimal places are stored.")
    return int(amount.scaleb(STORAGE_PLACES))  # exact: at most 4 places, at most 10^11


def from_storage_units(units: int) -> Decimal:
    """Decimal from the database's integer of ten-thousandths, at 4 places."""
    return Decimal(int(units)).scaleb(-STORAGE_PLACES)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic across currencies is refused."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    def _same(self, other: Money) -> None:
        from paydesk.errors import InvalidCurrency

        if not isinstance(other, Money):
            raise TypeError("Money only combines with Money.")
        if other.currency != self.currency:
            raise InvalidCurrency(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def to_minor_units(self) -> int:
        """Integer of minor units; the amount must already be whole minor units."""
        from paydesk.errors import InvalidAmount

        if decimal_places(self.amount) > self.exponent:
            raise InvalidAmount(
                f"{self.currency} allows at most {self.exponent} decimal places.", field="amount"
            )
        return int(self.amount.scaleb(self.exponent))

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        return cls(Decimal(int(units)).scaleb(-currency_exponent(currency)), currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def display_places(amount: Decimal, currency: str) -> int:
    """Decimals an amount is shown with, on pages, in emails, CSV and JSON alike: the currency's
    exponent, or more when the amount really has more (trailing zeros beyond the exponent do not
    count): `10` → `10.00`, `-10.6978` → `-10.6978`, `150.0000` → `150.00`. Never fewer, so no
    amount is ever shown rounded."""
    return max(currency_exponent(currency), decimal_places(amount))


def _at_places(amount: Decimal, places: int) -> Decimal:
    """The amount written with `places` decimals; exact, as `places` >= its own decimals."""
    return amount.quantize(_QUANTA.get(places) or Decimal(1).scaleb(-places))


def plain_amount(amount: Decimal, currency: str) -> str:
    """Signed plain decimal for CSV and JSON: `-10.00`, `0.0125` — no symbol, no grouping, the
    same decimals as `format_money`."""
    # Most amounts have no more decimals than their currency: quantized to its exponent they
    # are unchanged, and that is the answer (every posting's event writes six of these).
    places = currency_exponent(currency)
    quantum = _QUANTA.get(places)
    if quantum is not None:
        exact = amount.quantize(quantum)
        if exact == amount:
            return f"{exact:f}"
    return f"{_at_places(amount, display_places(amount, currency)):f}"


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Sign, symbol, amount, code, with the currency's decimals or more when the amount has
    them (display_places), never rounded: `-$10.00 USD`, `$2,123.00 USD`, `-$10.6978 USD`,
    `$15.005 USD`. Shown rows therefore add up to the shown balance, and agree with the CSV."""
    amount = to_decimal(amount)
    places = display_places(amount, currency)
    pattern, babel_symbol, symbol = _display(currency, locale, places)
    text = pattern.apply(
        _at_places(amount, places), _locale(locale), currency=currency, currency_digits=False
    )
    if babel_symbol is not None:
        text = text.replace(babel_symbol, symbol, 1)
    return f"{text} {currency}"


# Symbols babel's en_US leaves as the bare code although the currency has a sign of its own.
_SYMBOLS = {"NGN": "₦", "GHS": "GH₵", "KES": "KSh", "ZAR": "R"}


def _symbol(currency: str, locale: str) -> str:
    symbol = get_currency_symbol(currency, locale=locale)
    return _SYMBOLS.get(currency, symbol) if symbol == currency else symbol


@functools.lru_cache(maxsize=1024)
def _display(currency: str, locale: str, places: int) -> tuple[NumberPattern, str | None, str]:
    """How `format_money` writes this currency at these places (babel's format_currency with
    our pattern, parsed once): the pattern, babel's own symbol when ours replaces it, ours."""
    symbol = _symbol(currency, locale)
    number = "#,##0" + ("." + "0" * places if places else "")
    # A currency without a symbol of its own (KWD) is written once, by its code at the end.
    pattern = parse_pattern(number if symbol == currency else "¤" + number)
    babel_symbol = get_currency_symbol(currency, locale=locale)
    return pattern, (babel_symbol if babel_symbol != symbol else None), symbol


@functools.lru_cache(maxsize=64)
def _locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


RATE_DISPLAY_PLACES = 6


def format_rate(rate: Decimal) -> str:
    """An exchange rate for reading: trailing zeros dropped (`1.085`, not `1.0850000000`), at most
    six decimals; a rate with more is shown rounded, marked `≈` (the exact rate is kept)."""
    rate = to_decimal(rate)
    if decimal_places(rate) > RATE_DISPLAY_PLACES:
        return f"≈{round_half_up(rate, RATE_DISPLAY_PLACES).normalize():f}"
    return f"{rate.normalize():f}" if rate != rate.to_integral_value() else f"{rate:.0f}"
