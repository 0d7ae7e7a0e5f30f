"""The card method, processed by Stripe (spec §5 "Credit Card").

The browser turns the card into a PaymentMethod (`pm_…`) through the fields Stripe hosts
(Stripe.js; the sandbox's stand-in in the demo and the tests): Paydesk's server never receives a
card number or a CVC. `start_checkout` creates and confirms a PaymentIntent with that id; the
answer is known at once (succeeded, declined) or the card asks for 3-D Secure, and the customer
is sent to Stripe's `next_action.redirect_to_url`, which returns to /pay/return/<reference>/.

The payment's description names the card ("Credit Card Visa •••• 4242, $51.54 USD"): core asks
`payment_method_label` (Stripe's `GET /v1/payment_methods/{id}`) before it makes the payment; if
Stripe could not say then, the intent's answers (its payment method expanded) carry the card as
the event's `instrument`, named while the payment is still pending.

PaymentIntent status → our outcome:
- `succeeded` → completed (amount_received checked against the quote by the core);
- `requires_payment_method` after a failed attempt (`last_payment_error`), `canceled` →
  cancelled with Stripe's reason;
- `processing`, `requires_capture` → pending, money on its way (`in_flight`);
- `requires_action`, `requires_confirmation`, `requires_payment_method` never attempted →
  pending: the customer has not finished (reconciliation abandons it in the end).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from paydesk.errors import GatewayError, GatewayNotFound, GatewayUnavailable, PaydeskError
from paydesk.gateways.base import (
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    Outcome,
    RefundEvent,
    RefundRequest,
)
from paydesk.gateways.signing import mapping, money_from_minor_units, text
from paydesk.gateways.stripe.client import (
    DISPLAY_NAME,
    CardDeclined,
    StripeApi,
    card_label,
    intent_summary,
    stripe_minor_units,
)
from paydesk.gateways.stripe.declines import customer_reason
from paydesk.gateways.stripe.disputes import REASONS, status_words
from paydesk.gateways.stripe.returns import refund_object_event
from paydesk.gateways.stripe.webhooks import (
    GATEWAY_NAME,
    REFERENCE_KEY,
    SEPA_PROCESSING,
    sepa_debit,
    stripe_exponent,
)
from paydesk.money import Money

PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{4,200}")
AUTHENTICATION_PENDING = "Waiting for the card's 3-D Secure authentication."
PROCESSING = "Stripe is processing the card payment."
# How far Stripe's Search API may lag behind a new PaymentIntent: "under normal operating
# conditions, data is searchable in less than a minute. Occasionally, propagation of new or
# updated data can be up to an hour behind during outages" (docs.stripe.com/api/
# payment_intents/search). Paydesk waits out the worst case before it believes "not found".
SEARCH_LAG = timedelta(hours=1)


def _amount(intent: Mapping[str, Any], *, received: bool) -> Money | None:
    currency = text(intent.get("currency"))
    try:
        exponent = stripe_exponent(currency)
    except PaydeskError:
        return None
    return money_from_minor_units(
        intent.get("amount_received" if received else "amount"), currency, exponent=exponent
    )


def intent_event(intent: Mapping[str, Any], *, source: str, payment_reference: str) -> GatewayEvent:
    """Our event for one PaymentIntent as Stripe answered it (`source`: checkout, return, query).

    The event id is deterministic (`"<source>:<intent id>:<status>"`): asking twice applies once.
    An intent whose metadata names another payment is refused (GatewayError).
    """
    intent_id = text(intent.get("id"))
    status = text(intent.get("status"))
    if not intent_id or text(intent.get("object")) not in ("", "payment_intent"):
        raise GatewayError("Stripe answered without a PaymentIntent.")
    named = text(mapping(intent.get("metadata")).get(REFERENCE_KEY))
    if named and payment_reference and named != payment_reference:
        raise GatewayError(f"Stripe's PaymentIntent {intent_id} belongs to payment {named}.")
    error = mapping(intent.get("last_payment_error"))
    outcome, reason, in_flight, bank_confirming = Outcome.PENDING, "", False, False
    amount = _amount(intent, received=False)
    if status == "succeeded":
        outcome, amount = Outcome.COMPLETED, _amount(intent, received=True)
    elif status == "canceled":
        outcome = Outcome.CANCELLED
        why = text(intent.get("cancellation_reason")).replace("_", " ")
        reason = customer_reason(error) or (
            f"Cancelled at Stripe ({why})." if why else "Cancelled at Stripe."
        )
    elif status == "requires_payment_method" and error:
        outcome = Outcome.CANCELLED
        reason = customer_reason(error) or "Your card was declined."
    elif status in ("processing", "requires_capture"):
        sepa = sepa_debit(intent)
        reason, in_flight = (SEPA_PROCESSING if sepa else PROCESSING), True
        bank_confirming = sepa and status == "processing"
    elif status == "requires_action":
        reason = AUTHENTICATION_PENDING
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=f"{source}:{intent_id}:{status or 'unknown'}",
        outcome=outcome,
        payment_reference=payment_reference or named,
        gateway_reference=intent_id,
        transaction_id=intent_id,
        amount=amount,
        reason=reason[:300],
        in_flight=in_flight,
        bank_confirming=bank_confirming,
        summary={**intent_summary(intent), "source": source},
        instrument=(
            card_label(intent.get("payment_method")) or card_label(error.get("payment_method"))
        ),
    )


def _redirect_url(intent: Mapping[str, Any]) -> str:
    next_action = mapping(intent.get("next_action"))
    if text(next_action.get("type")) != "redirect_to_url":
        return ""
    url = text(mapping(next_action.get("redirect_to_url")).get("url"))
    return url if url.startswith(("https://", "http://")) else ""


class StripeCardGateway:
    """Credit Card: Stripe PaymentIntents confirmed server-side with a browser-made `pm_…`."""

    name = GATEWAY_NAME  # "card": the Payment method value and Payment.gateway
    display_name = "Credit Card"
    processor_name = DISPLAY_NAME  # whose dashboard Finance answers a dispute in: "Stripe"
    # A dispute's `gateway_status` in words, for the back office (disputes.py).
    dispute_status_words = staticmethod(status_words)
    # Its reason codes' words, for reasons stored as codes (gateways/dispute_words.py).
    dispute_reasons = REASONS
    # Pay's form may be redirected here (3-D Secure): Make Payment's form-action.
    hosted_origins: tuple[str, ...] = ("https://hooks.stripe.com",)
    needs_browser = True
    # What the customer fills in (the first four in the frame Stripe hosts, never our form).
    fields: tuple[str, ...] = (
        "card_number",
        "expiry_month",
        "expiry_year",
        "cvc",
        "amount",
        "currency",
    )
    secret_settings = (
        "PAYDESK_STRIPE_SECRET_KEY",
        "PAYDESK_STRIPE_PUBLISHABLE_KEY",
        "PAYDESK_STRIPE_WEBHOOK_SECRET",
    )

    def amount_refusal(self, amount: Money) -> str:
        """Why this gateway cannot charge `amount` exactly ('' when it can), for the quote."""
        try:
            stripe_minor_units(amount)
        except GatewayError as error:
            return error.message
        return ""

    def supported_currencies(self) -> frozenset[str] | None:
        return None  # Stripe presents 135+ currencies; MethodConfig narrows them

    def payment_method_label(self, token: str) -> str:
        """The card behind the browser's `pm_…` as Stripe's server describes it ("Visa •••• 4242"),
        asked before the payment is made so its description names the card from the start; ''
        when Stripe cannot say (never an error: the plain description stays)."""
        if not PAYMENT_METHOD_ID.fullmatch(token or ""):
            return ""
        try:
            return StripeApi().payment_method_retrieve(token)
        except PaydeskError:
            return ""

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        token = request.payment_method_token
        if not PAYMENT_METHOD_ID.fullmatch(token or ""):
            raise GatewayError("The card details did not reach Stripe: enter the card again.")
        try:
            intent = StripeApi().payment_intent_create(
                amount=request.amount,
                payment_method=token,
                return_url=request.return_url,
                payment_reference=request.payment_reference,
                description=request.description,
                idempotency_key=request.idempotency_key,
                customer=request.processor_customer,
                method_type=request.payment_method_type,
                off_session=request.off_session,
            )
        except CardDeclined as declined:
            return self._declined(request, declined)
        event = intent_event(intent, source="checkout", payment_reference=request.payment_reference)
        redirect = _redirect_url(intent)
        if event.outcome is Outcome.PENDING and redirect:
            return CheckoutResult(
                outcome=Outcome.PENDING,
                gateway_reference=event.gateway_reference,
                redirect_url=redirect,
            )
        return CheckoutResult(
            outcome=event.outcome, gateway_reference=event.gateway_reference, event=event
        )

    def _declined(self, request: CheckoutRequest, declined: CardDeclined) -> CheckoutResult:
        intent = declined.intent
        intent_id = text(intent.get("id"))
        event = GatewayEvent(
            gateway=GATEWAY_NAME,
            event_id=f"checkout:{intent_id or request.idempotency_key}:declined",
            outcome=Outcome.CANCELLED,
            payment_reference=request.payment_reference,
            gateway_reference=intent_id,
            reason=declined.message[:300],
            summary={
                **(intent_summary(intent) if intent else {}),
                "source": "checkout",
                "error.code": declined.stripe_code,
                "error.decline_code": declined.decline_code,
            },
            instrument=declined.instrument,
        )
        return CheckoutResult(outcome=Outcome.CANCELLED, gateway_reference=intent_id, event=event)

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        """Back from 3-D Secure: ask Stripe about the intent WE stored. The URL's
        `payment_intent` / `redirect_status` are never believed."""
        if not gateway_reference:
            return None
        intent = StripeApi().payment_intent_retrieve(
            gateway_reference, payment_reference=payment_reference
        )
        return intent_event(intent, source="return", payment_reference=payment_reference)

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        if not gateway_reference:
            return self._searched(payment_reference)
        intent = StripeApi().payment_intent_retrieve(
            gateway_reference, payment_reference=payment_reference
        )
        return intent_event(intent, source="query", payment_reference=payment_reference)

    @staticmethod
    def _searched(payment_reference: str) -> GatewayEvent:
        """A checkout whose creating request got no answer (a timeout) has no intent id here, yet
        Stripe may have made the intent: look for it by the reference our server put in its
        metadata (Search API). Found → its event, bound by the id Stripe returned. Not found →
        GatewayNotFound, which counts only once Stripe's index has had time to catch up
        (SEARCH_LAG after the creating request's deadline)."""
        api = StripeApi()
        found = api.payment_intent_search(payment_reference)
        if len(found) > 1:
            ids = ", ".join(text(intent.get("id")) for intent in found[:3])
            raise GatewayUnavailable(
                f"Stripe has {len(found)} PaymentIntents for this payment ({ids}): staff must "
                "check them."
            )
        if not found:
            raise GatewayNotFound(
                "Stripe's search finds no PaymentIntent for this payment.",
                settles_after=SEARCH_LAG + timedelta(seconds=api.timeout),
            )
        return intent_event(found[0], source="query", payment_reference=payment_reference)

    def refund(self, request: RefundRequest) -> RefundEvent:
        """`POST /v1/refunds` for the PaymentIntent of the payment; Stripe's Refund as our event
        (`succeeded` → completed, `pending`/`requires_action` → pending, `failed`/`canceled` →
        cancelled), with the deterministic id `refund:<re_…>:<status>`."""
        intent_id = next(
            (i for i in (request.transaction_id, request.gateway_reference) if i.startswith("pi_")),
            "",
        )
        if not intent_id:
            raise GatewayError("This card payment has no Stripe PaymentIntent to refund.")
        refund = StripeApi().refund_create(
            intent_id=intent_id,
            amount=request.amount,
            refund_reference=request.refund_reference,
            payment_reference=request.payment_reference,
            reason=request.reason,
            idempotency_key=request.idempotency_key,
        )
        return self._refund_answer(refund, request)

    def refund_fetch(self, request: RefundRequest, *, refund_id: str) -> RefundEvent:
        """`GET /v1/refunds/{id}`: the refund as Stripe has it now, as the same event its
        refund answer gives."""
        refund = StripeApi().refund_retrieve(refund_id, payment_reference=request.payment_reference)
        if text(refund.get("id")) != refund_id:
            raise GatewayUnavailable(f"Stripe answered another refund than {refund_id}.")
        # A refund made in Stripe's Dashboard carries no reference of ours.
        return self._refund_answer(refund, request, unnamed_ok=True)

    @staticmethod
    def _refund_answer(
        refund: Mapping[str, Any], request: RefundRequest, *, unnamed_ok: bool = False
    ) -> RefundEvent:
        # Past this point Stripe may hold a refund: an answer Paydesk cannot use leaves ours
        # pending (GatewayUnavailable), never cancelled, so the money is never counted twice.
        status = text(refund.get("status")) or "unknown"
        try:
            event = refund_object_event(
                refund, event_id=f"refund:{text(refund.get('id'))}:{status}", kind="api"
            )
        except GatewayError as error:
            unusable = f"Stripe's refund answer is unusable: {error.message}"
            raise GatewayUnavailable(unusable) from error
        if event.refund_reference != request.refund_reference and not (
            unnamed_ok and not event.refund_reference
        ):
            raise GatewayUnavailable(
                f"Stripe's refund {event.refund_id} names refund '{event.refund_reference}', "
                f"not {request.refund_reference}."
            )
        return event


class StripeSepaGateway(StripeCardGateway):
    """SEPA Direct Debit: the same Stripe PaymentIntents, paid with a SEPA mandate the customer
    saved (`sepa_debit` PaymentMethod, docs/methods.md). Its own Pay via value, so its payments,
    quotes and settings say SEPA Direct Debit; `name` stays Stripe's ("card") so webhooks,
    returns and re-queries reach the payment exactly like a card's. Euros only; only with a
    saved mandate (there is no form to type an IBAN into at Make Payment)."""

    display_name = "SEPA Direct Debit"
    hosted_origins: tuple[str, ...] = ()
    needs_browser = False
    fields = ("amount", "currency")
    saved_method_only = True

    def supported_currencies(self) -> frozenset[str] | None:
        return frozenset({"EUR"})
