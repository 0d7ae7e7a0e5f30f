"""The audit log: readable by every staff role, filterable, and never changed from here."""

from __future__ import annotations

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create

pytestmark = pytest.mark.django_db
AUDIT = "/backoffice/audit/auditentry/"


@pytest.fixture
def entry(customer, finance_user):
    payment_create(customer=customer, total="10", description="Top-up", actor=finance_user)
    return AuditEntry.objects.get(action="payment.create")


@pytest.mark.parametrize("who", ["support", "finance", "administrator"])
def test_every_role_reads_the_log_and_nobody_writes_it(request, who, entry):
    client = request.getfixturevalue(who)
    page = client.get(AUDIT).content.decode()
    assert "payment.create" in page
    detail = client.get(f"{AUDIT}{entry.pk}/change/")
    assert detail.status_code == 200
    assert "balance_after" in detail.content.decode()
    assert client.post(f"{AUDIT}{entry.pk}/change/", {"action": "nothing"}).status_code == 403
    assert client.get(AUDIT + "add/").status_code == 403
    assert client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "payment.create"


def test_filter_by_action_and_actor(support, entry, finance_user):
    assert "payment.create" in support.get(AUDIT + "?action=payment.create").content.decode()
    page = support.get(AUDIT + "?action=customer.update").content.decode()
    assert f"{AUDIT}{entry.pk}/change/" not in page
    page = support.get(AUDIT + f"?actor={finance_user.email}").content.decode()
    assert f"{AUDIT}{entry.pk}/change/" in page


def test_an_entry_reads_its_time_to_the_second_as_its_title_and_says_ip_address(support, entry):
    """Its page wrote "At: Dec. 5, 2026, 4:12 a.m." under the title "2026-12-05 04:12:01 …",
    and the list the same long form; the address was labelled "Ip address"."""
    import re

    from django.utils import timezone

    stamp = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")
    page = support.get(f"{AUDIT}{entry.pk}/change/").content.decode()
    assert str(entry).startswith(stamp) and stamp in page
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', page, re.S)
    assert readonly[0] == stamp
    assert "IP address" in page and "Ip address" not in page
    listing = support.get(AUDIT).content.decode()
    assert f">{stamp}</a>" in listing or f">{stamp}</td>" in listing
    assert "a.m." not in listing and "p.m." not in listing


def test_the_list_shows_six_columns_and_an_entry_those_six_then_ip_before_after(support, entry):
    """The admin names the six once, for its list and the start of an entry's page."""
    import re

    six = ["at_display", "actor_email", "action", "object_type", "object_id", "customer_id"]
    listing = support.get(AUDIT).content.decode()
    assert re.findall(r'<th scope="col" class="[^"]*\bcolumn-(\w+)', listing) == six
    page = support.get(f"{AUDIT}{entry.pk}/change/").content.decode()
    fields = re.findall(r'class="form-row[^"]*\bfield-(\w+)', page)
    assert fields == [*six, "ip_display", "before_display", "after_display"]
