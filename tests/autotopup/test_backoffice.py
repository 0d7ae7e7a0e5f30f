"""The back office: customers with automatic top-up, the last attempt and its result, suspended
ones under the work waiting, each in staff's words (a top-up waiting for the customer "Needs the
customer's authentication"); Finance switches one off (audited); Support may only read."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.autotopup.models import Topup, TopupSettings, TopupStatus
from tests.backoffice.conftest import signed_in
from tests.backoffice.test_home import count_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = "/backoffice/autotopup/topupsettings/"


def configured(name: str, *, suspended: bool = False) -> TopupSettings:
    customer = CustomerFactory(name=name)
    now = timezone.now()
    row = TopupSettings.objects.create(
        customer=customer,
        enabled=True,
        threshold=Decimal("20"),
        amount=Decimal("50"),
        monthly_cap=Decimal("200"),
        payment_method="pm_test4242",
        method_label="Card •••• 4242",
        consent_text="I authorise…",
        consented_at=now,
        suspended_at=now if suspended else None,
        suspended_reason="3 automatic top-ups in a row failed" if suspended else "",
    )
    Topup.objects.create(
        customer=customer,
        trigger="posting",
        balance_at_trigger=Decimal("5"),
        threshold=Decimal("20"),
        amount=Decimal("50"),
        payment_method="pm_test4242",
        created_at=now,
        status=TopupStatus.FAILED if suspended else TopupStatus.SUCCEEDED,
        detail="Your card has insufficient funds." if suspended else "",
    )
    return row


def test_the_list_shows_each_customer_with_the_last_result(finance_user):
    configured("Acme Telecom")
    configured("Nordlicht Telekom", suspended=True)
    finance = signed_in(finance_user)
    html = finance.get(LIST).content.decode()
    assert "Acme Telecom" in html and "Nordlicht Telekom" in html
    assert "$50.00 USD" in html and "Failed: Your card has insufficient funds." in html
    suspended = finance.get(LIST + "?state=suspended").content.decode()
    assert "Nordlicht Telekom" in suspended and "Acme Telecom" not in suspended
    home = finance.get("/backoffice/").content.decode()
    assert count_of(home, "Automatic top-ups suspended") == 1


def test_staff_read_a_top_up_waiting_for_the_customer_in_their_own_words(finance_user):
    """The portal tells the customer "Needs your authentication: …"; staff keep theirs."""
    customer = configured("Acme Telecom").customer
    Topup.objects.filter(customer=customer).update(status=TopupStatus.ACTION_REQUIRED)
    finance = signed_in(finance_user)
    for page in (LIST, "/backoffice/autotopup/topup/"):
        html = unescape(finance.get(page).content.decode())
        assert "Needs the customer's authentication" in html, page
        assert "Needs your authentication" not in html, page


def test_finance_switches_it_off_audited_support_cannot(finance_user, support_user):
    row = configured("Acme Telecom")
    support = signed_in(support_user)
    support.post(LIST, {"action": "switch_off", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.enabled
    answer = signed_in(finance_user).post(
        LIST, {"action": "switch_off", "_selected_action": [row.pk]}, follow=True
    )
    assert "Automatic top-up switched off for 1 customer." in answer.content.decode()
    row.refresh_from_db()
    assert not row.enabled
    entry = AuditEntry.objects.get(action="autotopup.switch_off")
    assert entry.actor_id == finance_user.pk and entry.customer_id == row.customer_id
