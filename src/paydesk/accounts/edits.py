"""A customer's edit version: what the back office's customer form and the staff API's PATCH
carry from the read they are based on, so that a save based on an older read is refused instead
of silently undoing a colleague's change (docs/backoffice.md, "Two people editing one customer").

The version is the id of the last audit entry of an edit of the customer's settings — its
limits, flags and currencies (`customer.update`), its billing contacts (`customer.contacts`),
its billing profile (`billing_profile.update`, which the customer's own billing managers change
in the portal too) — or 0 before any. Every such edit is audited in its transaction and takes
the customer's row lock, so a check made under that lock sees every edit committed before it. A
save that changed nothing (`customer.update` records those too) is not a change: a read older
than it still saves.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from paydesk.accounts.models import Customer
from paydesk.audit.models import AuditEntry
from paydesk.errors import ChangedSinceRead

EDIT_ACTIONS = ("customer.create", "customer.update", "customer.contacts", "billing_profile.update")


def _edits(customer_id: int):  # noqa: ANN202 (a queryset of AuditEntry)
    return AuditEntry.objects.filter(customer_id=customer_id, action__in=EDIT_ACTIONS)


def customer_version(customer: Customer) -> int:
    """The customer's edit version now (0: never edited through a recorded edit)."""
    return _edits(customer.pk).order_by("-id").values_list("id", flat=True).first() or 0


def customer_change_since(customer: Customer, version: int) -> AuditEntry | None:
    """The first edit that changed something after `version`, or None."""
    for entry in _edits(customer.pk).filter(id__gt=version).order_by("id"):
        if entry.before != entry.after:
            return entry
    return None


def _when(at: datetime) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {local:%Y-%m-%d} at {local:%H:%M}"


def customer_version_check(*, customer: Customer, version: int) -> None:
    """ChangedSinceRead when the customer was changed after `version`. Call it inside the
    transaction of the save, which it locks the customer's row for (the row every edit of it
    locks), before anything is written."""
    Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
    entry = customer_change_since(customer, version)
    if entry is None:
        return
    who = entry.actor_email or "the system"
    raise ChangedSinceRead(
        f"This customer was changed by {who} {_when(entry.at)} since you opened it; "
        "review and save again."
    )
