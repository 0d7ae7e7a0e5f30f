"""Confirmation emails the back office sends about a payment.

Sent only after the payment's transaction has committed; a failure to send is logged and never
undoes or retries the payment. Never includes the private staff comment.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from paydesk.accounts.models import Contact
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import format_money

logger = logging.getLogger(__name__)


def payment_confirmation_send(*, payment_id: int) -> int:
    """Email every contact of the payment's customer that it was received and applied.

    Returns the number of messages sent; 0 when the payment is not completed or has no contacts.
    """
    payment = Payment.objects.select_related("customer").get(pk=payment_id)
    if payment.status != PaymentStatus.COMPLETED:
        return 0
    recipients = list(
        Contact.objects.filter(customer_id=payment.customer_id).values_list("email", flat=True)
    )
    if not recipients:
        return 0
    context = {
        "payment": payment,
        "customer": payment.customer,
        "amount": format_money(payment.total, payment.customer.currency),
        "balance": format_money(payment.balance_after, payment.customer.currency),
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
    }
    subject = render_to_string("backoffice/email/payment_confirmation_subject.txt", context)
    body = render_to_string("backoffice/email/payment_confirmation.txt", context)
    sent = 0
    for recipient in recipients:
        try:
            sent += send_mail(" ".join(subject.split()), body, None, [recipient])
        except Exception:  # any transport failure: log it, the payment stands
            logger.exception(
                "Payment confirmation for %s to a contact of customer %s could not be sent",
                payment.reference,
                payment.customer_id,
            )
    return sent


def payment_confirmation_schedule(*, payment: Payment) -> None:
    """Send the confirmation once the current transaction commits (at once outside one)."""
    payment_id = payment.pk
    transaction.on_commit(lambda: _send_quietly(payment_id))


def _send_quietly(payment_id: int) -> None:
    try:
        payment_confirmation_send(payment_id=payment_id)
    except Exception:  # a confirmation must never turn a recorded payment into an error page
        logger.exception("Payment confirmation for payment %s failed", payment_id)
