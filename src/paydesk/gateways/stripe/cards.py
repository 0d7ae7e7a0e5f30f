"""The card behind a Stripe PaymentMethod as people read it ("Visa •••• 4242"): never its number,
only the brand and last four Stripe's server returned."""

from __future__ import annotations

from collections.abc import Mapping

# Stripe's `card.brand` values as Stripe's own pages name them.
CARD_BRANDS = {
    "amex": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos",
    "interac": "Interac",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def card_label(payment_method: object) -> str:
    """The card of an expanded PaymentMethod as Stripe's server returned it, as "Visa •••• 4242"
    (a SEPA Direct Debit: "•••• 3000", its IBAN's last four: the method's name says the rest);
    '' when it is only an id, neither, or has no usable last four."""
    if not isinstance(payment_method, Mapping):
        return ""
    sepa = payment_method.get("sepa_debit")
    if payment_method.get("type") == "sepa_debit" and isinstance(sepa, Mapping):
        last4 = str(sepa.get("last4") or "")
        return f"•••• {last4}" if len(last4) == 4 and last4.isalnum() else ""
    card = payment_method.get("card")
    if not isinstance(card, Mapping):
        return ""
    last4, brand = str(card.get("last4") or ""), str(card.get("brand") or "")
    if not (len(last4) == 4 and last4.isdigit()):
        return ""
    plain = brand.replace("_", "").isalnum() and brand != "unknown"
    named = CARD_BRANDS.get(brand) or (brand.replace("_", " ").title() if plain else "Card")
    return f"{named[:30]} •••• {last4}"


def method_id(payment_method: object) -> object:
    if isinstance(payment_method, Mapping):
        return payment_method.get("id")
    return payment_method
