"""Voucher codes: 80 random bits, a check character that stops every single typo, and only a
keyed hash in the database."""

from __future__ import annotations

import logging
import re

import pytest
from django.db import connection

from paydesk.references import ALPHABET
from paydesk.vouchers.codes import (
    voucher_code_hash,
    voucher_code_hint,
    voucher_code_is_well_formed,
    voucher_code_new,
)
from paydesk.vouchers.models import Voucher
from paydesk.vouchers.services import voucher_redeem

pytestmark = pytest.mark.django_db


def test_a_code_is_16_random_characters_and_a_check_character_grouped_by_four():
    code = voucher_code_new()
    char = "[0-9A-HJKMNP-TV-Z]"  # Crockford: no I, L, O, U
    assert re.fullmatch(f"{char}{{4}}(-{char}{{4}}){{3}}-{char}", code)
    assert voucher_code_is_well_formed(code)
    assert len({voucher_code_new() for _ in range(1000)}) == 1000


def test_every_single_character_typo_is_rejected_before_any_lookup():
    for _ in range(20):
        raw = voucher_code_new().replace("-", "")
        for position, original in enumerate(raw):
            for typo in ALPHABET:
                if typo != original:
                    mistyped = raw[:position] + typo + raw[position + 1 :]
                    assert not voucher_code_is_well_formed(mistyped), (position, typo)


def test_what_a_person_types_is_normalised():
    code = voucher_code_new()
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert voucher_code_is_well_formed(typed)
    assert voucher_code_hash(typed) == voucher_code_hash(code)
    assert not voucher_code_is_well_formed(code[:-2])  # a character missing
    assert not voucher_code_is_well_formed(code + "7")  # one too many


def test_the_hash_is_keyed(settings):
    code = voucher_code_new()
    settings.PAYDESK_VOUCHER_KEY = "key-one"
    first = voucher_code_hash(code)
    settings.PAYDESK_VOUCHER_KEY = "key-two"
    assert voucher_code_hash(code) != first
    settings.PAYDESK_VOUCHER_KEY = ""  # falls back to a key derived from SECRET_KEY
    assert voucher_code_hash(code) not in (first, "")
    assert len(voucher_code_hash(code)) == 64


def _every_stored_value() -> str:
    """Every column of every row of every table, as one text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts).upper()


def test_only_the_keyed_hash_is_stored_never_the_code(issue, customer, portal_user, caplog):
    caplog.set_level(logging.DEBUG)
    codes = issue(count=5, addition="5") + issue(count=2, minimum_activation="10", multiplier="2")
    voucher_redeem(
        code=codes[0], customer=customer, currency="USD", user=portal_user, ip_address="192.0.2.1"
    )
    voucher_redeem(
        code=codes[-1], customer=customer, currency="USD", user=portal_user, ip_address="192.0.2.1"
    )
    stored = _every_stored_value()
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
        assert voucher_code_hash(code).upper() in stored
        assert code not in caplog.text and code.replace("-", "") not in caplog.text
    assert Voucher.objects.filter(hint=voucher_code_hint(codes[0])).exists()
