"""Customer endpoints: the caller's own customer only (another customer's ids → 404).

Thin: reads through paydesk.ledger.selectors and paydesk.exports, payments through
paydesk.checkout, paydesk.vouchers and paydesk.banktransfers services.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import hashlib
import json
import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router

from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults
from paydesk.accounts.payers import may_make_payments
from paydesk.api.auth import caller_of, portal_customer
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent, idempotent_storing
from paydesk.api.paging import payments_paged
from paydesk.api.schemas import (
    ERRORS,
    BalanceOut,
    MakePaymentIn,
    MakePaymentOut,
    PaymentListOut,
    PaymentOut,
    PaymentQuery,
    json_response,
    money,
    payment_out,
)
from paydesk.banktransfers.selectors import transfer_for_customer
from paydesk.banktransfers.services import transfer_cancel_by_customer
from paydesk.checkout.services import Checkout, checkout_start
from paydesk.exports import payments_csv_response
from paydesk.ledger.access import balance_visible, payment_visible_to
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import (
    PAYMENT_SORTS,
    PaymentFilters,
    payment_list_for_customer,
)
from paydesk.methods.services import saved_method_is_own
from paydesk.money import format_money
from paydesk.portal.forms import PaymentFilterForm
from paydesk.references import canonical_payment_reference
from paydesk.vouchers.selectors import redeem_reads
from paydesk.vouchers.services import voucher_redeem
from paydesk.web.client_ip import client_ip

router = Router(tags=["customer"])


def own_customer(request: HttpRequest, *, pay: bool = False) -> Customer:
    """The caller's customer, after the key's scope and the user's permissions are checked."""
    if pay:
        return portal_customer(
            request,
            pay_scope=True,
            may=lambda user: (
                user.customer is not None and may_make_payments(user=user, customer=user.customer)
            ),
            refusal="Your user may not make payments.",
        )
    return portal_customer(
        request,
        pay_scope=False,
        may=lambda user: user.can_view_payments,
        refusal="Your user may not view payments.",
    )


def _user_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    name = caller_of(request).user.effective_time_zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _filters(
    request: HttpRequest, customer: Customer, query: PaymentQuery, defaults: PortalDefaults
) -> PaymentFilters:
    form = PaymentFilterForm(
        {
            "status": query.status or "",
            "method": query.method or "",
            "q": query.q or "",
            "date_from": query.date_from or "",
            "date_to": query.date_to or "",
            "sort": query.sort,
        }
    )
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise ApiError(400, "invalid_request", f"{name}: {errors[0]}", name)
    return form.filters(
        time_zone=_user_time_zone(request),
        hide_pending_bank_transfers=not customer.flag("show_pending_bank_payments", defaults),
    )


def _shows_balance(customer: Customer, defaults: PortalDefaults | None = None) -> bool:
    return balance_visible(customer=customer, defaults=defaults or PortalDefaults.current())


def _payments_shown(customer: Customer, defaults: PortalDefaults) -> None:
    if not customer.flag("show_payments", defaults):
        raise ApiError(403, "permission_denied", "Payments are not shown for this account.")


@router.get("/balance", response={200: BalanceOut, **ERRORS}, summary="The account balance")
def balance(request: HttpRequest) -> dict[str, object]:
    customer = own_customer(request)
    if not _shows_balance(customer):
        raise ApiError(403, "permission_denied", "The balance is not shown for this account.")
    customer.refresh_from_db(fields=["balance", "debit_limit"])
    currency = customer.currency
    return {
        "balance": money(customer.balance, currency),
        "debit_limit": money(customer.debit_limit, currency),
        "available_credit": money(customer.available_credit, currency),
    }


@router.get("/payments", response={200: PaymentListOut, **ERRORS}, summary="List payments")
def payments(request: HttpRequest, query: Query[PaymentQuery]) -> dict[str, object]:
    """The Payments page's list: same filters, keyset paging by opaque `after`/`before`."""
    customer = own_customer(request)
    defaults = PortalDefaults.current()
    _payments_shown(customer, defaults)
    filters = _filters(request, customer, query, defaults)
    show_balance = _shows_balance(customer, defaults)
    return payments_paged(
        queryset=payment_list_for_customer(customer=customer, filters=filters),
        query=query,
        render=lambda p: payment_out(p, customer.currency, show_balance=show_balance),
    )


@router.get(
    "/payments.csv",
    response={200: str, **ERRORS},
    summary="Download payments as CSV",
    openapi_extra={
        "responses": {
            200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
    },
)
def payments_csv(request: HttpRequest, query: Query[PaymentQuery]) -> HttpResponseBase:
    """Exactly the rows the same filters list (every row when none), streamed."""
    customer = own_customer(request)
    defaults = PortalDefaults.current()
    _payments_shown(customer, defaults)
    filters = _filters(request, customer, query, defaults)
    time_zone = _user_time_zone(request)
    return payments_csv_response(
        queryset=payment_list_for_customer(customer=customer, filters=filters),
        sort=PAYMENT_SORTS[query.sort],
        time_zone=time_zone,
        currency=customer.currency,
        filename=f"payments-{customer.slug}-{timezone.localdate().isoformat()}.csv",
    )


def _own_payment(customer: Customer, reference: str) -> Payment:
    canonical = canonical_payment_reference(reference or "")
    payment = (
        Payment.objects.filter(customer=customer, reference=canonical).first()
        if canonical
        else None
    )
    if payment is None:
        raise ApiError(404, "not_found", "You have no payment with that reference.", "reference")
    return payment


@router.get("/payments/{reference}", response={200: PaymentOut, **ERRORS}, summary="One payment")
def payment_detail(request: HttpRequest, reference: str) -> dict[str, object]:
    customer = own_customer(request)
    defaults = PortalDefaults.current()
    _payments_shown(customer, defaults)
    payment = _own_payment(customer, reference)
    if (
        payment.status == "pending"
        and payment.method == PaymentMethod.BANK_TRANSFER
        and not customer.flag("show_pending_bank_payments", defaults)
    ):
        raise ApiError(404, "not_found", "You have no payment with that reference.", "reference")
    return payment_out(payment, customer.currency, show_balance=_shows_balance(customer, defaults))


def _checkout_key(request: HttpRequest) -> str:
    """checkout_start's own one-time key: derived from the caller's scope (its customer) and
    Idempotency-Key (so a replay after the record was purged, or after an abandoned in-flight
    row was taken over, still finds the same checkout, whichever of the customer's keys sends
    it), else random."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return "api-" + secrets.token_hex(20)
    digest = hashlib.sha256(f"{caller_of(request).identity}\n{raw.strip()}".encode()).hexdigest()
    return "api-" + digest[:40]


def _client_ip(request: HttpRequest) -> str | None:
    return client_ip(request)


def _outcome_message(checkout: Checkout) -> str:
    """What the API says of a checkout whose outcome is known without a redirect."""
    payment = checkout.payment
    if payment.status == PaymentStatus.COMPLETED:
        return (
            f"The payment completed: {format_money(payment.total, payment.customer.currency)} "
            "credited."
        )
    if payment.status == PaymentStatus.CANCELLED:
        return checkout.problem or payment.cancel_reason or "The payment was cancelled."
    return checkout.problem or payment.pending_reason or "The payment is pending at the gateway."


# The methods a saved method (payment_method = its pm_…) may be named with: a mandate pays as
# sepa_debit, a card as card, whichever of the two the caller named.
SAVED_METHOD_PAYS = frozenset({PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT})


# A bank transfer or a voucher touches nothing but the database: its request is one transaction
# with its idempotency record, so the money and the answer commit together (a voucher redeemed
# by a request that died before recording its answer would otherwise be answered "rejected"
# when retried). A voucher only while the failure counters are not a database table: they must
# count a guess the moment it starts, seen by every parallel guess, never held back in a
# transaction (where, in a table, one row per address would make every redemption wait).
def _one_transaction(request: HttpRequest) -> bool:
    try:
        body = json.loads(request.body)
    except ValueError:
        return False
    method = body.get("method") if isinstance(body, dict) else None
    method = method.strip() if isinstance(method, str) else ""
    if method == PaymentMethod.VOUCHER:
        return not settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    return method == PaymentMethod.BANK_TRANSFER


@router.post(
    "/payments",
    response={201: MakePaymentOut, 200: MakePaymentOut, **ERRORS},
    summary="Make a payment",
)
@idempotent_storing(None, one_transaction=_one_transaction)
def make_payment(request: HttpRequest, payload: MakePaymentIn) -> HttpResponse:
    """Bank transfer → the pending transfer with its reference and the bank details; voucher →
    redeemed (credited, or a bonus armed); an online method → the URL the customer must visit."""
    customer = own_customer(request, pay=True)
    user = caller_of(request).user
    method = payload.method.strip()
    if method == PaymentMethod.VOUCHER:
        # Read once, in one statement: the rules, the balance shown and whom a receipt goes to.
        defaults, contacts = redeem_reads(customer=customer)
        redemption = voucher_redeem(
            code=payload.code or "",
            customer=customer,
            currency=payload.currency,
            user=user,
            ip_address=_client_ip(request),
            defaults=defaults,
            contacts=contacts,
        )
        data: dict[str, Any]
        if redemption.payment is not None:
            data = {
                "method": method,
                "outcome": "completed",
                "payment": payment_out(
                    redemption.payment,
                    customer.currency,
                    show_balance=_shows_balance(customer, defaults),
                ),
                "message": "The voucher was redeemed and credited.",
            }
        else:
            data = {
                "method": method,
                "outcome": "armed",
                "payment": None,
                "message": "The bonus is armed: it is credited with your next top-up.",
            }
        return json_response(201, data, MakePaymentOut)
    token, saved = (payload.payment_method or "").strip(), ""
    if (
        token
        and method in SAVED_METHOD_PAYS
        and saved_method_is_own(customer=customer, payment_method=token)
    ):
        token, saved = "", token  # one of the caller's saved methods (another's → 404)
    # A payment the processor rate limited (its attempt cancelled, nothing charged) raises
    # GatewayRateLimited: a 503 kept under no Idempotency-Key (api/errors.py), and the same key
    # sent again makes a new attempt (`again_if_not_taken`).
    checkout = checkout_start(
        customer=customer,
        user=user,
        method=method,
        amount=payload.amount,
        currency=payload.currency,
        idempotency_key=_checkout_key(request),
        payment_method_token=token,
        saved_method=saved,
        again_if_not_taken=True,
    )
    payment, quote = checkout.payment, checkout.quote
    # The portal defaults the checkout read with its method's rules (one statement).
    shows_balance = _shows_balance(customer, checkout.defaults)
    data = {
        "method": payment.method,  # a saved SEPA mandate pays as sepa_debit
        "payment": payment_out(payment, customer.currency, show_balance=shows_balance),
        "charged": money(quote.total_charged, quote.currency),
    }
    if method == PaymentMethod.BANK_TRANSFER:
        # The details the instructions email quoted; a replay's are the current ones.
        details = checkout.bank_details
        data.update(
            outcome="pending",
            message=f"Transfer the amount charged quoting reference {payment.reference}.",
            bank_details=None
            if details is None
            else {
                "beneficiary_name": details.beneficiary_name,
                "account_number": details.account_number,
                "bank_name": details.bank_name,
                "bank_address": details.bank_address,
                "swift": details.swift,
                "reference": payment.reference,
            },
        )
    elif checkout.redirect_url:
        data.update(
            outcome="redirect",
            redirect_url=checkout.redirect_url,
            message="Send the customer to redirect_url to pay.",
        )
    else:
        data.update(outcome=str(payment.status), message=_outcome_message(checkout))
    return json_response(201 if not checkout.replayed else 200, data, MakePaymentOut)


@router.post(
    "/payments/{reference}/cancel",
    response={200: PaymentOut, **ERRORS},
    summary="Cancel one's own pending bank transfer",
)
@idempotent
def cancel_payment(request: HttpRequest, reference: str) -> HttpResponse:
    customer = own_customer(request, pay=True)
    payment = transfer_for_customer(customer=customer, reference=reference)
    if payment is None:
        raise ApiError(
            404, "not_found", "You have no bank transfer with that reference.", "reference"
        )
    user = caller_of(request).user
    defaults = PortalDefaults.current()
    if not payment_visible_to(user=user, payment=payment, defaults=defaults):
        raise ApiError(
            404, "not_found", "You have no bank transfer with that reference.", "reference"
        )
    cancelled = transfer_cancel_by_customer(payment=payment, user=user)
    return json_response(
        200,
        payment_out(cancelled, customer.currency, show_balance=_shows_balance(customer, defaults)),
        PaymentOut,
    )
