"""Automatic top-up: turn it on (with the customer's consent) or off, queue a top-up when the
balance is under the threshold, and charge queued top-ups (the worker's job, `paydesk autotopup
run --once`).

Rails: a monthly cap on what is charged, a cooldown between top-ups, at most one top-up queued or
charging per customer (a partial unique index), suspension after 3 consecutive failures. Money
moves only through checkout/offsession.py (a quote, a pending payment, the gateway, the event
applied by checkout/events), with the top-up's id as the idempotency key everywhere.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from paydesk.accounts.models import Customer
from paydesk.audit.services import audit_record
from paydesk.autotopup.emails import (
    email_action_required,
    email_charged,
    email_failed,
    email_suspended,
)
from paydesk.autotopup.models import IN_FLIGHT, Topup, TopupSettings, TopupStatus, TopupTrigger
from paydesk.checkout.models import Quote
from paydesk.checkout.offsession import off_session_charge
from paydesk.errors import GatewayUnavailable, PaydeskError
from paydesk.ledger.models import PaymentStatus
from paydesk.money import format_money

logger = logging.getLogger("paydesk.autotopup")

FAILURES_TO_SUSPEND = 3
BATCH = 100
COUNTED = (TopupStatus.SUCCEEDED, *IN_FLIGHT)  # what the monthly cap counts


def settings_for(customer: Customer) -> TopupSettings:
    """The customer's settings row (an unsaved, switched-off one when there is none)."""
    found = TopupSettings.objects.filter(customer=customer).first()
    return found or TopupSettings(customer=customer)


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def charged_this_month(customer_id: int, now: datetime, *, exclude: int | None = None) -> Decimal:
    """What the automatic top-ups of this calendar month (UTC) credited or are charging."""
    rows = Topup.objects.filter(
        customer_id=customer_id, status__in=COUNTED, created_at__gte=month_start(now)
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def blocked_reason(
    topup_settings: TopupSettings, now: datetime, *, exclude: int | None = None
) -> str:
    """Why no top-up may be charged now ('' when one may): the cooldown or the monthly cap
    (`exclude`: the top-up being decided, not counted against itself)."""
    currency = topup_settings.customer.currency
    attempts = Topup.objects.filter(
        customer_id=topup_settings.customer_id, attempted_at__isnull=False
    ).exclude(status=TopupStatus.SKIPPED)
    if exclude is not None:
        attempts = attempts.exclude(pk=exclude)
    last = attempts.order_by("-attempted_at").values_list("attempted_at", flat=True).first()
    cooldown = timedelta(minutes=topup_settings.cooldown_minutes)
    if last is not None and last + cooldown > now:
        return f"Cooldown: the last automatic top-up was less than {_minutes(cooldown)} ago."
    spent = charged_this_month(topup_settings.customer_id, now, exclude=exclude)
    if spent + topup_settings.amount > topup_settings.monthly_cap:
        return (
            f"Monthly cap reached: {format_money(spent, currency)} of "
            f"{format_money(topup_settings.monthly_cap, currency)} charged this month."
        )
    return ""


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def topup_queue(
    *,
    customer_id: int,
    balance: Decimal,
    trigger: str = TopupTrigger.POSTING,
    now: datetime | None = None,
) -> Topup | None:
    """Queue one top-up for a customer whose balance is under an active threshold, unless one
    is already queued or charging (the database refuses a second: nothing happens then) or the
    cooldown or the monthly cap forbids it (the sweep looks again later). Runs inside the
    posting's transaction when a posting triggers it."""
    now = now or timezone.now()
    found = TopupSettings.objects.select_related("customer").filter(customer_id=customer_id).first()
    if found is None or not found.is_active or balance >= found.threshold:
        return None
    if Topup.objects.filter(customer_id=customer_id, status__in=IN_FLIGHT).exists():
        return None
    if blocked_reason(found, now):
        return None
    try:
        with transaction.atomic():  # a savepoint: a second in flight is refused, not fatal
            return Topup.objects.create(
                customer_id=customer_id,
                trigger=trigger,
                balance_at_trigger=balance,
                threshold=found.threshold,
                amount=found.amount,
                payment_method=found.payment_method,
                created_at=now,
            )
    except IntegrityError:
        return None


def topups_sweep(*, now: datetime | None = None) -> int:
    """Queue a top-up for every active customer under the threshold that has none in flight:
    what a posting missed (the cooldown was running, the cap reset with the month)."""
    now = now or timezone.now()
    rows = (
        TopupSettings.objects.filter(enabled=True, suspended_at__isnull=True)
        .exclude(customer__topups__status__in=IN_FLIGHT)
        .values_list("customer_id", "customer__balance", "threshold")
    )
    queued = 0
    for customer_id, balance, threshold in rows:
        if balance < threshold:
            with transaction.atomic():
                queued += (
                    topup_queue(
                        customer_id=customer_id,
                        balance=balance,
                        trigger=TopupTrigger.SWEEP,
                        now=now,
                    )
                    is not None
                )
    return queued


def autotopup_run(*, now: datetime | None = None) -> int:
    """The worker's job: sweep, then charge every queued top-up and carry on with those left
    charging (a pending SEPA debit, a worker that died mid-charge). How many were handled."""
    now = now or timezone.now()
    topups_sweep(now=now)
    stale = now - timedelta(seconds=settings.PAYDESK_AUTOTOPUP_RESUME_SECONDS)
    due = list(
        Topup.objects.filter(
            Q(status=TopupStatus.QUEUED) | Q(status=TopupStatus.CHARGING, attempted_at__lte=stale)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(1 for pk in due if topup_charge(topup_id=pk, now=now, stale=stale) is not None)


def topup_charge(
    *, topup_id: int, now: datetime | None = None, stale: datetime | None = None
) -> Topup | None:
    """Claim one top-up (queued, or charging and untouched since `stale`) and charge it; None
    when another run holds it. Claimed as of now, not as of the run's start (`now`): a run busy
    with other top-ups for minutes must not leave this one looking stale to a run starting
    meanwhile, which would charge and finish it a second time."""
    now = now or timezone.now()
    stale = stale or now
    claimed = (
        Topup.objects.filter(pk=topup_id)
        .filter(
            Q(status=TopupStatus.QUEUED) | Q(status=TopupStatus.CHARGING, attempted_at__lte=stale)
        )
        .update(status=TopupStatus.CHARGING, attempted_at=max(now, timezone.now()))
    )
    if not claimed:
        return None
    topup = Topup.objects.select_related("customer", "payment").get(pk=topup_id)
    customer = topup.customer
    if topup.payment_id is None and not _charge_started(topup):
        topup_settings = settings_for(customer)
        why = "" if topup_settings.is_active else "Automatic top-up is switched off."
        why = why or blocked_reason(topup_settings, now, exclude=topup.pk)
        if why:
            return _finish(topup, TopupStatus.SKIPPED, detail=why, now=now)[0]
    try:
        charge = off_session_charge(
            customer=customer,
            saved_method=topup.payment_method,
            amount=topup.amount,
            key=topup.key,
            description="Automatic top-up:",
            most=topup.amount,  # the consent's "charge … $50.00": a surcharge never adds to it
        )
    except GatewayUnavailable as error:  # Stripe did not answer: not a failure, try again
        Topup.objects.filter(pk=topup.pk).update(detail=error.message[:500])
        return topup
    except PaydeskError as error:
        logger.warning(
            "Automatic top-up %s of customer %s failed: %s", topup.pk, customer.pk, error.message
        )
        return _failed(topup, error.message, now=now)
    Topup.objects.filter(pk=topup.pk, payment__isnull=True).update(payment=charge.payment)
    topup.payment = charge.payment
    payment = charge.payment
    if payment.status == PaymentStatus.COMPLETED:
        return _succeeded(topup, now=now)
    if payment.status == PaymentStatus.CANCELLED:
        if charge.needs_authentication:
            return _failed(topup, payment.cancel_reason, now=now, action_required=True)
        return _failed(topup, payment.cancel_reason or charge.problem, now=now)
    Topup.objects.filter(pk=topup.pk).update(detail=(payment.pending_reason or "")[:500])
    return topup  # pending: looked at again once the resume delay has passed


def _charge_started(topup: Topup) -> bool:
    """Whether a run already locked this top-up's quote (its charge may be under way)."""
    return Quote.objects.filter(customer_id=topup.customer_id, idempotency_key=topup.key).exists()


def _finish(topup: Topup, status: str, *, detail: str, now: datetime) -> tuple[Topup, bool]:
    """Charging → `status`, once: a second run that charged the same top-up (taken over as
    stale; the same key, so the same charge) finds it finished and must not count it or email
    about it again. The top-up as it now is, and whether this call finished it."""
    moved = Topup.objects.filter(pk=topup.pk, status=TopupStatus.CHARGING).update(
        status=status, detail=detail[:500], finished_at=now
    )
    topup.refresh_from_db()
    return topup, bool(moved)


def _succeeded(topup: Topup, *, now: datetime) -> Topup:
    with transaction.atomic():
        done, finished = _finish(topup, TopupStatus.SUCCEEDED, detail="", now=now)
        if not finished:
            return done
        TopupSettings.objects.filter(customer_id=topup.customer_id).update(consecutive_failures=0)
        email_charged(topup=done)
    logger.info(
        "Automatic top-up %s of customer %s credited (%s)",
        topup.pk,
        topup.customer_id,
        done.payment.reference if done.payment is not None else "",
    )
    return done


def _failed(topup: Topup, reason: str, *, now: datetime, action_required: bool = False) -> Topup:
    status = TopupStatus.ACTION_REQUIRED if action_required else TopupStatus.FAILED
    with transaction.atomic():
        done, finished = _finish(topup, status, detail=reason or "The charge failed.", now=now)
        if not finished:
            return done
        locked = TopupSettings.objects.select_for_update().get(customer_id=topup.customer_id)
        locked.consecutive_failures += 1
        suspend = locked.consecutive_failures >= FAILURES_TO_SUSPEND and locked.suspended_at is None
        if suspend:
            locked.suspended_at = now
            locked.suspended_reason = (
                f"{locked.consecutive_failures} automatic top-ups in a row failed; the last: "
                f"{done.detail}"
            )[:300]
        locked.save(update_fields=["consecutive_failures", "suspended_at", "suspended_reason"])
        if action_required:
            email_action_required(topup=done)
        else:
            email_failed(topup=done)
        if suspend:
            audit_record(
                action="autotopup.suspend",
                actor=None,
                obj=locked,
                customer_id=topup.customer_id,
                after={"reason": locked.suspended_reason},
            )
            email_suspended(topup_settings=locked)
    return done


# --- settings ------------------------------------------------------------------------------


def settings_snapshot(row: TopupSettings) -> dict[str, Any]:
    return {
        "enabled": row.enabled,
        "threshold": str(row.threshold),
        "amount": str(row.amount),
        "monthly_cap": str(row.monthly_cap),
        "cooldown_minutes": row.cooldown_minutes,
        "payment_method": row.payment_method,
        "suspended": row.suspended_at is not None,
    }


def topup_switch_off(*, customer: Customer, actor: Any, reason: str = "") -> TopupSettings:
    """Switch automatic top-up off: a portal user with *manage billing* of this customer, or
    Finance / an Administrator in the back office. Audited; a queued top-up is skipped."""
    from paydesk.autotopup.access import check_may_change

    check_may_change(actor=actor, customer=customer)
    with transaction.atomic():
        row, _created = TopupSettings.objects.select_for_update().get_or_create(customer=customer)
        before = settings_snapshot(row)
        row.enabled = False
        row.save(update_fields=["enabled", "updated_at"])
        Topup.objects.filter(customer=customer, status=TopupStatus.QUEUED).update(
            status=TopupStatus.SKIPPED,
            detail="Automatic top-up was switched off.",
            finished_at=timezone.now(),
        )
        audit_record(
            action="autotopup.switch_off",
            actor=actor,
            obj=row,
            customer_id=customer.pk,
            before=before,
            after={**settings_snapshot(row), "reason": reason.strip()[:300]},
        )
    return row
