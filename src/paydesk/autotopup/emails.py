"""The automatic top-up's emails to the billing contacts, through the outbox (queued in the
transaction that records what they tell): each charge says why it happened."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from paydesk.autotopup.models import Topup, TopupSettings
from paydesk.money import format_money
from paydesk.notifications.models import EmailKind
from paydesk.notifications.services import notify_contacts

TEMPLATE = "autotopup/email/notice"


def page_link(name: str = "autotopup:settings", *args: object) -> str:
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + reverse(name, args=args)


def _why(topup: Topup) -> str:
    currency = topup.customer.currency
    was = format_money(topup.balance_at_trigger, currency)
    return (
        f"The balance of {topup.customer.name} was {was}, "
        f"below the automatic top-up threshold of {format_money(topup.threshold, currency)}."
    )


def _send(
    topup: Topup,
    subject: str,
    paragraphs: list[str],
    *,
    rows=(),
    link: str = "",
    link_text: str = "",
) -> int:
    return notify_contacts(
        kind=EmailKind.AUTOTOPUP,
        customer_id=topup.customer_id,
        template=TEMPLATE,
        payment=topup.payment,
        context={
            "subject": subject,
            "paragraphs": paragraphs,
            "rows": list(rows),
            "link": link,
            "link_text": link_text,
            "customer_name": topup.customer.name,
        },
    )


def email_charged(*, topup: Topup) -> int:
    payment = topup.payment
    if payment is None:
        raise ValueError(f"Top-up {topup.pk} has no payment to tell of.")
    currency = topup.customer.currency
    amount = format_money(payment.total, currency)
    return _send(
        topup,
        f"Automatic top-up: {amount} credited",
        [_why(topup), f"So the saved payment method was charged and {amount} credited."],
        rows=[
            ("Reference", payment.reference),
            ("Charged", payment.description),
            ("Balance after", format_money(payment.balance_after, currency)),
        ],
        link=page_link(),
        link_text="Automatic top-up settings",
    )


def email_failed(*, topup: Topup) -> int:
    return _send(
        topup,
        "Automatic top-up failed",
        [
            _why(topup),
            f"Charging the saved payment method failed: {topup.detail}",
            "Nothing was charged. Paydesk tries again after the wait between top-ups; after 3 "
            "failures in a row automatic top-up is suspended.",
        ],
        link=page_link(),
        link_text="Check the automatic top-up settings",
    )


def email_action_required(*, topup: Topup) -> int:
    amount = format_money(topup.amount, topup.customer.currency)
    return _send(
        topup,
        "Automatic top-up: your bank asks you to confirm the payment",
        [
            _why(topup),
            f"Your bank asked for your confirmation before charging {amount}, which "
            "cannot be given while you are away: nothing was charged. Follow the link to pay it "
            "in your browser (you will be asked to confirm with your bank).",
        ],
        link=page_link("autotopup:finish", topup.pk),
        link_text=f"Pay the {amount} top-up now",
    )


def email_suspended(*, topup_settings: TopupSettings) -> int:
    customer = topup_settings.customer
    return notify_contacts(
        kind=EmailKind.AUTOTOPUP,
        customer_id=customer.pk,
        template=TEMPLATE,
        context={
            "subject": "Automatic top-up suspended",
            "paragraphs": [
                f"Automatic top-up of {customer.name} is suspended: "
                f"{topup_settings.suspended_reason}",
                "No more automatic charges are made. To resume, open the automatic top-up "
                "settings, check the payment method (or save a new one), and turn it on again.",
            ],
            "rows": [],
            "link": page_link(),
            "link_text": "Resume automatic top-up",
            "customer_name": customer.name,
        },
    )
