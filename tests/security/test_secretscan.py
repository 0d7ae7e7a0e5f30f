"""The S5 scanner finds what it must (so a clean scan means something): card numbers with and
without separators, secrets, planted values — in the database and in text — and passes numbers
that are not card numbers."""

from __future__ import annotations

import pytest

from paydesk.checkout.models import PaymentLogEntry
from tests.security.secretscan import database_texts, scan

pytestmark = pytest.mark.django_db


def test_it_finds_card_numbers_secrets_and_planted_values_in_text():
    texts = [
        ("log", "charge card 4242 4242 4242 4242 now"),
        ("log2", "declined 4000-0000-0000-0002"),
        ("log3", "amount 1234567890123 and 0.00001234"),  # not Luhn-valid: fine
        ("log4", "key sk_test_abc123 used"),
        ("log5", "cvc=739"),
        ("log6", "debit DE89370400440532013000 today"),
        ("log7", "iban: DE89 3704 0044 0532 0130 00."),
        ("log8", "not one: DE89370400440532013001 (check digits wrong)"),
    ]
    found = scan(
        texts, secrets={"PAYDESK_STRIPE_SECRET_KEY": "sk_test_abc123"}, extra={"CVC": "cvc=739"}
    )
    assert {(f.where, f.what) for f in found} == {
        ("log", "card number"),
        ("log2", "card number"),
        ("log4", "PAYDESK_STRIPE_SECRET_KEY"),
        ("log5", "CVC"),
        ("log6", "IBAN"),
        ("log7", "IBAN"),
    }


def test_it_reads_every_text_and_json_column_of_the_database():
    PaymentLogEntry.objects.create(
        gateway="card",
        event_id="evt_1",
        signature_valid=True,
        outcome="completed",
        result="applied",
        summary={"note": "pan 4000 0027 6000 3184"},
    )
    found = scan(database_texts(), secrets={})
    assert [f.what for f in found] == ["card number"]
    assert found[0].where.startswith("checkout_paymentlogentry.summary#")


def test_a_digit_run_inside_a_hex_digest_is_not_a_card_number():
    digest = "b214f757a25b40e9d4db784e71321e62057121279678f59ae2dd45d6d79b9adf1f4687"
    assert scan([("signature", digest)], secrets={}) == []
