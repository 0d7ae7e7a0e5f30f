"""`paydesk payments add|list|complete|cancel|refund`: the ledger from a staff member's shell.

Every write goes through paydesk.ledger.services (the only writer of balances); the list is a
staff view and shows the private staff comment after the public description, which reads as
the customer reads it (a chargeback's reason in its gateway's words, as the API gives it).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.utils import timezone

from paydesk.accounts.models import PaymentMethod
from paydesk.banktransfers.selectors import is_incoming_transfer
from paydesk.banktransfers.services import transfer_complete
from paydesk.checkout.refunds import payment_refund
from paydesk.cli.base import (
    PaydeskCommand,
    customer_lookup,
    payment_lookup,
    staff_lookup,
    table,
)
from paydesk.cli.serialize import payment_data
from paydesk.credits.selectors import held_reason
from paydesk.credits.services import is_held, staff_payment_add, staff_payment_complete
from paydesk.errors import GatewayDeclined, PermissionDenied
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_cancel, payment_complete
from paydesk.money import format_money
from paydesk.shapes import payment_description_shown

STATUSES = [s.value for s in PaymentStatus]
METHODS = [m.value for m in PaymentMethod]
LIST_LIMIT_MAX = 10_000

ADD_EXAMPLE = """Positive totals are top-ups, negative totals purchases. Text after the first '#'
in the description is a private staff comment, never shown to the customer.

examples:
  paydesk payments add --customer 1 --total 50 --description "Bank transfer received"
  paydesk payments add --customer acme-telecom --total -10.0125 \\
      --description "DID rental +1 212 555 0142 #March, prorated" --json
  paydesk payments add --customer 1 --total 100 --status pending --method bank_transfer \\
      --description "Wire announced by phone\""""

REFUND_EXAMPLE = """A refund goes back through the payment's gateway when it has a refund API (card,
PayPal, Razorpay, Paystack); for the others (NOWPayments, bank transfer, voucher, manual) send
the money yourself, then record it with --outside and a --note. Acting staff: --as (Finance or
Administrator). Exit status 0 when the refund completed or is pending at the gateway, 1 when it
was refused or the gateway declined it.

examples:
  paydesk payments refund --payment PD-7K2M-9QXA --total 20.00 --reason "Unused minutes" \
      --as finance@example.com
  paydesk payments refund --payment PD-7K2M-9QXA --reason "Closed account" --outside \
      --note "tx 0x5f3a…" --as finance@example.com --json"""

LIST_EXAMPLE = """example:
  paydesk payments list --customer 1 --status pending --limit 20 --json"""


def _limit(text: str) -> int:
    value = int(text) if text.strip().isdigit() else 0
    if not 1 <= value <= LIST_LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {LIST_LIMIT_MAX}")
    return value


class Command(PaydeskCommand):
    help = "Add, list, complete and cancel payments (top-ups and purchases)."

    def add_actions(self, add: Any) -> None:
        new = add(
            "add", self.add, "Record a payment or a purchase on a customer's account.", ADD_EXAMPLE
        )
        new.add_argument("--customer", required=True, metavar="ID", help="customer id or slug")
        new.add_argument(
            "--total",
            required=True,
            metavar="AMOUNT",
            help="signed amount in the account currency, up to 4 decimals (-10 is a purchase)",
        )
        new.add_argument(
            "--description",
            required=True,
            help="what the customer sees; '#' starts a staff comment",
        )
        new.add_argument(
            "--status",
            choices=STATUSES,
            default=PaymentStatus.COMPLETED.value,
            help="default: completed (posts to the balance at once)",
        )
        new.add_argument(
            "--method", choices=METHODS, default=PaymentMethod.MANUAL.value, help="default: manual"
        )
        new.add_argument("--fee", metavar="AMOUNT", help="gateway fee, for reference only")
        new.add_argument(
            "--allow-overdraft",
            action="store_true",
            help="let a purchase take available credit below zero",
        )
        new.add_argument(
            "--reason", default="", help="cancellation reason (with --status cancelled)"
        )
        new.add_argument(
            "--idempotency-key",
            metavar="KEY",
            help="run the command again with the same key and nothing new is recorded",
        )
        self.add_actor(new)

        listing = add(
            "list", self.list_payments, "List a customer's payments, newest first.", LIST_EXAMPLE
        )
        listing.add_argument("--customer", required=True, metavar="ID", help="customer id or slug")
        listing.add_argument("--status", choices=STATUSES, help="only payments in this status")
        listing.add_argument(
            "--limit", type=_limit, default=50, metavar="N", help="at most N rows (default 50)"
        )

        complete = add(
            "complete", self.complete, "Complete a pending payment (it posts to the balance)."
        )
        complete.add_argument("--payment", required=True, metavar="REF", help="reference or id")
        complete.add_argument(
            "--total", metavar="AMOUNT", help="the amount actually received, when it differs"
        )
        complete.add_argument(
            "--allow-overdraft",
            action="store_true",
            help="let a pending purchase take available credit below zero",
        )

        cancel = add("cancel", self.cancel, "Cancel a pending payment (the balance does not move).")
        cancel.add_argument("--payment", required=True, metavar="REF", help="reference or id")
        cancel.add_argument("--reason", required=True, help="why; kept with the payment")
        self.add_actor(complete)
        self.add_actor(cancel)

        refund = add(
            "refund", self.refund, "Refund a completed top-up, all that is left or part.",
            REFUND_EXAMPLE,
        )  # fmt: skip
        refund.add_argument("--payment", required=True, metavar="REF", help="reference or id")
        refund.add_argument(
            "--total", metavar="AMOUNT", help="account currency (default: all that is left)"
        )
        refund.add_argument("--reason", required=True, help="why; the customer sees it")
        refund.add_argument(
            "--allow-overdraft",
            action="store_true",
            help="refund even past the customer's available credit",
        )
        refund.add_argument(
            "--outside",
            action="store_true",
            help="record a refund made outside Paydesk (methods with no refund API)",
        )
        refund.add_argument("--note", default="", help="with --outside: a transaction hash…")
        refund.add_argument(
            "--idempotency-key", metavar="KEY", help="the same key never refunds twice"
        )
        self.add_actor(refund)

    def _show(self, options: dict[str, Any], payment: Payment, verb: str) -> None:
        customer = payment.customer
        customer.refresh_from_db(fields=["balance"])
        currency = customer.currency
        status = f" ({payment.get_status_display().lower()})" if verb == "Recorded" else ""
        text = (
            f"{verb} payment {payment.reference}{status}: "
            f"{format_money(payment.total, currency)} for {customer.name}. "
            f"Balance {format_money(customer.balance, currency)}."
        )
        if verb == "Asked to complete":  # still pending: say what it waits for
            text += f" {held_reason(payment)}"
        self.emit(options, payment_data(payment, currency), text)

    def add(self, options: dict[str, Any]) -> None:
        customer = customer_lookup(options["customer"])
        payment = staff_payment_add(  # a credit above the four-eyes threshold --as staff is held
            customer=customer,
            total=options["total"],
            description=options["description"],
            method=options["method"],
            status=options["status"],
            fee=options["fee"],
            allow_overdraft=options["allow_overdraft"],
            cancel_reason=options["reason"],
            idempotency_key=options["idempotency_key"],
            actor=staff_lookup(options["actor"]),
        )
        self._show(options, payment, "Recorded")

    def complete(self, options: dict[str, Any]) -> None:
        payment = payment_lookup(options["payment"])
        actor = staff_lookup(options["actor"])
        if is_incoming_transfer(payment):
            # The bank-transfer rules (Finance only, nobody approves their own, two people
            # above the threshold) hold on the command line too.
            if actor is None:
                raise PermissionDenied(
                    "A bank transfer is completed by a Finance user: name one.", field="as"
                )
            payment = transfer_complete(
                payment=payment,
                actor=actor,
                received_amount=options["total"] or payment.total,
                received_currency=payment.customer.currency,
            )
            verb = "Completed" if payment.status == PaymentStatus.COMPLETED else "Approved"
        elif actor is not None or is_held(payment):
            # Four eyes on manual credits hold on the command line too (paydesk.credits).
            if actor is None:
                raise PermissionDenied(
                    "A credit awaiting approval is approved by a second Finance user: name one.",
                    field="as",
                )
            payment = staff_payment_complete(
                payment=payment,
                total=options["total"],
                allow_overdraft=options["allow_overdraft"],
                actor=actor,
            )
            # More than it expected, above the threshold: recorded as a request for a second.
            verb = "Completed" if payment.status == PaymentStatus.COMPLETED else "Asked to complete"
        else:
            payment = payment_complete(
                payment=payment,
                total=options["total"],
                allow_overdraft=options["allow_overdraft"],
            )
            verb = "Completed"
        self._show(options, payment, verb)

    def cancel(self, options: dict[str, Any]) -> None:
        payment = payment_cancel(
            payment=payment_lookup(options["payment"]),
            reason=options["reason"],
            actor=staff_lookup(options["actor"]),
        )
        self._show(options, payment, "Cancelled")

    def refund(self, options: dict[str, Any]) -> None:
        actor = staff_lookup(options["actor"])
        if actor is None:
            raise PermissionDenied(
                "A refund is made by a Finance user: name one with --as.", field="as"
            )
        original = payment_lookup(options["payment"])
        key = options["idempotency_key"]
        refund = payment_refund(
            payment=original,
            reason=options["reason"],
            actor=actor,
            total=options["total"],
            allow_overdraft=options["allow_overdraft"],
            outside=options["outside"],
            note=options["note"],
            idempotency_key=f"cli-refund:{key}" if key else None,
        )
        if refund.status == PaymentStatus.CANCELLED:
            raise GatewayDeclined(
                f"Refund {refund.reference} of {original.reference} was declined: "
                f"{refund.cancel_reason}",
                field="payment",
            )
        verb = "Refunded" if refund.status == PaymentStatus.COMPLETED else "Refund pending"
        customer = refund.customer
        customer.refresh_from_db(fields=["balance"])
        currency = customer.currency
        why = f" ({refund.pending_reason})" if refund.pending_reason else ""
        text = (
            f"{verb}: {refund.reference}, {format_money(-refund.total, currency)} of "
            f"{original.reference}{why}. Balance {format_money(customer.balance, currency)}."
        )
        self.emit(options, payment_data(refund, currency), text)

    def list_payments(self, options: dict[str, Any]) -> None:
        customer = customer_lookup(options["customer"])
        limit = options["limit"]
        payments = Payment.objects.filter(customer=customer)
        if options["status"]:
            payments = payments.filter(status=options["status"])
        # The JSON names each row's original: read with the rows, not one query per row.
        rows = list(payments.select_related("original").order_by("-occurred_at", "-id")[:limit])
        currency = customer.currency
        text_rows = [
            [
                timezone.localtime(p.occurred_at).strftime("%Y-%m-%d %H:%M"),
                p.reference,
                format_money(p.total, currency),
                p.get_status_display(),
                p.get_method_display(),
                payment_description_shown(p)
                + (f"  # {p.staff_comment}" if p.staff_comment else ""),
                "" if p.balance_after is None else format_money(p.balance_after, currency),
            ]
            for p in rows
        ]
        text = (
            table(
                [
                    f"Date / Time ({settings.TIME_ZONE})",
                    "Reference",
                    "Total",
                    "Status",
                    "Method",
                    "Description",
                    "Balance after",
                ],
                text_rows,
                {2, 6},
            )
            if rows
            else f"No payments for {customer.name}."
        )
        self.emit(options, [payment_data(p, currency) for p in rows], text)
