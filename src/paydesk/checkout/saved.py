"""Paying with a saved method (docs/methods.md): which Pay via method a saved card or SEPA
mandate pays as, and the check, asked of Stripe, that it is this customer's own. A non-EEA SEPA
mandate saved without the account holder's address gets the Billing page's sent to Stripe
(`methods/services.py: sepa_address_ensure`) by the caller, once the quote is accepted and
before it is charged: a refused quote sends nothing."""

from __future__ import annotations

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.errors import MethodUnavailable, NotFound
from paydesk.gateways.registry import gateway_for_or_none
from paydesk.methods.services import SavedMethod, saved_method_owned

# The Pay via method a saved method of each Stripe type pays as.
SAVED_TYPE_METHODS = {"card": PaymentMethod.CARD, "sepa_debit": PaymentMethod.SEPA_DEBIT}


def saved_method_resolve(
    *, customer: Customer, method: str, saved_method: str
) -> SavedMethod | None:
    """The saved method `saved_method` if Stripe says it is attached to THIS customer's Stripe
    Customer (NotFound otherwise: another customer's method is never charged); None when none
    is named. A method paid only with a saved one (SEPA Direct Debit) without one is refused.
    Sends nothing to Stripe (the caller sends a missing SEPA address after the quote, with
    `sepa_address_ensure`). Calls Stripe: never inside a transaction."""
    if not saved_method:
        if getattr(gateway_for_or_none(method), "saved_method_only", False):
            raise MethodUnavailable(
                "SEPA Direct Debit pays with a saved mandate: choose it, or add one under Saved "
                "payment methods.",
                field="payment_method",
            )
        return None
    if method not in SAVED_TYPE_METHODS.values():
        raise MethodUnavailable("A saved method pays by card or direct debit.", field="method")
    owned = saved_method_owned(customer=customer, payment_method=saved_method.strip())
    if owned.type not in SAVED_TYPE_METHODS:
        raise NotFound("No such saved payment method.", field="payment_method")
    return owned
