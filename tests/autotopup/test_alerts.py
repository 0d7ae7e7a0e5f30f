"""Low-balance alerts: a balance crossing down, hovering around and climbing back above the
threshold sends exactly the emails the rule says (one per crossing, re-armed only above the
threshold plus the margin); the portal's banner shows while the balance is under it; a postpaid
customer is warned on the credit left before the debit limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.accounts.models import Contact
from paydesk.autotopup.alerts import alerts_set
from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import BalanceAlert
from paydesk.errors import InvalidAmount, PermissionDenied
from paydesk.ledger.services import payment_create
from tests.autotopup.support import CONTACT, emails
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db


def post(customer, total: str) -> None:
    payment_create(customer=customer, total=total, description="Usage", allow_overdraft=True)


def manager(**customer_fields):
    customer = CustomerFactory(**customer_fields)
    Contact.objects.create(customer=customer, email=CONTACT)
    return PortalUserFactory(customer=customer, can_manage_billing=True)


def test_down_hovering_and_back_up_sends_one_email_per_crossing():
    user = manager()
    customer = user.customer
    post(customer, "100")
    alerts_set(customer=customer, actor=user, thresholds=["20"], margin="5")
    post(customer, "-85")  # 15: crosses down → email 1
    assert len(emails("low_balance")) == 1
    post(customer, "-1")  # 14
    post(customer, "8")  # 22: above 20, below 20 + 5: not re-armed
    post(customer, "-5")  # 17: under again, but no new crossing
    assert len(emails("low_balance")) == 1
    post(customer, "10")  # 27: re-armed
    assert BalanceAlert.objects.get(customer=customer).armed
    post(customer, "-10")  # 17: crosses down again → email 2
    sent = emails("low_balance")
    assert len(sent) == 2
    assert sent[0].subject == "Low balance: $15.00 USD left"
    assert "below your low-balance alert of $20.00 USD" in sent[0].body_text


def test_two_thresholds_each_warn_once():
    user = manager()
    customer = user.customer
    post(customer, "100")
    alerts_set(customer=customer, actor=user, thresholds=["50", "10"], margin="0")
    post(customer, "-60")  # 40: under 50
    post(customer, "-35")  # 5: under 10
    post(customer, "-1")
    assert [e.subject for e in emails("low_balance")] == [
        "Low balance: $40.00 USD left",
        "Low balance: $5.00 USD left",
    ]


def test_a_postpaid_customer_is_warned_near_the_debit_limit():
    user = manager(debit_limit=Decimal("100"))
    customer = user.customer
    alerts_set(customer=customer, actor=user, thresholds=["30"], margin="10")
    post(customer, "-60")  # available 40
    assert emails("low_balance") == []
    post(customer, "-15")  # available 25
    [email] = emails("low_balance")
    assert email.subject == "Low credit: $25.00 USD left before the debit limit"
    assert "available credit of" in email.body_text and "$25.00 USD" in email.body_text
    assert "may go down to -$100.00 USD" in email.body_text


def test_the_provider_default_is_given_until_the_customer_chooses(settings):
    settings.PAYDESK_LOW_BALANCE_DEFAULT = "10"
    user = manager()
    customer = user.customer
    balance_watch_job()
    [alert] = BalanceAlert.objects.filter(customer=customer)
    assert alert.threshold == Decimal("10") and not alert.armed  # a balance of 0 is under it
    alerts_set(customer=customer, actor=user, thresholds=[], margin="0")
    balance_watch_job()
    assert not BalanceAlert.objects.filter(customer=customer).exists()


def test_the_sweep_sends_what_a_posting_missed():
    user = manager()
    customer = user.customer
    post(customer, "100")
    alerts_set(customer=customer, actor=user, thresholds=["20"], margin="5")
    BalanceAlert.objects.filter(customer=customer).update(threshold=Decimal("150"))
    balance_watch_job()
    balance_watch_job()
    assert len(emails("low_balance")) == 1


def test_bad_thresholds_are_refused_with_the_field_and_nothing_changes():
    user = manager()
    alerts_set(customer=user.customer, actor=user, thresholds=["20"], margin="5")
    with pytest.raises(InvalidAmount) as refused:
        alerts_set(customer=user.customer, actor=user, thresholds=["20.001"], margin="5")
    assert refused.value.field == "thresholds"
    with pytest.raises(PermissionDenied):
        other = PortalUserFactory(can_manage_billing=True)
        alerts_set(customer=user.customer, actor=other, thresholds=["5"], margin="5")
    assert [a.threshold for a in BalanceAlert.objects.filter(customer=user.customer)] == [
        Decimal("20")
    ]


def test_the_banner_shows_while_under_the_threshold(client):
    user = manager()
    customer = user.customer
    post(customer, "100")
    alerts_set(customer=customer, actor=user, thresholds=["20"], margin="5")
    client.force_login(user)
    assert b"data-low-balance" not in client.get("/").content
    post(customer, "-85")
    page = client.get("/").content.decode()
    assert "data-low-balance" in page and "Low balance: $15.00 USD" in page
    post(customer, "10")  # 25: back above
    assert b"data-low-balance" not in client.get("/").content


def test_the_banner_offers_make_payment_only_to_users_who_may_pay(client):
    user = manager()
    alerts_set(customer=user.customer, actor=user, thresholds=["20"], margin="5")
    post(user.customer, "10")
    client.force_login(user)
    assert 'href="/pay/"' in client.get("/").content.decode().split("data-low-balance", 1)[1]
    viewer = PortalUserFactory(customer=user.customer, can_make_payments=False)
    client.force_login(viewer)
    banner = client.get("/").content.decode().split("data-low-balance", 1)[1].split("</p>", 1)[0]
    assert "Low balance" in banner and "/pay/" not in banner
