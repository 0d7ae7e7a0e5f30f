"""Registers every back-office ModelAdmin on the `backoffice` site (see site.py)."""

from paydesk.backoffice import (  # noqa: F401
    admin_audit,
    admin_autotopup,
    admin_banktransfers,
    admin_checkout,
    admin_credits,
    admin_customers,
    admin_disputes,
    admin_documents,
    admin_fx,
    admin_imports,
    admin_notifications,
    admin_outhooks,
    admin_payments,
    admin_portal,
    admin_provider,
    admin_users,
    admin_vouchers,
)
