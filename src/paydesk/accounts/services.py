"""Writes to customers and users. Balances are never written here (see paydesk.ledger.services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from paydesk.accounts.edits import customer_version_check
from paydesk.accounts.models import Customer, PaymentMethod, StaffRole, User
from paydesk.audit.services import audit_record, audited_update
from paydesk.errors import CustomerError, PermissionDenied
from paydesk.money import STORAGE_PLACES, decimal_places, normalize_currency, to_decimal

EDITABLE_CUSTOMER_FIELDS = (
    "name",
    "debit_limit",
    "minimum_payment",
    "topup_currencies",
    "show_balance",
    "show_payments",
    "show_pending_bank_payments",
    "allow_vouchers",
    "blocked_methods",
)


def _non_negative(value: object, field: str) -> Decimal:
    amount = to_decimal(value, field=field)
    if amount < 0 or decimal_places(amount) > STORAGE_PLACES:
        raise CustomerError("Must be zero or more, with at most 4 decimals.", field=field)
    return amount


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "customer"
    slug, n = base, 2
    while Customer.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _require_admin(actor: Any) -> None:
    if actor is not None and not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only an Administrator can change customers.")


def _customer_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "currency": customer.currency,
        "debit_limit": str(customer.debit_limit),
        "minimum_payment": str(customer.minimum_payment),
        "topup_currencies": list(customer.topup_currencies),
        "show_balance": customer.show_balance,
        "show_payments": customer.show_payments,
        "show_pending_bank_payments": customer.show_pending_bank_payments,
        "allow_vouchers": customer.allow_vouchers,
        "blocked_methods": customer.blocked_methods,
    }


def _clean_customer_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
        if not cleaned["name"]:
            raise CustomerError("A customer needs a name.", field="name")
    for money_field in ("debit_limit", "minimum_payment"):
        if money_field in cleaned:
            cleaned[money_field] = _non_negative(cleaned[money_field], money_field)
    if "topup_currencies" in cleaned:
        cleaned["topup_currencies"] = sorted(
            {normalize_currency(c) for c in cleaned["topup_currencies"] or []}
        )
    if cleaned.get("blocked_methods") is not None:
        unknown = set(cleaned["blocked_methods"]) - set(PaymentMethod.values)
        if unknown:
            raise CustomerError(
                f"Unknown payment methods: {sorted(unknown)}", field="blocked_methods"
            )
    return cleaned


def customer_create(*, name: str, currency: str, actor: Any = None, **fields: Any) -> Customer:
    """Create a customer in `currency` (fixed for life) with zero balance."""
    _require_admin(actor)
    unknown = set(fields) - set(EDITABLE_CUSTOMER_FIELDS)
    if unknown:
        raise CustomerError(f"Unknown customer fields: {sorted(unknown)}")
    cleaned = _clean_customer_fields({"name": name, **fields})
    code = normalize_currency(currency)
    with transaction.atomic():
        customer = Customer.objects.create(
            slug=_unique_slug(cleaned["name"]), currency=code, **cleaned
        )
        if actor is not None:
            audit_record(
                action="customer.create",
                actor=actor,
                obj=customer,
                customer_id=customer.pk,
                after=_customer_snapshot(customer),
            )
    return customer


def customer_update(
    *, customer: Customer, actor: Any = None, version: int | None = None, **changes: Any
) -> Customer:
    """Change limits, flags and currencies; the account currency can never change. `version`:
    the customer's edit version the change is based on (accounts.edits): ChangedSinceRead when
    someone changed the customer since; None saves whatever changed meanwhile."""
    _require_admin(actor)
    if "currency" in changes and normalize_currency(changes["currency"]) != customer.currency:
        raise CustomerError("A customer's currency cannot be changed.", field="currency")
    changes.pop("currency", None)
    unknown = set(changes) - set(EDITABLE_CUSTOMER_FIELDS)
    if unknown:
        raise CustomerError(f"Unknown customer fields: {sorted(unknown)}")
    cleaned = _clean_customer_fields(changes)
    with transaction.atomic():
        if version is not None:
            customer_version_check(customer=customer, version=version)
        return audited_update(
            obj=customer,
            changes=cleaned,
            snapshot=_customer_snapshot,
            action="customer.update",
            actor=actor,
            customer_id=customer.pk,
            audit_unchanged=True,
            # The amounts as stored (100.0000 both sides): a save that changed nothing reads
            # unchanged in the log, and is no change to a colleague's open form (accounts.edits).
            refresh=True,
        )


def _checked_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise CustomerError(" ".join(exc.messages), field="password") from None


def portal_user_create(
    *,
    customer: Customer,
    email: str,
    password: str,
    full_name: str = "",
    can_view_payments: bool = True,
    can_make_payments: bool = True,
    can_manage_billing: bool = False,
    actor: Any = None,
    validate: bool = True,
) -> User:
    """A user of `customer` who signs in to the portal with email and password."""
    _require_admin(actor)
    email = User.objects.normalize_email(email).lower().strip()
    if not email or "@" not in email:
        raise CustomerError("A valid email address is required.", field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise CustomerError("A user with that email already exists.", field="email")
    user = User(
        email=email,
        full_name=full_name,
        customer=customer,
        can_view_payments=can_view_payments,
        can_make_payments=can_make_payments,
        can_manage_billing=can_manage_billing,
    )
    if validate:
        _checked_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        if actor is not None:
            audit_record(
                action="user.create",
                actor=actor,
                obj=user,
                customer_id=customer.pk,
                after={
                    "email": email,
                    "view": can_view_payments,
                    "pay": can_make_payments,
                    "billing": can_manage_billing,
                },
            )
    return user


def staff_user_create(
    *,
    email: str,
    password: str,
    role: str,
    full_name: str = "",
    actor: Any = None,
    validate: bool = True,
) -> User:
    """A staff member with one role: admin, finance or support."""
    _require_admin(actor)
    if role not in (StaffRole.ADMIN, StaffRole.FINANCE, StaffRole.SUPPORT):
        raise CustomerError(f"Unknown staff role '{role}'.", field="role")
    email = User.objects.normalize_email(email).lower().strip()
    if User.objects.filter(email__iexact=email).exists():
        raise CustomerError("A user with that email already exists.", field="email")
    user = User(email=email, full_name=full_name, staff_role=role, is_superuser=False)
    if validate:
        _checked_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        if actor is not None:
            audit_record(
                action="staff.create", actor=actor, obj=user, after={"email": email, "role": role}
            )
    return user


def customer_online_methods_pause(*, customer: Customer, paused: bool, actor: Any) -> Customer:
    """Finance's switch while a dispute is open: pause (or resume) the customer's online payment
    methods — card, PayPal, Razorpay, Paystack, NOWPayments; bank transfer and vouchers stay
    (checkout.selectors). Finance and Administrators only; audited with before and after."""
    if not getattr(actor, "pk", None) or not getattr(actor, "can_move_money", False):
        raise PermissionDenied("Only Finance can pause a customer's online payment methods.")
    with transaction.atomic():
        locked = Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
        before = locked.online_methods_paused
        if before != paused:
            locked.online_methods_paused = paused
            locked.save(update_fields=["online_methods_paused"])
            action = "pause" if paused else "resume"
            audit_record(
                action=f"customer.online_methods_{action}",
                actor=actor,
                obj=locked,
                customer_id=locked.pk,
                before={"online_methods_paused": before},
                after={"online_methods_paused": paused},
            )
    return locked
