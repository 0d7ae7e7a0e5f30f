"""Back-office writes that no other module owns yet: user edits, passwords, contacts and the
portal defaults, each recorded in the audit log with its state before and after.

Never moves money and never writes a balance (see paydesk.ledger.services). Only an
Administrator may call these; the caller passes the acting user as `actor`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from paydesk.accounts.models import (
    Contact,
    Customer,
    PaymentMethod,
    PortalDefaults,
    StaffRole,
    User,
)
from paydesk.accounts.resets import PASSWORD_SET, credentials_reset_announce
from paydesk.audit.services import audit_record, audited_update
from paydesk.errors import CustomerError, PermissionDenied

PORTAL_FLAGS = ("show_balance", "show_payments", "show_pending_bank_payments", "allow_vouchers")
STAFF_EDITABLE = ("full_name", "staff_role", "is_active")
PORTAL_USER_EDITABLE = (
    "full_name",
    "can_view_payments",
    "can_make_payments",
    "can_manage_billing",
    "is_active",
)


def _require_admin(actor: Any) -> None:
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can do this.")


def _user_snapshot(user: User, fields: tuple[str, ...]) -> dict[str, Any]:
    return {"email": user.email, **{name: getattr(user, name) for name in fields}}


def _user_update(
    *, user: User, actor: Any, allowed: tuple[str, ...], action: str, changes: dict[str, Any]
) -> User:
    _require_admin(actor)
    unknown = set(changes) - set(allowed)
    if unknown:
        raise CustomerError(f"Unknown user fields: {sorted(unknown)}")
    return audited_update(
        obj=user,
        changes=changes,
        snapshot=lambda locked: _user_snapshot(locked, allowed),
        action=action,
        actor=actor,
        customer_id=user.customer_id,
    )


def staff_user_update(*, user: User, actor: Any, **changes: Any) -> User:
    """Change a staff member's name, role or active flag; nobody demotes or locks out themselves."""
    current = User.objects.get(pk=user.pk)  # `user` may carry a form's unsaved changes
    if not current.staff_role:
        raise CustomerError("That user is not staff.")
    role = changes.get("staff_role", current.staff_role)
    if role not in (StaffRole.ADMIN, StaffRole.FINANCE, StaffRole.SUPPORT):
        raise CustomerError(f"Unknown staff role '{role}'.", field="staff_role")
    if (
        actor is not None
        and actor.pk == current.pk
        and (role != current.staff_role or not changes.get("is_active", True))
    ):
        raise CustomerError(
            "You cannot change your own role or deactivate yourself.", field="staff_role"
        )
    return _user_update(
        user=current, actor=actor, allowed=STAFF_EDITABLE, action="staff.update", changes=changes
    )


def portal_user_update(*, user: User, actor: Any, **changes: Any) -> User:
    """Change a portal user's name, permissions (view / make payments, manage billing) or active
    flag."""
    if not User.objects.filter(pk=user.pk, customer__isnull=False).exists():
        raise CustomerError("That user is not a portal user.")
    return _user_update(
        user=user, actor=actor, allowed=PORTAL_USER_EDITABLE, action="user.update", changes=changes
    )


def user_password_set(
    *, user: User, password: str, actor: Any, ip_address: str | None = None
) -> User:
    """Set a user's password (stored hashed); the audit log records that it changed, not what.
    Someone else's: a reset, so their API keys are revoked and every session of theirs ends
    (accounts/resets.py); one's own is a change, as on the password page."""
    _require_admin(actor)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            action="user.password_set",
            actor=actor,
            obj=user,
            customer_id=user.customer_id,
            after={"email": user.email},
            ip_address=ip_address,
        )
        if user.pk != actor.pk:
            credentials_reset_announce(
                user=user, actor=actor, reason=PASSWORD_SET, ip_address=ip_address
            )
    return user


def customer_contacts_set(*, customer: Customer, emails: list[str], actor: Any) -> list[str]:
    """Make `emails` the customer's confirmation contacts: add the new, remove the missing."""
    _require_admin(actor)
    wanted = sorted({email.strip().lower() for email in emails if email.strip()})
    with transaction.atomic():
        current = sorted(Contact.objects.filter(customer=customer).values_list("email", flat=True))
        if wanted == current:
            return wanted
        Contact.objects.filter(customer=customer).exclude(email__in=wanted).delete()
        Contact.objects.bulk_create(
            [Contact(customer=customer, email=email) for email in wanted if email not in current]
        )
        audit_record(
            action="customer.contacts",
            actor=actor,
            obj=customer,
            customer_id=customer.pk,
            before={"contacts": current},
            after={"contacts": wanted},
        )
    return wanted


def portal_defaults_update(*, actor: Any, **changes: Any) -> PortalDefaults:
    """Change the provider-wide portal flags and blocked methods (the row is made if missing)."""
    _require_admin(actor)
    unknown = set(changes) - {*PORTAL_FLAGS, "blocked_methods"}
    if unknown:
        raise CustomerError(f"Unknown portal defaults: {sorted(unknown)}")
    if "blocked_methods" in changes:
        methods = list(changes["blocked_methods"] or [])
        bad = set(methods) - set(PaymentMethod.values)
        if bad:
            raise CustomerError(f"Unknown payment methods: {sorted(bad)}", field="blocked_methods")
        changes["blocked_methods"] = sorted(methods)
    with transaction.atomic():
        defaults = PortalDefaults.objects.order_by("pk").first() or PortalDefaults.objects.create()
        return audited_update(
            obj=defaults,
            changes=changes,
            snapshot=_defaults_snapshot,
            action="portal_defaults.update",
            actor=actor,
            audit_unchanged=True,
        )


def _defaults_snapshot(defaults: PortalDefaults) -> dict[str, Any]:
    return {
        **{name: getattr(defaults, name) for name in PORTAL_FLAGS},
        "blocked_methods": list(defaults.blocked_methods),
    }
