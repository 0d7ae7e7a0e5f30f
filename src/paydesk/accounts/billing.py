"""The billing profile: reading it and changing it (the portal, the back office and the API all
write through billing_profile_update). Every change is recorded in the audit log with the
profile before and after; the billing contacts are the customer's Contact rows (the addresses
payment emails go to), changed in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.billing_managers import may_manage_billing
from paydesk.accounts.models import BillingProfile, Contact, Customer, StaffRole
from paydesk.accounts.taxids import (
    country_checked,
    country_names,
    tax_id_checked,
    tax_id_is_checkable,
)
from paydesk.audit.services import audit_record
from paydesk.errors import BillingProfileError, PermissionDenied

PROFILE_FIELDS = (
    "legal_name",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "tax_id",
)
MAX_CONTACTS = 10


@dataclass(frozen=True)
class BillingProfileView:
    """A customer's billing profile as shown (an empty one when none was saved)."""

    profile: BillingProfile
    contacts: list[str]
    country_name: str
    tax_id_checked: bool  # python-stdnum knows the country's (or the EU prefix's) number
    changed_by_staff: bool  # the last change was made by the provider's staff


def billing_profile_saved(*, customer: Customer) -> BillingProfile | None:
    """The customer's billing profile as saved, or None when nobody has saved one."""
    return BillingProfile.objects.filter(customer=customer).first()


def billing_profile_get(*, customer: Customer) -> BillingProfileView:
    profile = BillingProfile.objects.filter(customer=customer).select_related("updated_by").first()
    profile = profile or BillingProfile(customer=customer)
    by = profile.updated_by
    return BillingProfileView(
        profile=profile,
        contacts=_contacts(customer),
        country_name=country_names().get(profile.country, profile.country),
        tax_id_checked=tax_id_is_checkable(tax_id=profile.tax_id, country=profile.country),
        changed_by_staff=bool(by is not None and by.staff_role),
    )


def _contacts(customer: Customer) -> list[str]:
    return sorted(Contact.objects.filter(customer=customer).values_list("email", flat=True))


def _may_change(actor: Any, customer: Customer) -> bool:
    if actor is None or not getattr(actor, "is_active", False):
        return False
    if actor.is_staff:
        return bool(actor.has_role(StaffRole.ADMIN))
    return may_manage_billing(user=actor, customer=customer)


def _text(value: Any, field: str, limit: int | None) -> str:
    text = " ".join(str(value or "").split())
    if limit is not None and len(text) > limit:
        raise BillingProfileError(f"At most {limit} characters.", field=field)
    return text


def _checked_contacts(emails: list[str]) -> list[str]:
    wanted = sorted({str(email).strip().lower() for email in emails if str(email).strip()})
    for email in wanted:
        try:
            validate_email(email)
        except ValidationError:
            raise BillingProfileError(
                f"“{email}” is not a valid email address.", field="contacts"
            ) from None
    if len(wanted) > MAX_CONTACTS:
        raise BillingProfileError(f"At most {MAX_CONTACTS} billing contacts.", field="contacts")
    return wanted


def billing_profile_clean(**changes: Any) -> dict[str, Any]:
    """The changes checked and normalised, or BillingProfileError (InvalidTaxId for the tax
    id) naming the field; forms call it to show the message next to that field."""
    unknown = set(changes) - {*PROFILE_FIELDS, "contacts"}
    if unknown:
        raise BillingProfileError(f"Unknown billing profile fields: {sorted(unknown)}")
    limits = {f.name: f.max_length for f in BillingProfile._meta.fields if f.name in PROFILE_FIELDS}
    cleaned: dict[str, Any] = {
        name: _text(value, name, limits[name])
        for name, value in changes.items()
        if name in PROFILE_FIELDS and name not in ("country", "tax_id")
    }
    if "country" in changes:
        cleaned["country"] = country_checked(str(changes["country"] or ""))
    if "tax_id" in changes:
        cleaned["tax_id"] = tax_id_checked(
            tax_id=str(changes["tax_id"] or ""), country=cleaned.get("country", "")
        )
    if "contacts" in changes:
        cleaned["contacts"] = _checked_contacts(list(changes["contacts"] or []))
    return cleaned


def _snapshot(profile: BillingProfile, contacts: list[str]) -> dict[str, Any]:
    return {**{name: getattr(profile, name) for name in PROFILE_FIELDS}, "contacts": contacts}


def billing_profile_update(*, customer: Customer, actor: Any, **changes: Any) -> BillingProfile:
    """Change the customer's billing profile and billing contacts; fields left out stay.

    `actor`: a portal user of that customer with *manage billing*, or an Administrator. The
    tax id is checked against the country sent with it, else the profile's. Audited as
    `billing_profile.update` with before and after (only when something changed)."""
    if not _may_change(actor, customer):
        raise PermissionDenied("You may not change this customer's billing profile.")
    with transaction.atomic():
        # The customer's row serialises concurrent edits (the profile may not exist yet).
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        profile = billing_profile_saved(customer=customer) or BillingProfile(customer=customer)
        if "tax_id" in changes and "country" not in changes:
            changes = {**changes, "country": profile.country}
        cleaned = billing_profile_clean(**changes)
        before = _snapshot(profile, _contacts(customer))
        contacts = cleaned.pop("contacts", before["contacts"])
        for name, value in cleaned.items():
            setattr(profile, name, value)
        after = _snapshot(profile, contacts)
        if after == before:
            return profile
        profile.updated_at = timezone.now()
        profile.updated_by = actor
        profile.save()
        if contacts != before["contacts"]:
            Contact.objects.filter(customer=customer).exclude(email__in=contacts).delete()
            added = [e for e in contacts if e not in before["contacts"]]
            Contact.objects.bulk_create([Contact(customer=customer, email=e) for e in added])
        audit_record(
            action="billing_profile.update",
            actor=actor,
            obj=profile,
            customer_id=customer.pk,
            before=before,
            after=after,
        )
    return profile
