"""Two Administrators editing one customer at once: the second save, based on a read older
than the first, is refused with who changed it and when, and nothing of it is saved
(paydesk.accounts.edits; docs/backoffice.md, "Two people editing one customer")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from paydesk.accounts.billing import billing_profile_update
from paydesk.accounts.models import Customer
from paydesk.audit.models import AuditEntry
from tests.backoffice.conftest import signed_in
from tests.backoffice.test_customers import CUSTOMERS, form_data
from tests.factories import PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def opened(client, customer: Customer):
    """The change page as an Administrator opens it: its URL and the edit version it carries."""
    url = f"{CUSTOMERS}{customer.pk}/change/"
    page = client.get(url)
    version = page.context["edit_version"]
    assert f'<input type="hidden" name="edit_version" value="{version}">' in page.text
    return url, version


def saved(client, url: str, version: int, **fields):
    return client.post(url, form_data(edit_version=str(version), **fields))


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_second_save_of_two_open_forms_is_refused_naming_who_and_when(admin_user, customer):
    ann, bob = signed_in(admin_user), signed_in(StaffFactory(staff_role="admin"))
    url, ann_read = opened(ann, customer)
    _url, bob_read = opened(bob, customer)

    assert saved(ann, url, ann_read, debit_limit="250").status_code == 302
    refused = saved(bob, url, bob_read, name="Bob's rename", debit_limit="100")
    assert refused.status_code == 302 and refused["Location"] == url
    at = timezone.localtime(AuditEntry.objects.get(action="customer.update").at)
    assert shown(refused) == [
        f"This customer was changed by {admin_user.email} at {at:%H:%M} since you opened it; "
        "review and save again."
    ]
    customer.refresh_from_db()
    assert (customer.name, customer.debit_limit) == ("Acme Telecom", Decimal("250"))
    assert AuditEntry.objects.filter(action="customer.update").count() == 1
    assert not customer.contacts.exclude(email="billing@acme.example").exists()

    # Reviewed: the page opened again shows Ann's limit, and Bob's save goes through.
    url, bob_read = opened(bob, customer)
    assert saved(bob, url, bob_read, name="Bob's rename", debit_limit="250").status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.debit_limit) == ("Bob's rename", Decimal("250"))


def test_a_save_that_changed_nothing_does_not_block_the_other(admin_user, customer):
    ann, bob = signed_in(admin_user), signed_in(StaffFactory(staff_role="admin"))
    url, ann_read = opened(ann, customer)
    assert saved(ann, url, ann_read).status_code == 302  # the contact is added: a change
    url, ann_read = opened(ann, customer)
    _url, bob_read = opened(bob, customer)
    assert saved(ann, url, ann_read).status_code == 302  # the same values again: no change
    assert saved(bob, url, bob_read, debit_limit="5").status_code == 302
    customer.refresh_from_db()
    assert customer.debit_limit == Decimal("5")


def test_the_customers_own_billing_profile_change_counts_too(admin_user, customer):
    """The form carries the billing profile: a change the customer's billing manager made in
    the portal since the page was opened is not overwritten with what the page showed."""
    admin = signed_in(admin_user)
    url, read = opened(admin, customer)
    manager = PortalUserFactory(customer=customer, can_manage_billing=True)
    billing_profile_update(customer=customer, actor=manager, legal_name="Acme Telecom GmbH")
    refused = saved(admin, url, read, debit_limit="7")
    assert f"changed by {manager.email} at" in shown(refused)[0]
    customer.refresh_from_db()
    assert customer.debit_limit == Decimal("0")


def test_a_form_sent_without_a_version_saves_as_before(administrator, customer):
    url = f"{CUSTOMERS}{customer.pk}/change/"
    assert administrator.post(url, form_data(debit_limit="9")).status_code == 302
    assert administrator.post(url, form_data(debit_limit="8")).status_code == 302
    customer.refresh_from_db()
    assert customer.debit_limit == Decimal("8")
