"""The card behind a Stripe PaymentMethod as people read it ("Visa •••• 4242"), or a SEPA Direct
Debit's account ("•••• 3000", the IBAN's last four): never its number, only the brand and last
four Stripe's server returned."""

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
    """The card of an expanded PaymentMethod as Stripe's server returned it, as "Visa •••• 4242";
    '' when it is only an id, not a card, or has no usable last four."""
    if not isinstance(payment_method, Mapping):
        return ""
    card = payment_method.get("card")
    if not isinstance(card, Mapping):
        return ""
    last4, brand = str(card.get("last4") or ""), str(card.get("brand") or "")
    if not (len(last4) == 4 and last4.isdigit()):
        return ""
    plain = brand.replace("_", "").isalnum() and brand != "unknown"
    named = CARD_BRANDS.get(brand) or (brand.replace("_", " ").title() if plain else "Card")
    return f"{named[:30]} •••• {last4}"


def method_label(payment_method: object) -> str:
    """What names the method in a payment's description, after its method's name: the card
    ("Visa •••• 4242"), or the last four of a SEPA Direct Debit's IBAN ("•••• 3000"); ''
    when Stripe's answer names neither."""
    if not isinstance(payment_method, Mapping) or payment_method.get("type") != "sepa_debit":
        return card_label(payment_method)
    sepa = payment_method.get("sepa_debit")
    last4 = str(sepa.get("last4") or "") if isinstance(sepa, Mapping) else ""
    return f"•••• {last4}" if len(last4) == 4 and last4.isalnum() else ""


def method_id(payment_method: object) -> object:
    if isinstance(payment_method, Mapping):
        return payment_method.get("id")
    return payment_method
