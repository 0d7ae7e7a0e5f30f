"""Vouchers (spec §7): redeem a code (credit a free-credit voucher or arm a bonus voucher).

Issuing and disabling are in batches.py, the bonus a top-up earns in bonus.py. Money moves only
through paydesk.ledger.services, in the same transaction as the voucher change. Redemption is
one conditional UPDATE (Available → Used): two people redeeming one code at once cannot both
win. Every failed redemption raises the same VoucherRejected and counts against the user, the
customer and the IP address; past the limit every attempt is RateLimited, even with a good code.
This module must never log, store, audit or echo a plain code.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults
from paydesk.accounts.payers import payer_required
from paydesk.audit.services import audit_insert_selecting, audit_record
from paydesk.errors import (
    InvalidCurrency,
    PaymentError,
    PermissionDenied,
    RateLimited,
    VoucherRejected,
)
from paydesk.fastsql import execute_hot, first_joined
from paydesk.ledger.hooks import NEW_PAYMENT
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_create
from paydesk.notifications.services import notify_payment_completed
from paydesk.vouchers.codes import voucher_code_hash, voucher_code_is_well_formed
from paydesk.vouchers.models import (
    REDEEMABLE_APPROVALS,
    Voucher,
    VoucherActivation,
    VoucherBatch,
    VoucherStatus,
)
from paydesk.web.client_ip import address_scope
from paydesk.web.ratelimit import give_back, hit_many

logger = logging.getLogger(__name__)

REJECTED_MESSAGE = "That voucher code cannot be redeemed."


@dataclass(frozen=True)
class Redemption:
    """What a redemption did: credited a free-credit voucher, or armed a bonus voucher."""

    voucher: Voucher
    payment: Payment | None
    activation: VoucherActivation | None


def _check_redeemer(*, user: Any, customer: Customer) -> None:
    if not getattr(user, "pk", None) or not user.is_active:
        raise PermissionDenied("Sign in to redeem a voucher.")
    if user.is_portal_user:
        payer_required(
            user=user,
            customer=customer,
            sign_in="Sign in to redeem a voucher.",
            not_theirs="You can redeem vouchers only for your own account.",
        )
    elif not user.can_move_money:
        raise PermissionDenied("Your role cannot move money.")


def _failure_keys(*, user: Any, customer: Customer, ip_address: str | None) -> dict[str, str]:
    keys = {
        "user": f"paydesk:voucher-failures:user:{user.pk}",
        "customer": f"paydesk:voucher-failures:customer:{customer.pk}",
    }
    if ip_address:
        keys["ip"] = f"paydesk:voucher-failures:ip:{address_scope(ip_address)}"
    return keys


def _failure_limit() -> int:
    return settings.PAYDESK_VOUCHER_FAILURE_LIMIT


def _failure_window() -> int:
    return settings.PAYDESK_VOUCHER_FAILURE_WINDOW


def _give_back(keys: dict[str, str]) -> None:
    give_back(list(keys.values()))


def _reserve_attempt(keys: dict[str, str]) -> dict[str, int]:
    """Count this attempt as a failure before it runs (so parallel guesses cannot slip past
    the limit); refuse it with RateLimited when a scope already used up its failures. All the
    scopes are counted together: one round trip with Redis (web/ratelimit.py)."""
    window = _failure_window()
    counts = dict(zip(keys, hit_many(list(keys.values()), window=window), strict=True))
    if any(count > _failure_limit() for count in counts.values()):
        _give_back(keys)
        raise RateLimited(
            f"Too many voucher attempts failed. Please try again in {max(window // 60, 1)} "
            "minutes.",
            retry_after=window,
        )
    return counts


def _note_limit_reached(
    counts: dict[str, int], *, user: Any, customer: Customer, ip_address: str | None
) -> None:
    """A security event, once per scope and window: the failure that used up the limit."""
    reached = [scope for scope, count in counts.items() if count == _failure_limit()]
    if not reached:
        return
    logger.warning(
        "Voucher failure limit reached (%s): user %s, customer %s, ip %s",
        ", ".join(reached),
        user.pk,
        customer.pk,
        ip_address,
    )
    audit_record(
        action="voucher.failure_limit",
        actor=user,
        customer_id=customer.pk,
        after={
            "scopes": reached,
            "limit": _failure_limit(),
            "window_seconds": _failure_window(),
        },
        ip_address=ip_address,
    )


def voucher_redeem(
    *,
    code: str,
    customer: Customer,
    currency: str,
    user: Any,
    ip_address: str | None,
    defaults: PortalDefaults | None = None,
    contacts: list[str] | None = None,
) -> Redemption:
    """Redeem a code for the customer: credit A at once (M = 0) or arm the bonus (M > 0).

    Any failure raises VoucherRejected with one message and counts as a failed attempt;
    past the limit, RateLimited comes first, before the code is even looked at. `defaults`: the
    portal defaults, and `contacts`: the customer's contact addresses (whom the receipt goes
    to), when the caller has read them already (`selectors.redeem_reads`).
    """
    _check_redeemer(user=user, customer=customer)
    defaults = defaults or PortalDefaults.current()
    if not customer.flag("allow_vouchers", defaults) or (
        PaymentMethod.VOUCHER in customer.effective_blocked_methods(defaults)
    ):
        raise PaymentError("Vouchers are not available for this account.", field="code")
    if (currency or "").strip().upper() != customer.currency:
        # Not a property of the code (nothing is looked up), so not a failed attempt.
        raise InvalidCurrency(
            f"Vouchers can be redeemed only in your account currency, {customer.currency}.",
            field="currency",
        )
    keys = _failure_keys(user=user, customer=customer, ip_address=ip_address)
    counts = _reserve_attempt(keys)
    try:
        redemption = _redeem(
            code=code, customer=customer, user=user, ip_address=ip_address, contacts=contacts
        )
    except VoucherRejected:
        _note_limit_reached(counts, user=user, customer=customer, ip_address=ip_address)
        raise
    except BaseException:
        _give_back(keys)  # not a verdict on the code (say, a database error)
        raise
    _give_back(keys)  # a success is not a failure
    return redemption


def _redeem(
    *, code: str, customer: Customer, user: Any, ip_address: str | None, contacts: list[str] | None
) -> Redemption:
    if not voucher_code_is_well_formed(code):
        raise VoucherRejected(REJECTED_MESSAGE, field="code")
    code_hash = voucher_code_hash(code)
    now = timezone.now()
    # Inside the caller's transaction (the API's voucher request: one transaction with its
    # idempotency record) no savepoints, neither here nor in the ledger: four round trips
    # fewer per request (bench P5). A code that cannot be redeemed changes no row, and is
    # refused after this block, so the caller's transaction stays usable (the failure limit's
    # audit entry is written in it); an error after the claim (a lost race, a database error)
    # breaks the caller's transaction, which the caller answers (the API rolls the request
    # back, and replays the winner's record when there is one).
    nested = transaction.get_connection().in_atomic_block
    redemption = None
    with transaction.atomic(savepoint=False):
        # The one conditional UPDATE: whoever changes the row from Available wins; a code of a
        # batch in another currency than the account's is not changed.
        claimed = _claim(code_hash=code_hash, customer=customer, now=now)
        if claimed is not None:
            redemption = _credit(
                voucher=claimed,
                customer=customer,
                user=user,
                ip_address=ip_address,
                now=now,
                savepoint=not nested,
                contacts=contacts,
            )
    if redemption is None:
        raise VoucherRejected(REJECTED_MESSAGE, field="code")
    return redemption


def _credit(
    *,
    voucher: Voucher,
    customer: Customer,
    user: Any,
    ip_address: str | None,
    now: Any,
    savepoint: bool,
    contacts: list[str] | None = None,
) -> Redemption:
    """What a claimed voucher gives (in the claim's transaction): the credit, or the bonus armed."""
    batch = voucher.batch  # read with it (_claim)
    payment = None
    activation = None
    audited: list[str] = []  # the references of the payments its audit entry was written with
    if batch.is_bonus:
        activation = VoucherActivation.objects.create(
            customer=customer, voucher=voucher, armed_at=now
        )
    else:
        sql = _statements(connection.vendor)
        linked: list[str] = []  # the references of the payments the link was written with

        def link(new: Payment) -> list[tuple[str, list[Any]]]:
            linked.append(new.reference)
            entry = audit_insert_selecting(
                NEW_PAYMENT,
                object_type="voucher",
                object_id=str(voucher.pk),
                **_redeemed(voucher, customer, new.reference, None, user, ip_address),
            )
            if entry is None:
                return [(sql["redemption_payment_new"], [voucher.pk])]
            audited.append(new.reference)
            return [(sql["redemption_payment_new"], [voucher.pk]), entry]

        payment = payment_create(
            customer=customer,
            total=batch.addition,
            description=f"Voucher {voucher.masked_code}",
            method=PaymentMethod.VOUCHER,
            status=PaymentStatus.COMPLETED,
            actor=user,
            idempotency_key=f"voucher:{voucher.pk}",
            # No `at=now`: read before the balance lock, it could date the credit before a
            # payment that posted meanwhile. The ledger reads the time holding the lock.
            savepoint=savepoint,
            # The voucher names its payment in the payment's own statement (PostgreSQL).
            written_with=link,
        )
        if payment.reference not in linked:  # SQLite; or an existing payment was returned
            execute_hot(sql["redemption_payment"], [payment.pk, voucher.pk], fetch=False)
        voucher.redemption_payment = payment
        notify_payment_completed(payment=payment, contacts=contacts)
    if payment is None or payment.reference not in audited:  # else written with the payment
        reference = payment.reference if payment else None
        audit_record(
            obj=voucher, **_redeemed(voucher, customer, reference, activation, user, ip_address)
        )
    return Redemption(voucher=voucher, payment=payment, activation=activation)


def _redeemed(
    voucher: Voucher,
    customer: Customer,
    reference: str | None,
    activation: VoucherActivation | None,
    user: Any,
    ip_address: str | None,
) -> dict[str, Any]:
    """The "voucher.redeem" audit entry's fields (its object: the voucher)."""
    return {
        "action": "voucher.redeem",
        "actor": user,
        "customer_id": customer.pk,
        "after": {
            "hint": voucher.hint,
            "batch": voucher.batch_id,
            "payment": reference,
            "armed": activation is not None,
        },
        "ip_address": ip_address,
    }


# A redemption's statements, built once per database vendor (the ORM would compile them on every
# request: bench P5), in quoted names as the ORM writes them.
@functools.cache
def _statements(vendor: str) -> dict[str, str]:
    qn = connection.ops.quote_name
    voucher, batch = qn(Voucher._meta.db_table), qn(VoucherBatch._meta.db_table)
    # Literals, not parameters: fixed choices (models.REDEEMABLE_APPROVALS), never user input.
    redeemable = ", ".join(f"'{approval.value}'" for approval in REDEEMABLE_APPROVALS)
    return {
        "claim": (
            f"UPDATE {voucher} SET {qn('status')} = %s, {qn('used_at')} = %s, "
            f"{qn('used_by_id')} = %s WHERE {qn('code_hash')} = %s AND {qn('status')} = %s "
            f"AND ({qn('expires_at')} IS NULL OR {qn('expires_at')} > %s) "
            f"AND EXISTS (SELECT 1 FROM {batch} WHERE {batch}.{qn('id')} = "
            f"{voucher}.{qn('batch_id')} AND {batch}.{qn('currency')} = %s "
            f"AND {batch}.{qn('approval')} IN ({redeemable}))"
        ),
        "redemption_payment": (
            f"UPDATE {voucher} SET {qn('redemption_payment_id')} = %s WHERE {qn('id')} = %s"
        ),
        # The same, in the statement that creates the payment (ledger: `written_with`).
        "redemption_payment_new": (
            f"UPDATE {voucher} SET {qn('redemption_payment_id')} = {NEW_PAYMENT}.id "
            f"FROM {NEW_PAYMENT} WHERE {voucher}.{qn('id')} = %s"
        ),
        "batch_join": f"LEFT JOIN {batch} ON {batch}.{qn('id')} = {voucher}.{qn('batch_id')}",
        "by_hash": f"{voucher}.{qn('code_hash')} = %s",
    }


# PostgreSQL: the claim and the read of what it claimed, with its batch, in one statement (one
# round trip, prepared): the claim is a data-modifying WITH named as the voucher table, so the
# SELECT (fastsql.first_joined's) reads the row it returned — as it stands after the UPDATE, as
# the read after it did — and none when the claim changed none. Inside the WITH the name is
# still the table's (a WITH that is not RECURSIVE cannot name itself).
@functools.cache
def _claim_returning(vendor: str) -> str:
    voucher = connection.ops.quote_name(Voucher._meta.db_table)
    return f"WITH {voucher} AS ({_statements(vendor)['claim']} RETURNING {voucher}.*)"


def _execute(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _claim(*, code_hash: str, customer: Customer, now: Any) -> Voucher | None:
    """Available (and not expired, of a batch in the account's currency whose codes redeem: not
    waiting for a second approval) → Used by `customer`:
    the voucher as claimed, its batch with it, when this call won the code; else None."""
    vendor = connection.vendor
    at = Voucher._meta.get_field("used_at").get_db_prep_save(now, connection)
    params = [
        VoucherStatus.USED.value,
        at,
        customer.pk,
        code_hash,
        VoucherStatus.AVAILABLE.value,
        at,
        customer.currency,
    ]
    sql = _statements(vendor)
    if vendor == "postgresql":
        found = first_joined(
            (Voucher, VoucherBatch),
            sql["batch_join"],
            sql["by_hash"],
            [*params, code_hash],
            with_=_claim_returning(vendor),
        )
        return None if found is None else _with_batch(found)
    if _execute(sql["claim"], params) != 1:
        return None
    found = first_joined((Voucher, VoucherBatch), sql["batch_join"], sql["by_hash"], [code_hash])
    if found is None:  # it was just claimed in this transaction: cannot happen
        raise VoucherRejected(REJECTED_MESSAGE, field="code")
    return _with_batch(found)


def _with_batch(found: tuple[Any, ...]) -> Voucher:
    voucher, batch = found
    assert isinstance(voucher, Voucher) and isinstance(batch, VoucherBatch)  # the join's rows
    Voucher.batch.field.set_cached_value(voucher, batch)
    return voucher
