"""Emails about payments, through the outbox: write the rows now, the worker sends them.

`notify_*` must be called inside the transaction that moves the money: the outbox rows commit or
roll back with it. Nothing is sent from the request that wrote them: the worker's `email-outbox`
job (`outbox_send_due`, every few seconds) delivers them, so a top-up request never waits for
an SMTP server (issue 18). Nor does the request render them: a row holds its template and the
plain values the message says, as the request knew them (the amount, reference and bank details
the API answer gave); the worker renders them, with the provider's brand, at the first attempt.
A delivery failure is logged, recorded on the row and retried with a doubling delay; it never
undoes a payment. Messages carry the public description only, never the staff comment, and
never a secret.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q, signals
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from paydesk.accounts.models import Contact, Customer, PaymentMethod, StaffRole, User
from paydesk.accounts.reset_link import reset_link_valid_for
from paydesk.audit.services import audit_record
from paydesk.bankaccounts import account_number_label
from paydesk.documents.attachments import email_attachments
from paydesk.errors import PermissionDenied
from paydesk.fastsql import first_row, insert_statement, row_insert
from paydesk.gateways.dispute_words import dispute_reason_words
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refund_reads import refunds_so_far
from paydesk.money import format_money
from paydesk.notifications.models import EmailKind, EmailStatus, OutboundEmail
from paydesk.notifications.password_reset import (
    LINK_HELD,
    NotToBeSent,
    reset_link,
)
from paydesk.provider.brand import brand_email_context
from paydesk.shapes import payment_description_shown

logger = logging.getLogger(__name__)

# The longest wait between two attempts.
RETRY_CAP = timedelta(hours=6)
SWEEP_BATCH = 100
ERROR_MAX = 500
BANK_DETAIL_KEYS = ("beneficiary_name", "account_number", "bank_name", "bank_address", "swift")


def notify_payment_received(*, payment: Payment, contacts: list[str] | None = None) -> int:
    """Queue "payment received and applied" to each of the customer's contacts; send on commit.

    Returns how many messages were queued: 0 when the payment is not completed, the customer has
    no contacts, or this payment's confirmation was queued before (a replayed event, a second
    call). A purchase is told as a charge applied to the account. `contacts`: the customer's
    addresses as `Contact.emails_of` read them, when the caller has (in the same transaction).
    """
    if payment.status != PaymentStatus.COMPLETED:
        return 0
    # Whom to write to first: a customer without contacts (most top-ups) costs one read (none
    # when the caller read them with its own), and no amounts are formatted for nobody.
    recipients = _contacts(payment) if contacts is None else list(contacts)
    if not recipients or _already_queued(payment, EmailKind.PAYMENT_RECEIVED):
        return 0
    customer = payment.customer
    context = {
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
        "customer_name": customer.name,
        "is_purchase": payment.is_purchase,
        "amount": format_money(payment.total, customer.currency),
        "reference": payment.reference,
        "description": payment.description,
        "date": _provider_time(payment.completed_at),
        "balance": format_money(payment.balance_after, customer.currency),
    }
    return _enqueue(
        kind=EmailKind.PAYMENT_RECEIVED,
        payment=payment,
        recipients=recipients,
        template="notifications/email/payment_received",
        context=context,
    )


def notify_payment_completed(*, payment: Payment, contacts: list[str] | None = None) -> int:
    """Spec §5/§8 for a pending payment that has just completed: a customer's own payment
    (gateway, bank transfer) always tells the contacts; a staff entry (method "manual") only when
    staff tick Email Confirmation, which calls `notify_payment_received` itself."""
    if payment.method == PaymentMethod.MANUAL:
        return 0
    return notify_payment_received(payment=payment, contacts=contacts)


def notify_refund_issued(*, payment: Payment) -> int:
    """Queue "refund issued" to the customer's contacts when a refund completes; once per refund."""
    if (
        payment.status != PaymentStatus.COMPLETED
        or payment.relation != "refund"
        or _already_queued(payment, EmailKind.REFUND_ISSUED)
    ):
        return 0
    customer = payment.customer
    paid_back = format_money(-payment.total, customer.currency)
    if payment.paid_amount is not None and payment.paid_currency:
        paid_back = format_money(-payment.paid_amount, payment.paid_currency)
    context = {
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
        "customer_name": customer.name,
        "amount": format_money(payment.total, customer.currency),
        "paid_back": paid_back,
        "reference": payment.reference,
        "original": payment.original.reference if payment.original is not None else "",
        "description": payment.description,
        "date": _provider_time(payment.completed_at),
        "balance": format_money(payment.balance_after, customer.currency),
    }
    return _enqueue(
        kind=EmailKind.REFUND_ISSUED,
        payment=payment,
        recipients=_contacts(payment),
        template="notifications/email/refund_issued",
        context=context,
    )


# What each money row of a dispute tells the customer: its email's kind and template.
_CHARGEBACK_EMAILS = {
    PaymentRelation.CHARGEBACK: (EmailKind.CHARGEBACK, "notifications/email/chargeback"),
    PaymentRelation.CHARGEBACK_REVERSED: (
        EmailKind.CHARGEBACK_REVERSED,
        "notifications/email/chargeback_reversed",
    ),
}


def _balance_now(customer: Customer) -> Decimal:
    """The customer's balance as this transaction left it so far (the row, not a cached copy)."""
    return Customer.objects.filter(pk=customer.pk).values_list("balance", flat=True).get()


def notify_chargeback(*, payment: Payment) -> int:
    """Queue "chargeback taken" (a chargeback row) or "chargeback reversed" (its reversal) to
    the customer's contacts, as a refund is told; once per row (a redelivered event queues
    nothing). Returns how many messages were queued."""
    if payment.status != PaymentStatus.COMPLETED or payment.relation not in _CHARGEBACK_EMAILS:
        return 0
    kind, template = _CHARGEBACK_EMAILS[PaymentRelation(payment.relation)]
    recipients = _contacts(payment)
    if not recipients or _already_queued(payment, kind):
        return 0
    customer = payment.customer
    original = payment.original
    if original is None:  # a chargeback row always has it (payment_relation_has_original)
        return 0
    amount = format_money(abs(payment.total), customer.currency)
    paid = amount
    if payment.paid_amount is not None and payment.paid_currency:
        paid = format_money(abs(payment.paid_amount), payment.paid_currency)
    context = {
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
        "customer_name": customer.name,
        "amount": amount,
        "paid": paid,
        "reference": payment.reference,
        "description": payment_description_shown(payment),
        "date": _provider_time(payment.completed_at),
        # After all the posting's transaction did, not after this row alone: a voucher bonus
        # the top-up earned goes back with it (or returns) in the same transaction.
        "balance": format_money(_balance_now(customer), customer.currency),
        "original": original.reference,
        "original_total": format_money(original.total, customer.currency),
        "original_date": _provider_time(original.completed_at or original.occurred_at),
        "original_method": str(original.get_method_display()),
    }
    if kind == EmailKind.CHARGEBACK_REVERSED:
        reversed_chargeback = (
            Dispute.objects.filter(reversal=payment).values_list("chargeback__reference").first()
        )
        context["chargeback"] = reversed_chargeback[0] if reversed_chargeback else ""
    return _enqueue(
        kind=kind, payment=payment, recipients=recipients, template=template, context=context
    )


def notify_dispute_opened(*, dispute: Any) -> int:
    """Queue "dispute opened" to every active Finance and Administrator user, once per dispute
    (the disputed payment's email of this kind, per dispute id in its subject)."""
    payment = dispute.payment
    customer = payment.customer
    amount = (
        format_money(dispute.amount, dispute.currency)
        if dispute.amount is not None and dispute.currency
        else format_money(payment.total, customer.currency)
    )
    if OutboundEmail.objects.filter(
        Q(context__dispute_id=dispute.dispute_id)
        | Q(template="", body_text__contains=dispute.dispute_id),  # rows rendered by the request
        payment=payment,
        kind=EmailKind.DISPUTE_OPENED,
    ).exists():
        return 0
    recipients = User.objects.filter(
        is_active=True, staff_role__in=[StaffRole.FINANCE, StaffRole.ADMIN]
    ).values_list("email", flat=True)
    base = settings.PAYDESK_PUBLIC_URL.rstrip("/")
    context = {
        "customer_name": customer.name,
        "reference": payment.reference,
        "payment_amount": format_money(payment.total, customer.currency),
        "amount": amount,
        # In the gateway's words, as the disputes list and the payment page say it.
        "reason": dispute_reason_words(dispute.gateway, dispute.reason) or "—",
        "evidence_due": _provider_time(dispute.evidence_due) or "—",
        "method": payment.get_method_display(),
        "dispute_id": dispute.dispute_id,
        "link": base + reverse("backoffice:ledger_payment_change", args=[payment.pk]),
        **_refunds_so_far_context(payment),
    }
    return _enqueue(
        kind=EmailKind.DISPUTE_OPENED,
        payment=payment,
        recipients=recipients,
        template="notifications/email/dispute_opened",
        context=context,
    )


def _refunds_so_far_context(payment: Payment) -> dict[str, object]:
    """The disputed payment's refunds, as the dispute page lists them: completed and pending,
    each total with how many and their references (none: the email says nothing of refunds)."""
    so_far = refunds_so_far(payment)
    currency = payment.customer.currency
    return {
        "refunded": format_money(so_far.refunded, currency),
        "refund_count": len(so_far.completed),
        "refund_references": ", ".join(r.reference for r in so_far.completed),
        "refunding": format_money(so_far.refunding, currency),
        "refunding_count": len(so_far.pending),
        "refunding_references": ", ".join(r.reference for r in so_far.pending),
    }


def notify_webhook_paused(*, endpoint_url: str, endpoint_id: int, reason: str) -> int:
    """Queue "webhook endpoint paused" to every active Administrator (docs/outgoing-webhooks.md)."""
    recipients = User.objects.filter(is_active=True, staff_role=StaffRole.ADMIN).values_list(
        "email", flat=True
    )
    base = settings.PAYDESK_PUBLIC_URL.rstrip("/")
    context = {
        "url": endpoint_url,
        "reason": reason,
        "link": base + reverse("backoffice:outhooks_endpoint_change", args=[endpoint_id]),
    }
    return _enqueue(
        kind=EmailKind.WEBHOOK_PAUSED,
        payment=None,
        recipients=recipients,
        template="notifications/email/webhook_paused",
        context=context,
    )


def notify_password_reset(*, user: User) -> int:
    """Queue the password-reset email to `user` (active, with a password, asked for by their
    address). The row holds no link: the worker makes it as it sends the message
    (notifications/password_reset.py), so the token that sets the password is never stored."""
    public = urlsplit(settings.PAYDESK_PUBLIC_URL)
    context = {
        "email": user.email,
        "site_name": public.netloc,
        "user_id": user.pk,
        "valid_for": reset_link_valid_for(),
    }
    return _enqueue(
        kind=EmailKind.PASSWORD_RESET,
        payment=None,
        recipients=[user.email],
        template="notifications/email/password_reset",
        context=context,
    )


def notify_bank_transfer_instructions(
    *,
    payment: Payment,
    bank_details: Mapping[str, str],
    amount: Decimal | None = None,
    currency: str | None = None,
    contacts: list[str] | None = None,
) -> int:
    """Queue the bank details and reference of a pending transfer to the customer; send on commit.

    `bank_details` holds beneficiary_name, account_number, bank_name, bank_address and swift.
    `amount`/`currency` are what the customer must transfer when that differs from the credit
    (another currency, a surcharge); by default the payment's total in the account currency.
    Goes to the customer's contacts (`contacts`: as `Contact.emails_of` read them, when the
    caller has) and to the portal user who asked for the transfer.
    """
    context, recipients = _transfer_instructions(payment, bank_details, amount, currency, contacts)
    return _enqueue(
        kind=EmailKind.BANK_TRANSFER_INSTRUCTIONS,
        payment=payment,
        recipients=recipients,
        template=TRANSFER_INSTRUCTIONS,
        context=context,
    )


TRANSFER_INSTRUCTIONS = "notifications/email/bank_transfer_instructions"


def bank_transfer_instructions_selecting(
    source: str,
    *,
    payment: Payment,
    bank_details: Mapping[str, str],
    amount: Decimal | None = None,
    currency: str | None = None,
    contacts: list[str],
) -> list[tuple[str, list[Any]]] | None:
    """`notify_bank_transfer_instructions` for a payment not inserted yet, as [(sql, params)]
    of an `INSERT … SELECT … FROM <source>` (PostgreSQL) whose rows' payment is the row
    `source` returns: for the statement that creates the payment in a data-modifying WITH
    named `source`, which then writes its outbox rows too (one round trip fewer per bank
    transfer, bench P5; ledger `payment_create(written_with=…)`). The same rows, columns and
    values, in the same order; [] when nobody is to be written to. None when anything listens
    to OutboundEmail's save signals: then call `notify_bank_transfer_instructions` after."""
    if signals.pre_save.has_listeners(OutboundEmail) or signals.post_save.has_listeners(
        OutboundEmail
    ):
        return None
    context, recipients = _transfer_instructions(payment, bank_details, amount, currency, contacts)
    unique = _unique(recipients)
    if not unique:
        return []
    row = OutboundEmail(
        to="",
        template=TRANSFER_INSTRUCTIONS,
        context=context,
        kind=EmailKind.BANK_TRANSFER_INSTRUCTIONS,
    )
    sql, fields = _outbox_insert_selecting(source)
    params = [
        f.get_db_prep_save(f.pre_save(row, True), connection)
        for f in fields
        if f.attname not in ("to", "payment_id")
    ]
    return [(sql, [*params, unique])]


@functools.cache
def _outbox_insert_selecting(source: str) -> tuple[str, list[Any]]:
    """`row_insert`'s INSERT of OutboundEmail rows, one per address of a text array (the last
    parameter, in its order), each row's payment `source`'s `id`."""
    _sql, fields = insert_statement(OutboundEmail)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(
        "r.email" if f.attname == "to" else f"{source}.id" if f.attname == "payment_id" else "%s"
        for f in fields
    )
    sql = (
        f"INSERT INTO {qn(OutboundEmail._meta.db_table)} ({columns}) SELECT {values} "
        f"FROM {source} CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS r(email, n) ORDER BY r.n"
    )
    return sql, fields


def _transfer_instructions(
    payment: Payment,
    bank_details: Mapping[str, str],
    amount: Decimal | None,
    currency: str | None,
    contacts: list[str] | None,
) -> tuple[dict[str, Any], list[str]]:
    """The instructions email's values and its recipients (the contacts, then the portal user
    who asked, when still theirs and active)."""
    customer = payment.customer
    currency = currency or customer.currency
    due = payment.total if amount is None else amount
    details = {key: str(bank_details.get(key) or "").strip() for key in BANK_DETAIL_KEYS}
    context = {
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
        "customer_name": customer.name,
        "amount": format_money(due, currency),
        "reference": payment.reference,
        "date": _provider_time(payment.created_at),
        "bank": details,
        "account_label": str(account_number_label(details["account_number"])),
    }
    recipients = list(_contacts(payment) if contacts is None else contacts)
    creator = payment.created_by
    if creator is not None and creator.customer_id == customer.pk and creator.is_active:
        recipients.append(creator.email)
    return context, recipients


def notify_contacts(
    *,
    kind: str,
    customer_id: int,
    template: str,
    context: dict[str, object],
    payment: Payment | None = None,
) -> int:
    """Queue one message of another app's `template` (`<template>_subject.txt`, `.txt`,
    `.html`) to each of the customer's billing contacts; sent after commit. Returns how many."""
    recipients = Contact.objects.filter(customer_id=customer_id).order_by("email")
    return _enqueue(
        kind=kind,
        payment=payment,
        recipients=recipients.values_list("email", flat=True),
        template=template,
        context={"provider_name": settings.PAYDESK_PROVIDER_NAME, **context},
    )


def outbox_send(*, email_ids: Sequence[int], now: datetime | None = None) -> int:
    """Try to deliver these rows now, if they are due; returns how many were delivered."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(pk__in=list(email_ids)).order_by("pk")
    return _deliver_due(list(due.values_list("pk", flat=True)), now=now)


def outbox_send_due(*, now: datetime | None = None) -> int:
    """The worker's sweep: deliver every queued or failed row whose next attempt is due."""
    now = now or timezone.now()
    delivered = 0
    while True:
        batch = list(
            OutboundEmail.objects.exclude(status=EmailStatus.SENT)
            .filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not batch:
            return delivered
        delivered += _deliver_due(batch, now=now)


def outbox_retry(*, email_ids: Sequence[int], actor: Any) -> int:
    """Staff: make these unsent rows due now, given-up ones included (one more attempt each).

    Returns how many rows were rescheduled; audited. The worker's next sweep sends them.
    """
    if not (getattr(actor, "is_staff", False) and actor.can_move_money):
        raise PermissionDenied("Only Finance and Administrators can retry emails.")
    with transaction.atomic():
        rows = OutboundEmail.objects.filter(pk__in=list(email_ids)).exclude(status=EmailStatus.SENT)
        ids = sorted(rows.values_list("pk", flat=True))
        count = rows.update(next_attempt_at=timezone.now())
        if count:
            audit_record(action="email.retry", actor=actor, after={"emails": ids})
    return count


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: the base delay, doubling, at most six hours."""
    base = timedelta(seconds=settings.PAYDESK_EMAIL_RETRY_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def _already_queued(payment: Payment, kind: str) -> bool:
    # Asked for every completed top-up: one cached statement.
    found = first_row(OutboundEmail, "payment_id = %s AND kind = %s", [payment.pk, kind], only=())
    return found is not None


def _contacts(payment: Payment) -> list[str]:
    return Contact.emails_of(payment.customer_id)


def _provider_time(moment: datetime | None) -> str:
    """`2026-11-26 14:05 CET`: the time in the provider's time zone, whoever is signed in."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))
    return dateformat.format(local, "Y-m-d H:i T")


def _enqueue(
    *,
    kind: str,
    payment: Payment | None,
    recipients: Iterable[str],
    template: str,
    context: Mapping[str, object],
) -> int:
    """Write one row per recipient with `template` and `context` (plain JSON values: a value
    JSON cannot hold fails here, in the request's transaction); the worker renders them."""
    unique = _unique(recipients)
    if not unique:
        return 0
    rows = [
        row_insert(
            OutboundEmail(to=email, template=template, context=context, kind=kind, payment=payment)
        )
        for email in unique
    ]
    return len(rows)


def _unique(recipients: Iterable[str]) -> list[str]:
    """The addresses to write to, lower-cased, each once, in order."""
    return list(dict.fromkeys(email.strip().lower() for email in recipients if email.strip()))


def email_content(row: OutboundEmail) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an outbox row, as the worker sends it: a row not rendered yet
    drawn from its template and context with the provider's current brand (name, logo, colour,
    footer), in the site language; a rendered row (or one queued before issue 18) as stored."""
    if not row.template or row.body_text:
        return row.subject, row.body_text, row.body_html
    context = {**(row.context or {}), **brand_email_context()}
    if row.kind == EmailKind.PASSWORD_RESET:
        context["link"] = LINK_HELD  # made at each attempt, never stored
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{row.template}_subject.txt", context).split())
        body_text = render_to_string(f"{row.template}.txt", context)
        body_html = render_to_string(f"{row.template}.html", context)
    return subject[:300], body_text, body_html


def _deliver_due(email_ids: list[int], *, now: datetime) -> int:
    """Claim each due row (one conditional UPDATE, so two senders never both send it), send it
    and record the outcome. Returns how many were delivered."""
    delivered = 0
    send_lease = timedelta(seconds=settings.PAYDESK_EMAIL_SEND_LEASE_SECONDS)
    connection = get_connection()
    try:
        for pk in email_ids:
            claimed = (
                OutboundEmail.objects.filter(pk=pk, next_attempt_at__lte=now)
                .exclude(status=EmailStatus.SENT)
                .update(
                    attempts=F("attempts") + 1,
                    # not picked up again for this long (a sender that died mid-way)
                    next_attempt_at=max(now, timezone.now()) + send_lease,
                )
            )
            if claimed and _deliver_one(OutboundEmail.objects.get(pk=pk), connection, now=now):
                delivered += 1
    finally:
        with suppress(Exception):
            connection.close()
    return delivered


def message_id(row: OutboundEmail) -> str:
    """The row's own Message-ID, the same at every attempt: delivery is at least once (a sender
    killed between the SMTP server's 250 and marking the row sent sends it again), and a resend
    carrying the same Message-ID is the same message to mail clients, which show it once."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<paydesk-email-{row.pk}.{int(row.created_at.timestamp())}@{domain}>"


def _render_once(row: OutboundEmail) -> None:
    """Render a row not rendered yet and store the result on it: every later attempt (a retry,
    a sender killed after the SMTP server's 250) sends the same message, and staff read it."""
    if not row.template or row.body_text:
        return
    row.subject, row.body_text, row.body_html = email_content(row)
    OutboundEmail.objects.filter(pk=row.pk).update(
        subject=row.subject, body_text=row.body_text, body_html=row.body_html
    )


def _deliver_one(row: OutboundEmail, connection: BaseEmailBackend, *, now: datetime) -> bool:
    try:
        _render_once(row)  # a template that fails to render is a failed attempt, retried
        body_text, body_html = row.body_text, row.body_html
        if row.kind == EmailKind.PASSWORD_RESET and row.template:
            link = reset_link(
                context=row.context or {}, to=row.to, created_at=row.created_at, now=now
            )
            body_text = body_text.replace(LINK_HELD, link)
            body_html = body_html.replace(LINK_HELD, link)
        message = EmailMultiAlternatives(
            subject=row.subject,
            body=body_text,
            to=[row.to],
            connection=connection,
            headers={"Message-ID": message_id(row)},
        )
        if body_html:
            message.attach_alternative(body_html, "text/html")
        for name, content, mimetype in email_attachments(row):
            message.attach(name, content, mimetype)
        message.send()
    except NotToBeSent as exc:
        _record_failure(row, exc, attempted_at=now, give_up=True)
        return False
    except Exception as exc:  # any transport failure: record it, retry later
        with suppress(Exception):
            connection.close()  # the next message reconnects
        _record_failure(row, exc, attempted_at=now)
        return False
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    logger.info("Email %s (%s) sent to %s", row.pk, row.kind, row.to)
    return True


def _record_failure(
    row: OutboundEmail, exc: Exception, *, attempted_at: datetime, give_up: bool = False
) -> None:
    error = _safe_error(exc)
    gives_up = give_up or row.attempts >= settings.PAYDESK_EMAIL_MAX_ATTEMPTS
    next_attempt = None if gives_up else attempted_at + retry_delay(row.attempts)
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.FAILED, last_error=error, next_attempt_at=next_attempt
    )
    if next_attempt is None:
        logger.error(
            "Email %s (%s) to %s failed for good after %d attempts: %s",
            row.pk, row.kind, row.to, row.attempts, error,
        )  # fmt: skip
    else:
        logger.warning(
            "Email %s (%s) to %s could not be sent (attempt %d of %d), retrying at %s: %s",
            row.pk, row.kind, row.to, row.attempts, settings.PAYDESK_EMAIL_MAX_ATTEMPTS,
            next_attempt.isoformat(), error,
        )  # fmt: skip


def _safe_error(exc: Exception) -> str:
    """The failure as `Type: text`, never carrying the SMTP password."""
    text = f"{type(exc).__name__}: {exc}"
    password = settings.EMAIL_HOST_PASSWORD
    if password:
        text = text.replace(password, "***")
    return text[:ERROR_MAX]
