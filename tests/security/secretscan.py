"""quality.md S5: find card numbers, IBANs, CVCs, keys, webhook secrets and voucher codes where they
must never be — every text and JSON column of every table, the payment log, captured log lines,
pages served. Used after end-to-end runs (tests/online/test_s5_no_secrets.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models

# A card number stands alone: not inside a hex digest or an id ("…e2057121279678f…").
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
# An IBAN (ISO 13616), with or without the groups of four: country, check digits, 11–30 more,
# standing alone, checked by mod 97 below.
IBAN_RUN = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![0-9A-Za-z])")
SECRET_SETTINGS = (
    "SECRET_KEY",
    "PAYDESK_STRIPE_SECRET_KEY",
    "PAYDESK_STRIPE_WEBHOOK_SECRET",
    "PAYDESK_PAYPAL_CLIENT_SECRET",
    "PAYDESK_RAZORPAY_KEY_SECRET",
    "PAYDESK_RAZORPAY_WEBHOOK_SECRET",
    "PAYDESK_PAYSTACK_SECRET_KEY",
    "PAYDESK_NOWPAYMENTS_API_KEY",
    "PAYDESK_NOWPAYMENTS_IPN_SECRET",
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    value = text.replace(" ", "")
    digits = "".join(str(int(c, 36)) for c in value[4:] + value[:4])
    return int(digits) % 97 == 1


@dataclass(frozen=True)
class Finding:
    where: str
    what: str
    excerpt: str


def configured_secrets() -> dict[str, str]:
    """Every secret setting that has a value, by name."""
    return {name: str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS}


def database_texts() -> Iterator[tuple[str, str]]:
    """(table.column#pk, text) for every text and JSON value in the database."""
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for row in model._default_manager.values_list("pk", *names).iterator():
            pk, *values = row
            for name, value in zip(names, values, strict=True):
                if value not in (None, "", {}, []):
                    yield f"{model._meta.db_table}.{name}#{pk}", str(value)


def scan(
    texts: Iterable[tuple[str, str]],
    *,
    secrets: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
    allowed: Iterable[str] = (),
) -> list[Finding]:
    """Every card number (a Luhn-valid run of 13–19 digits), IBAN (mod 97), secret value and
    `extra` value
    (name → exact text, e.g. a CVC in context or a voucher code) found in `texts`.

    `allowed` names places that may hold a value by design (e.g. a password hash column whose
    salt might look like digits): none are needed today."""
    wanted = {**(secrets if secrets is not None else configured_secrets()), **(extra or {})}
    wanted = {name: value for name, value in wanted.items() if len(value) >= 3}
    skip = set(allowed)
    findings: list[Finding] = []
    for where, text in texts:
        if where in skip:
            continue
        for match in DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", match.group(0))
            if luhn_valid(digits):
                findings.append(Finding(where, "card number", _excerpt(text, match.start())))
        for match in IBAN_RUN.finditer(text):
            if iban_valid(match.group(0)):
                findings.append(Finding(where, "IBAN", _excerpt(text, match.start())))
        for name, value in wanted.items():
            at = text.find(value)
            if at >= 0:
                findings.append(Finding(where, name, _excerpt(text, at)))
    return findings


def _excerpt(text: str, at: int) -> str:
    return text[max(0, at - 30) : at + 40].replace("\n", " ")
