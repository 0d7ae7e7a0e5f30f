"""Reads of vouchers: armed bonus vouchers for the Payments page, staff look-ups, batch counts.

Never writes. Customer-facing callers must pass the signed-in user's own customer.
`voucher_find_by_code` is for staff only: it is not rate-limited.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from paydesk.accounts.models import Contact, Customer, PortalDefaults
from paydesk.fastsql import first_rows
from paydesk.vouchers.codes import voucher_code_hash, voucher_code_is_well_formed
from paydesk.vouchers.models import Voucher, VoucherActivation, VoucherBatch, VoucherStatus


def redeem_reads(*, customer: Customer) -> tuple[PortalDefaults, list[str]]:
    """What a redemption reads before it writes, in one statement (bench P5: one round trip
    instead of two): the portal defaults, as `PortalDefaults.current()` reads them, and the
    customer's contact addresses, whom its receipt goes to (`Contact.emails_of`)."""
    defaults, contacts = first_rows(
        ((PortalDefaults, ""),), [customer.pk], lists=((Contact, *Contact.EMAILS_OF),)
    )
    return defaults or PortalDefaults(), contacts


def activation_list_armed(*, customer: Customer) -> QuerySet[VoucherActivation]:
    """The customer's bonus vouchers still waiting for a top-up, oldest first (applied first)."""
    return (
        VoucherActivation.objects.filter(customer=customer, applied_payment__isnull=True)
        .select_related("voucher__batch")
        .order_by("armed_at", "id")
    )


def voucher_find_by_code(*, code: str) -> Voucher | None:
    """The voucher a staff member typed the code of, or None (also for a mistyped code)."""
    if not voucher_code_is_well_formed(code):
        return None
    return (
        Voucher.objects.select_related("batch", "used_by", "redemption_payment")
        .filter(code_hash=voucher_code_hash(code))
        .first()
    )


def voucher_batch_status_counts(*, batch: VoucherBatch) -> dict[str, int]:
    """How many of the batch's vouchers are available, used and disabled."""
    counts = dict.fromkeys(VoucherStatus.values, 0)
    rows = Voucher.objects.filter(batch=batch).values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
