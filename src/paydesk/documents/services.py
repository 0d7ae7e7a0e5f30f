"""Changing what documents depend on, audited: the provider's invoicing settings and a
customer's tax rule (Administrators only). Issued documents are never changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from paydesk.accounts.models import Customer, StaffRole
from paydesk.audit.services import audited_update
from paydesk.documents.models import CustomerTaxRule, InvoicingSettings, TaxRule
from paydesk.errors import InvalidAmount, PaydeskError, PermissionDenied
from paydesk.money import decimal_places, to_decimal

SETTINGS_FIELDS = ("invoices_enabled", "legal_name", "address", "country", "tax_id", "tax_rate")


def _admin_only(actor: Any) -> None:
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change invoicing.")


def tax_rate_clean(value: Any) -> Decimal:
    """A tax rate in percent ("20", "7.5", 19, a Decimal), stored as basis points: refused with
    a field message when it is not an exact number (a float is not), is outside 0-99.99 or has
    more than two decimals (never rounded)."""
    try:
        rate = to_decimal(value, field="tax_rate")
    except InvalidAmount:
        raise PaydeskError(
            "Give the tax rate as a number, e.g. 20 or 7.5.", field="tax_rate"
        ) from None
    if not (0 <= rate < 100) or decimal_places(rate) > 2:
        raise PaydeskError(
            "The tax rate is a percentage from 0 to 99.99, with at most two decimals.",
            field="tax_rate",
        )
    return rate


def invoicing_settings_update(*, actor: Any, **fields: Any) -> InvoicingSettings:
    """Set the invoicing switch and the provider's legal details (the row is made if missing)."""
    _admin_only(actor)
    changes = {name: fields[name] for name in SETTINGS_FIELDS if name in fields}
    if "tax_rate" in changes:
        changes["tax_rate"] = tax_rate_clean(changes["tax_rate"])
    if "country" in changes:
        changes["country"] = str(changes["country"] or "").strip().upper()
    return audited_update(
        obj=InvoicingSettings.objects.order_by("pk").first() or InvoicingSettings(),
        changes={**changes, "updated_at": timezone.now(), "updated_by": actor},
        snapshot=lambda row: {name: str(getattr(row, name)) for name in SETTINGS_FIELDS},
        action="invoicing_settings.update",
        actor=actor,
    )


def customer_tax_rule_set(*, customer: Customer, rule: str, actor: Any) -> CustomerTaxRule:
    """How the customer's future invoices are taxed (issued ones keep theirs)."""
    _admin_only(actor)
    if rule not in TaxRule.values:
        raise PaydeskError("Choose a tax rule.", field="rule")
    return audited_update(
        obj=CustomerTaxRule.objects.filter(customer=customer).first()
        or CustomerTaxRule(customer=customer),
        changes={"rule": rule},
        snapshot=lambda row: {"rule": row.rule},
        action="customer_tax_rule.update",
        actor=actor,
        customer_id=customer.pk,
    )
