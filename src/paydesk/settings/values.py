"""Typed values that settings/base.py parses from the environment, once, while the settings load.

A value that does not parse is an ImproperlyConfigured naming the variable, so the process does
not start; code reads the typed setting and never parses text. Only paydesk.money (and through it
paydesk.errors) is imported: the settings load before any app.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured

from paydesk.errors import PaydeskError
from paydesk.money import normalize_currency, to_decimal


@dataclass(frozen=True)
class Threshold:
    """An amount in the account currency, and other amounts for some currencies (one number
    means very different money in JPY and in KWD). No exchange rate is involved."""

    default: Decimal
    per_currency: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_currency", MappingProxyType(dict(self.per_currency)))

    def of(self, currency: str) -> Decimal:
        """The amount for an account in `currency` (an ISO 4217 code, upper case)."""
        return self.per_currency.get(currency, self.default)


def _amount(text: str) -> Decimal:
    value = to_decimal(text.strip())
    if value < 0:
        raise PaydeskError("negative")
    return value


def threshold_amount_parse(text: str, *, setting: str) -> Decimal:
    """`1000` → Decimal("1000"): one amount, zero or more; ImproperlyConfigured otherwise."""
    try:
        return _amount(text)
    except PaydeskError:
        raise ImproperlyConfigured(
            f"{setting} must be an amount of zero or more (e.g. 1000); it is {text!r}."
        ) from None


def threshold_parse(text: str, *, setting: str) -> Threshold:
    """`1000,JPY=150000,kwd=300` → Threshold(1000, {"JPY": 150000, "KWD": 300}): one amount for
    every currency, then CUR=amount pairs in any order; ImproperlyConfigured when it does not
    parse (no amount for every currency, two of them, a negative amount, not a currency)."""
    default: Decimal | None = None
    per_currency: dict[str, Decimal] = {}
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            code, equals, amount = part.rpartition("=")
            value = _amount(amount)
            if equals:
                per_currency[normalize_currency(code.strip())] = value
            elif default is None:
                default = value
            else:
                raise PaydeskError("two defaults")
    except PaydeskError:
        default = None
    if default is None:
        raise ImproperlyConfigured(
            f"{setting} must be an amount, optionally followed by CUR=amount pairs "
            f"(e.g. 1000,JPY=150000); it is {text!r}."
        )
    return Threshold(default, per_currency)


def env_amount(name: str, default: str) -> Decimal:
    """The environment variable `name` (empty or unset: `default`) as one amount."""
    return threshold_amount_parse(os.environ.get(name) or default, setting=name)


def env_threshold(name: str, *, default: Threshold) -> Threshold:
    """The environment variable `name` as a Threshold; empty or unset: `default`."""
    text = os.environ.get(name)
    return threshold_parse(text, setting=name) if text else default


def fernet_keys_parse(text: str, *, setting: str) -> tuple[str, ...]:
    """`key1,key2` → ("key1", "key2"): Fernet keys (32 url-safe base64 bytes each), the first
    the one that encrypts; ImproperlyConfigured naming the setting when one is not a key."""
    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (ValueError, binascii.Error):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{setting}: key {position} is not a Fernet key (32 url-safe base64 bytes, as "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
                ".decode())'` prints)."
            )
    return keys


def env_fernet_keys(name: str) -> tuple[str, ...]:
    """The environment variable `name` as Fernet keys; empty or unset: ()."""
    return fernet_keys_parse(os.environ.get(name, ""), setting=name)
