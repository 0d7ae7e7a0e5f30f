"""Countries and tax ids of billing profiles, checked offline with python-stdnum.

A tax / VAT id is checked by its format and check digits only: Paydesk makes no online lookup
(no VIES, no HMRC, no GST portal — these machines reach no such service), so a well-formed
number that was never issued, or was withdrawn, passes. An EU VAT number is checked by the rules
of the member state its prefix names (`DE…`, `FR…`, `EL…` for Greece, `XI…` for Northern
Ireland), and typed without a prefix it takes the billing country's. Elsewhere the billing
country's own number is checked (the United Kingdom's VAT number, India's GSTIN, …); a country
python-stdnum does not know keeps the number as typed, and the page says it was not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from babel import Locale
from stdnum import get_cc_module

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from paydesk.errors import BillingProfileError, InvalidTaxId

# Babel's territories that ISO 3166-1 does not assign (reserved, user-assigned or groupings).
_NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
# Where a country's tax number is not python-stdnum's `<cc>.vat` module.
_TAX_MODULE_NAMES = {
    "AU": "abn",
    "BR": "cnpj",
    "CA": "bn",
    "IN": "gstin",
    "NO": "mva",
    "NZ": "ird",
    "US": "ein",
}
# The VAT prefix of an EU member state where it is not the ISO code.
_EU_PREFIX = {"GR": "EL"}
_FREE_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}")


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English name, sorted by name."""
    names = {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
    }
    return dict(sorted(names.items(), key=lambda item: item[1]))


def country_checked(value: str) -> str:
    """The upper-case ISO code, or BillingProfileError on the `country` field."""
    code = (value or "").strip().upper()
    if code and code not in country_names():
        raise BillingProfileError(
            "Choose a country from the list (an ISO 3166 two-letter code).", field="country"
        )
    return code


@dataclass(frozen=True)
class TaxIdRule:
    """How a country's tax id is checked: the python-stdnum module and its name."""

    module: NumberValidationModule
    name: str  # "Ust ID Nr. (Umsatzsteur Identifikationnummer, German VAT number)"


def tax_id_rule(country: str) -> TaxIdRule | None:
    """The rule python-stdnum has for `country`'s tax ids, or None when it has none."""
    code = country.upper()
    if len(code) != 2 or not code.isalpha():
        return None
    if code.lower() in eu_vat.MEMBER_STATES:
        module: NumberValidationModule | None = eu_vat
        name = f"VAT number for {country_names().get(code, code)}"
    else:
        module = get_cc_module(code, _TAX_MODULE_NAMES.get(code, "vat"))
        name = ((module.__doc__ or "").strip().splitlines() or ["tax id"])[0].rstrip(".")
    if module is None or not hasattr(module, "validate"):
        return None
    return TaxIdRule(module=module, name=name)


def tax_id_is_checkable(*, tax_id: str, country: str) -> bool:
    """Whether a stored tax id was checked by its rules (not kept as typed)."""
    if not tax_id:
        return False
    return _eu_number(tax_id, country) is not None or tax_id_rule(country) is not None


def _eu_number(compact: str, country: str) -> str | None:
    """The number with its EU VAT prefix when it is (or, in an EU country, becomes) one."""
    if compact[:2].lower() in eu_vat.MEMBER_STATES and compact[:2].isalpha():
        return compact
    if country.lower() in eu_vat.MEMBER_STATES:
        return _EU_PREFIX.get(country, country) + compact
    return None


def tax_id_checked(*, tax_id: str, country: str) -> str:
    """The tax id as stored (compact; EU VAT numbers with their prefix), or InvalidTaxId with a
    message naming what is wrong. Empty stays empty. `country` is an ISO code, already checked."""
    raw = (tax_id or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s.\-/]", "", raw).upper()
    eu_number = _eu_number(compact, country)
    rule: TaxIdRule | None
    if eu_number is not None:
        prefix = eu_number[:2]
        where = (
            "Northern Ireland"
            if prefix == "XI"
            else country_names().get("GR" if prefix == "EL" else prefix, prefix)
        )
        rule = TaxIdRule(module=eu_vat, name=f"VAT number for {where}")
        number = eu_number
    elif not country:
        raise BillingProfileError(
            "Choose the billing country, so that the tax id can be checked.", field="country"
        )
    else:
        rule = tax_id_rule(country)
        number = raw  # the country's module knows its own separators and suffixes
    if rule is None:
        if not _FREE_FORM.fullmatch(raw):
            raise InvalidTaxId(
                "Use only letters, digits, spaces, dots, dashes and slashes (at most 40).",
                field="tax_id",
            )
        return raw
    try:
        valid = rule.module.validate(number)
    except InvalidChecksum:
        message = f"This is not a valid {rule.name}: its check digits do not match (a typo?)."
        raise InvalidTaxId(message, field="tax_id") from None
    except InvalidLength:
        message = f"This is not a valid {rule.name}: it has the wrong number of characters."
        raise InvalidTaxId(message, field="tax_id") from None
    except ValidationError:
        message = f"This is not a valid {rule.name}: it is not in that number's format."
        raise InvalidTaxId(message, field="tax_id") from None
    if getattr(rule.module, "__name__", "") == "stdnum.gb.vat":
        return "GB" + str(valid)
    return str(valid)
