"""The customer's saved payment methods on their back-office page, read only: what Finance needs
to answer "which card will be charged?" — brand, last four, expiry, the default, and for a SEPA
mandate Stripe's mandate id (the customer sees only its reference). Read from Stripe each time,
as the portal reads them; when Stripe cannot be asked, the page says so and shows the rest."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from paydesk.accounts.models import Customer
from paydesk.errors import GatewayError
from paydesk.methods.services import saved_methods_list


def saved_methods_context(customer: Customer | None) -> dict[str, Any]:
    """`saved_methods` (a list, [] when none) and `saved_methods_problem` for the template; {}
    for no customer (the add page)."""
    if customer is None:
        return {}
    try:
        return {"saved_methods": saved_methods_list(customer=customer), "saved_methods_problem": ""}
    except GatewayError as error:
        problem = _("Stripe could not be asked for the saved payment methods: %(why)s") % {
            "why": error.message
        }
        return {"saved_methods": [], "saved_methods_problem": problem}
