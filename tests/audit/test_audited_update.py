"""audited_update: one change of a row, locked, saved and recorded with its state before and
after, in one transaction (the edits of customers, users, method settings, bank details and
the portal defaults all go through it)."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import Customer
from paydesk.audit.models import AuditEntry
from paydesk.audit.services import audited_update
from paydesk.banktransfers.models import BankDetails
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _name(customer: Customer) -> dict[str, object]:
    return {"name": customer.name}


def test_a_change_is_saved_and_recorded_with_before_and_after():
    customer = CustomerFactory(name="Old name")
    admin = StaffFactory(staff_role="admin")
    stale = Customer.objects.get(pk=customer.pk)
    Customer.objects.filter(pk=customer.pk).update(show_balance=False)  # changed meanwhile

    saved = audited_update(
        obj=stale,
        changes={"name": "New name"},
        snapshot=_name,
        action="customer.update",
        actor=admin,
        customer_id=customer.pk,
    )

    assert saved is not stale  # the row as locked, not the caller's copy
    assert saved.show_balance is False
    customer.refresh_from_db()
    assert (customer.name, customer.show_balance) == ("New name", False)  # only `changes` saved
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.customer_id) == ("customer.update", admin, customer.pk)
    assert (entry.object_type, entry.object_id) == ("customer", str(customer.pk))
    assert (entry.before, entry.after) == ({"name": "Old name"}, {"name": "New name"})


def test_no_change_is_recorded_only_when_asked_and_no_actor_records_nothing():
    customer = CustomerFactory(name="Same")
    admin = StaffFactory(staff_role="admin")
    same = {"obj": customer, "changes": {"name": "Same"}, "snapshot": _name, "action": "x"}
    audited_update(**same, actor=admin)
    assert not AuditEntry.objects.exists()
    audited_update(**same, actor=admin, audit_unchanged=True)
    assert AuditEntry.objects.get().before == {"name": "Same"}
    audited_update(obj=customer, changes={"name": "Other"}, snapshot=_name, action="x", actor=None)
    assert AuditEntry.objects.count() == 1
    customer.refresh_from_db()
    assert customer.name == "Other"


def test_a_row_not_saved_yet_is_inserted():
    admin = StaffFactory(staff_role="admin")
    details = audited_update(
        obj=BankDetails(),
        changes={"bank_name": "First Bank", "updated_by": admin},
        snapshot=lambda row: {"bank_name": row.bank_name},
        action="bank_details.update",
        actor=admin,
    )
    assert BankDetails.objects.get().pk == details.pk
    entry = AuditEntry.objects.get()
    assert (entry.before, entry.after) == ({"bank_name": ""}, {"bank_name": "First Bank"})
