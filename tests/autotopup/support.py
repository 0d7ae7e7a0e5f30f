"""Helpers of the automatic top-up tests: a customer with a saved card, a billing contact, an
opening balance and automatic top-up turned on through the services, as the portal does."""

from __future__ import annotations

from decimal import Decimal

from paydesk.accounts.models import Contact
from paydesk.autotopup.consent import terms_checked, topup_enable
from paydesk.autotopup.models import Topup
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import email_content
from tests.online.stripe_support import VISA, save_card

CONTACT = "billing@example.com"


def topup_customer(
    sandbox,
    online_customer,
    *,
    card: str = VISA,
    opening: str = "100",
    threshold: str = "20",
    amount: str = "50",
    cap: str = "100",
    cooldown: str = "15",
):
    user = online_customer("card")
    customer = user.customer
    Contact.objects.create(customer=customer, email=CONTACT)
    pm = save_card(sandbox.url, user, card)
    payment_create(customer=customer, total=opening, description="Opening top-up")
    terms = terms_checked(
        customer=customer,
        threshold=threshold,
        amount=amount,
        monthly_cap=cap,
        cooldown_minutes=cooldown,
        payment_method=pm,
    )
    topup_enable(customer=customer, user=user, terms=terms, consent=True)
    return user, pm


def purchase(customer, total: str) -> None:
    payment_create(customer=customer, total=f"-{total}", description="Voice termination")


def balance(customer) -> Decimal:
    customer.refresh_from_db(fields=["balance"])
    return customer.balance


def topups(customer) -> list[Topup]:
    return list(Topup.objects.filter(customer=customer).order_by("pk"))


def emails(kind: str) -> list[OutboundEmail]:
    """The contact's rows of this kind, their subject and bodies as the worker renders them."""
    rows = list(OutboundEmail.objects.filter(kind=kind, to=CONTACT).order_by("pk"))
    for row in rows:
        row.subject, row.body_text, row.body_html = email_content(row)
    return rows
