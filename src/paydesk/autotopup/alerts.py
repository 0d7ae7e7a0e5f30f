"""Low-balance alerts: one email to the billing contacts each time the available credit
(balance + debit limit) crosses a threshold downwards, re-armed only once it is back at the
threshold plus the margin (no email storm as a balance hovers); a banner in the portal while a
fired alert is not re-armed. Every customer has the provider's default until they choose.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import Customer
from paydesk.audit.services import audit_record
from paydesk.autotopup.access import check_may_change
from paydesk.autotopup.emails import page_link
from paydesk.autotopup.models import BalanceAlert, TopupSettings
from paydesk.errors import InvalidAmount
from paydesk.money import currency_exponent, decimal_places, format_money, to_decimal
from paydesk.notifications.models import EmailKind
from paydesk.notifications.services import notify_contacts
from paydesk.outhooks.events import event_write
from paydesk.outhooks.models import EventType
from paydesk.shapes import money

MAX_ALERTS = 5


def default_alert() -> tuple[Decimal, Decimal]:
    return (
        Decimal(settings.PAYDESK_LOW_BALANCE_DEFAULT),
        Decimal(settings.PAYDESK_LOW_BALANCE_MARGIN),
    )


def alerts_ensure_defaults() -> int:
    """Give the provider's default alert to every customer who has none and never chose."""
    chosen = TopupSettings.objects.filter(alerts_customised=True).values("customer_id")
    missing = Customer.objects.filter(balance_alerts__isnull=True).exclude(pk__in=chosen)
    threshold, margin = default_alert()
    made = BalanceAlert.objects.bulk_create(
        [
            BalanceAlert(
                customer_id=pk, threshold=threshold, margin=margin, armed=available >= threshold
            )
            for pk, available in _available(missing)
        ],
        ignore_conflicts=True,
    )
    return len(made)


def _available(customers: Any) -> list[tuple[int, Decimal]]:
    return [
        (pk, balance + limit)
        for pk, balance, limit in customers.values_list("pk", "balance", "debit_limit")
    ]


def alerts_evaluate(*, customer_id: int, now: Any = None) -> int:
    """Fire every armed alert the available credit is now under (one email each) and re-arm
    every fired one it climbed back above (threshold + margin). Inside the posting's transaction
    (the customer's row is locked by it). How many emails were queued."""
    now = now or timezone.now()
    customer = Customer.objects.get(pk=customer_id)
    available = customer.balance + customer.debit_limit
    queued = 0
    for alert in BalanceAlert.objects.filter(customer_id=customer_id).order_by("threshold"):
        if alert.armed and available < alert.threshold:
            BalanceAlert.objects.filter(pk=alert.pk).update(armed=False, fired_at=now)
            queued += _email(customer, alert, available)
            _webhook_event(customer, alert, available)
        elif not alert.armed and available >= alert.threshold + alert.margin:
            BalanceAlert.objects.filter(pk=alert.pk).update(armed=True)
    return queued


def _webhook_event(customer: Customer, alert: BalanceAlert, available: Decimal) -> None:
    """`balance.low` for the outgoing webhooks (docs/outgoing-webhooks.md), in this transaction."""
    c = customer.currency
    event_write(
        event_type=EventType.BALANCE_LOW,
        customer_id=customer.pk,
        data={
            "customer_id": customer.pk,
            "balance": money(customer.balance, c),
            "debit_limit": money(customer.debit_limit, c),
            "available_credit": money(available, c),
            "threshold": money(alert.threshold, c),
        },
    )


def _email(customer: Customer, alert: BalanceAlert, available: Decimal) -> int:
    currency = customer.currency
    postpaid = customer.debit_limit > 0
    what = "available credit" if postpaid else "balance"
    paragraphs = [
        f"The {what} of {customer.name} is {format_money(available, currency)}, below your "
        f"low-balance alert of {format_money(alert.threshold, currency)}.",
    ]
    if postpaid:
        paragraphs.append(
            f"The account may go down to {format_money(-customer.debit_limit, currency)}; "
            "services stop there until a payment arrives."
        )
    else:
        paragraphs.append("Services stop when the balance runs out: top up to keep them running.")
    return notify_contacts(
        kind=EmailKind.LOW_BALANCE,
        customer_id=customer.pk,
        template="autotopup/email/notice",
        context={
            "subject": (
                f"Low credit: {format_money(available, currency)} left before the debit limit"
                if postpaid
                else f"Low balance: {format_money(available, currency)} left"
            ),
            "paragraphs": paragraphs,
            "rows": [("Balance", format_money(customer.balance, currency))],
            "link": page_link("checkout:make_payment"),
            "link_text": "Make a payment",
            "customer_name": customer.name,
        },
    )


def alerts_set(
    *, customer: Customer, actor: Any, thresholds: list[object], margin: object
) -> list[BalanceAlert]:
    """Replace the customer's alert thresholds (at most 5; none is allowed). Audited."""
    check_may_change(actor=actor, customer=customer)
    currency = customer.currency
    places = currency_exponent(currency)
    values = []
    for raw in thresholds:
        if str(raw).strip() == "":
            continue
        value = to_decimal(raw, field="thresholds")
        if decimal_places(value) > places:
            raise InvalidAmount(
                f"{currency} amounts have at most {places} decimal places.", field="thresholds"
            )
        if value < 0 and -value > customer.debit_limit:
            raise InvalidAmount(
                "A threshold below what the account can reach never fires.", field="thresholds"
            )
        values.append(value)
    values = sorted(set(values), reverse=True)
    if len(values) > MAX_ALERTS:
        raise InvalidAmount(f"At most {MAX_ALERTS} thresholds.", field="thresholds")
    margin_value = to_decimal(margin, field="margin")
    if margin_value < 0 or decimal_places(margin_value) > places:
        raise InvalidAmount(
            "The margin is zero or more, in the account's decimals.", field="margin"
        )
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        available = locked.balance + locked.debit_limit
        before = [str(a.threshold) for a in BalanceAlert.objects.filter(customer=customer)]
        BalanceAlert.objects.filter(customer=customer).delete()
        made = [
            BalanceAlert.objects.create(
                customer=customer, threshold=v, margin=margin_value, armed=available >= v
            )
            for v in values
        ]
        TopupSettings.objects.update_or_create(
            customer=customer, defaults={"alerts_customised": True}
        )
        audit_record(
            action="balance_alerts.set",
            actor=actor,
            obj=locked,
            customer_id=customer.pk,
            before={"thresholds": before},
            after={"thresholds": [str(v) for v in values], "margin": str(margin_value)},
        )
    return made
