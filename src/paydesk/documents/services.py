"""Changing what documents depend on, audited: the provider's invoicing settings and a
customer's tax rule (Administrators only). Issued documents are never changed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from paydesk.accounts.models import Customer, StaffRole
from paydesk.audit.services import audited_update
from paydesk.documents.models import CustomerTaxRule, InvoicingSettings, TaxRule
from paydesk.errors import PaydeskError, PermissionDenied

SETTINGS_FIELDS = ("invoices_enabled", "legal_name", "address", "country", "tax_id", "tax_rate")


def _admin_only(actor: Any) -> None:
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change invoicing.")


def invoicing_settings_update(*, actor: Any, **fields: Any) -> InvoicingSettings:
    """Set the invoicing switch and the provider's legal details (the row is made if missing)."""
    _admin_only(actor)
    changes = {name: fields[name] for name in SETTINGS_FIELDS if name in fields}
    if "tax_rate" in changes:
        try:
            rate = Decimal(str(changes["tax_rate"]))
        except InvalidOperation:
            raise PaydeskError(
                "Give the tax rate as a number, e.g. 20.", field="tax_rate"
            ) from None
        if not (0 <= rate < 100) or rate != rate.quantize(Decimal("0.01")):
            raise PaydeskError(
                "The tax rate is a percentage from 0 to 99.99, with at most two decimals.",
                field="tax_rate",
            )
        changes["tax_rate"] = rate
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
