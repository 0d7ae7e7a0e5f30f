"""Tax / VAT ids of billing profiles: python-stdnum's format and check-digit rules, offline."""

from __future__ import annotations

import pytest

from paydesk.accounts.taxids import country_checked, country_names, tax_id_checked
from paydesk.errors import BillingProfileError, InvalidTaxId

VALID = [
    # (typed, billing country, stored)
    ("DE 136 695 976", "DE", "DE136695976"),
    ("136695976", "DE", "DE136695976"),  # no prefix: the billing country's
    ("FR 40 303 265 045", "FR", "FR40303265045"),
    ("IT00743110157", "IT", "IT00743110157"),
    ("NL004495445B01", "NL", "NL004495445B01"),
    ("ESA58818501", "ES", "ESA58818501"),
    ("094259216", "GR", "EL094259216"),  # Greece's VAT prefix is EL
    ("GB 980 7806 84", "GB", "GB980780684"),
    ("980780684", "GB", "GB980780684"),
    ("27AAPFU0939F1ZV", "IN", "27AAPFU0939F1ZV"),  # India's GSTIN
    ("DE136695976", "CH", "DE136695976"),  # an EU number is checked by its prefix
]

INVALID = [
    # (typed, billing country, words the message must hold)
    ("DE136695978", "DE", "check digits"),
    ("FR41303265045", "FR", "check digits"),
    ("IT00743110158", "IT", "check digits"),
    ("NL004495446B01", "NL", "check digits"),
    ("ESA58818502", "ES", "check digits"),
    ("GB980780685", "GB", "check digits"),
    ("27AAPFU0939F1ZW", "IN", "check digits"),
    ("27AAPFU0939F1Z", "IN", "wrong number of characters"),
    ("DE12", "DE", "wrong number of characters"),
    ("ATX1234567", "AT", "not a valid"),
]


@pytest.mark.parametrize(("typed", "country", "stored"), VALID)
def test_valid_tax_ids_are_stored_compact(typed, country, stored):
    assert tax_id_checked(tax_id=typed, country=country) == stored


@pytest.mark.parametrize(("typed", "country", "words"), INVALID)
def test_invalid_tax_ids_say_what_is_wrong(typed, country, words):
    with pytest.raises(InvalidTaxId) as caught:
        tax_id_checked(tax_id=typed, country=country)
    assert caught.value.code == "invalid_tax_id"
    assert caught.value.field == "tax_id"
    assert words in caught.value.message


def test_the_message_names_the_countrys_number():
    with pytest.raises(InvalidTaxId, match="VAT number for Germany"):
        tax_id_checked(tax_id="DE136695978", country="DE")
    with pytest.raises(InvalidTaxId, match="GSTIN"):
        tax_id_checked(tax_id="27AAPFU0939F1ZW", country="IN")


def test_a_country_without_a_rule_keeps_the_number_as_typed_but_refuses_junk():
    assert tax_id_checked(tax_id="ZW-1234/5", country="ZW") == "ZW-1234/5"
    with pytest.raises(InvalidTaxId):
        tax_id_checked(tax_id="<script>", country="ZW")


def test_a_tax_id_without_a_country_asks_for_the_country_unless_it_has_an_eu_prefix():
    with pytest.raises(BillingProfileError) as caught:
        tax_id_checked(tax_id="980780684", country="")
    assert caught.value.field == "country"
    assert tax_id_checked(tax_id="FR40303265045", country="") == "FR40303265045"
    assert tax_id_checked(tax_id="  ", country="") == ""


def test_countries_are_iso_3166_codes():
    names = country_names()
    assert names["DE"] == "Germany" and names["IN"] == "India"
    assert "XK" not in names and "EU" not in names and "001" not in names
    assert country_checked(" de ") == "DE"
    with pytest.raises(BillingProfileError) as caught:
        country_checked("XX")
    assert caught.value.field == "country"
