"""The back office's home page: the work waiting, with counts and links, and every page grouped
by task (Payments, Customers, Vouchers, Settings, Records) instead of by Django app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from paydesk.autotopup.models import TopupSettings
from paydesk.backoffice.admin_disputes import RefundedFilter
from paydesk.backoffice.filters import AwaitingBankFilter, other_pending_q
from paydesk.banktransfers.selectors import INCOMING_TRANSFER
from paydesk.ledger.models import NEEDS_ATTENTION, Dispute, DisputeStatus, Payment, PaymentStatus
from paydesk.ledger.refund_reads import refunded_q
from paydesk.methods.in_transit import awaiting_bank_q
from paydesk.notifications.models import EmailStatus, OutboundEmail


@dataclass(frozen=True)
class WaitingWork:
    label: str
    count: int
    url: str
    hint: str


def work_waiting() -> list[WaitingWork]:
    """What Finance should look at now, each with the list that shows exactly those rows."""
    pending = Payment.objects.filter(status=PaymentStatus.PENDING)
    payments = reverse("backoffice:ledger_payment_changelist")
    return [
        WaitingWork(
            "Bank transfers to approve",
            pending.filter(INCOMING_TRANSFER).count(),
            reverse("backoffice:banktransfers_banktransfer_changelist") + "?status__exact=pending",
            "Complete each with the amount actually received, or cancel it.",
        ),
        WaitingWork(
            "Credits awaiting a second approver",
            pending.filter(credit_approval__isnull=False).count(),
            reverse("backoffice:credits_creditawaitingapproval_changelist"),
            "Entered by one Finance user; another approves or refuses.",
        ),
        WaitingWork(
            "Payments needing attention",
            Payment.objects.filter(NEEDS_ATTENTION).count(),
            payments + "?needs_attention__exact=1",
            "Pending payments someone must decide on or check: a gateway's unexpected answer (a "
            "partial or late payment), a refund its gateway has not confirmed, or a credit "
            "awaiting a second approver. Each page says why.",
        ),
        WaitingWork(
            "Open disputes of refunded payments",
            Dispute.objects.filter(refunded_q(), status=DisputeStatus.OPEN).count(),
            reverse("backoffice:ledger_dispute_changelist")
            + f"?status__exact={DisputeStatus.OPEN}&{RefundedFilter.parameter_name}=yes",
            "The payer was refunded and disputed the payment too: answer each at its gateway "
            "with the refund's reference and date as evidence, or the money goes back twice.",
        ),
        WaitingWork(
            "Payments awaiting the bank",
            pending.filter(awaiting_bank_q()).count(),
            payments + f"?{AwaitingBankFilter.parameter_name}=bank",
            "SEPA Direct Debits the banks are still confirming: Stripe completes or cancels "
            "each one; nothing to do.",
        ),
        WaitingWork(
            "Other pending payments",
            Payment.objects.filter(other_pending_q()).count(),
            payments + f"?{AwaitingBankFilter.parameter_name}=other",
            "Online payments the customer has not finished yet.",
        ),
        WaitingWork(
            "Automatic top-ups suspended",
            TopupSettings.objects.filter(enabled=True, suspended_at__isnull=False).count(),
            reverse("backoffice:autotopup_topupsettings_changelist") + "?state=suspended",
            "Three charges in a row failed: the customer was emailed how to resume.",
        ),
        WaitingWork(
            "Emails that failed",
            OutboundEmail.objects.filter(status=EmailStatus.FAILED).count(),
            reverse("backoffice:notifications_outboundemail_changelist") + "?status__exact=failed",
            "Retried by the worker until it gives up.",
        ),
    ]


# Task → the models on it, in the order shown ("app_label.model_name").
TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Payments",
        (
            "ledger.payment",
            "banktransfers.banktransfer",
            "credits.creditawaitingapproval",
            "ledger.dispute",
            "checkout.paymentlogentry",
            "checkout.quote",
            "imports.importedpayment",
        ),
    ),
    (
        "Customers",
        (
            "accounts.customer",
            "backoffice.portaluser",
            "autotopup.topupsettings",
            "autotopup.topup",
        ),
    ),
    ("Vouchers", ("vouchers.voucherbatch", "vouchers.voucher")),
    (
        "Settings",
        (
            "checkout.methodconfig",
            "provider.gatewaysecret",
            "provider.brand",
            "banktransfers.bankdetails",
            "fx.exchangerate",
            "accounts.portaldefaults",
            "documents.invoicingsettings",
            "documents.customertaxrule",
            "backoffice.staffuser",
            "outhooks.endpoint",
        ),
    ),
    (
        "Records",
        (
            "audit.auditentry",
            "documents.document",
            "notifications.outboundemail",
            "outhooks.delivery",
        ),
    ),
)


def task_groups(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Django's app list regrouped by task; a model no task names goes under Settings."""
    models = {
        f"{app['app_label']}.{model['object_name'].lower()}": model
        for app in app_list
        for model in app["models"]
    }
    placed: set[str] = set()
    groups: list[dict[str, Any]] = []
    for name, keys in TASKS:
        found = [models[key] for key in keys if key in models]
        placed.update(key for key in keys if key in models)
        groups.append({"name": name, "slug": name.lower(), "models": found})
    leftovers = [model for key, model in models.items() if key not in placed]
    groups[3]["models"].extend(leftovers)
    return [group for group in groups if group["models"]]
