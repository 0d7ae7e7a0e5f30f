"""The double-credit shape, played by the payer against every gateway through the sandbox.

The same customer opens two top-ups of the same amount, P1 and P2, through the real services,
pays ONLY P1 at the sandbox gateway, and then tampers with everything their browser controls so
that P1's money would land on P2 as well:

- Razorpay: Checkout's `notes[paydesk_reference]` set to P2 (the sandbox copies browser notes
  into the payment entity, as Razorpay does), and what Checkout hands our page
  (`razorpay_order_id`, `razorpay_payment_id`, `razorpay_signature`) posted to P2's return;
- PayPal: P1's approval return (`token`, `PayerID`) sent to P2's return URL;
- Paystack: P1's `trxref` / `reference` on P2's return URL;
- NOWPayments: P1's `NP_id` on P2's return URL;
- Stripe (card): P1's `payment_intent` / `payment_intent_client_secret` on P2's return URL, after
  a 3-D Secure card and after a frictionless one.

Then every webhook the sandbox sends arrives (normal, twice, out of order, and late — held until
after the tampered return, so that the return is the first thing Paydesk hears; held ones are
released), and `payment_status_refresh` runs on both payments. Money must be credited exactly
once, to P1: the balance rises by P1's credit, P2 is not completed and has no late payment, one
payment carries P1's gateway transaction, and the ledger has no drift.

Variants: P2 cancelled first (the payer's own cancel, an expired or failed attempt), so that a
mis-bound event would show as a "Late payment for P2" instead of a completed P2; Razorpay's
notes naming P2 with Checkout's answer posted to P1's own return (the reported double credit
exactly); and Razorpay's P1 closed (cancelled) and then paid anyway, whose money must become one
"Late payment for P1".

Nothing of Paydesk's is replaced: the services, the sandbox over the live server, Django's test
Client as the payer's browser.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, LogDirection, PaymentLogEntry, Quote
from paydesk.checkout.services import Checkout, payment_status_refresh
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.sandbox.core import object_find, object_get
from paydesk.sandbox.models import SandboxObject, WebhookStatus
from tests.online import nowpayments_steps, paypal_steps, paystack_support, razorpay_support
from tests.online.stripe_support import THREE_D_SECURE, VISA, card_checkout

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_MODES = ["normal", "twice", "out_of_order", "late"]


# --- the payer's browser ----------------------------------------------------------------------


def _browser(user) -> Client:
    browser = Client()  # raises the view's exception: a 500 fails the test loudly
    browser.force_login(user)
    return browser


def _status_page(user, payment: Payment) -> str:
    page = _browser(user).get(f"/pay/status/{payment.reference}/")
    assert page.status_code == 200
    return page.content.decode()


def _return_to(user, payment: Payment, params: dict[str, str], *, post: bool = False) -> str:
    """The payer's browser comes back to `payment`'s return URL with `params` (a redirect's GET,
    or the form Razorpay's checkout hands our page); the status page it lands on."""
    browser = _browser(user)
    url = f"/pay/return/{payment.reference}/"
    answer = browser.post(url, params) if post else browser.get(url, params)
    assert answer.status_code == 302, answer.content[:300]
    # `?left=1` after the gateway's Cancel: the page then offers its Cancel button.
    assert answer["Location"].split("?")[0] == f"/pay/status/{payment.reference}/"
    page = browser.get(answer["Location"])
    assert page.status_code == 200
    return page.content.decode()


def _query(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query))


def _settle(sandbox, *payments: Payment) -> None:
    """Every webhook the sandbox holds is delivered, and each payment is asked about at its
    gateway (reconciliation's re-query), then once more after what that sent arrives."""
    for _ in range(2):
        sandbox.release()
        for payment in payments:
            payment.refresh_from_db()
            payment_status_refresh(payment=payment)
    sandbox.release()


# --- what must hold afterwards ----------------------------------------------------------------


def _credit(checkout: Checkout) -> Decimal:
    return Quote.objects.get(payment=checkout.payment).credit


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def _two_top_ups(first: Checkout, second: Checkout) -> tuple[Payment, Payment, Decimal]:
    """P1, P2 and the one credit they both quote (same amount, same customer)."""
    p1, p2 = first.payment, second.payment
    assert p1.pk != p2.pk and p1.customer_id == p2.customer_id
    assert p1.gateway == p2.gateway
    credit = _credit(first)
    assert credit > 0 and _credit(second) == credit
    return p1, p2, credit


def _webhooks_all_arrived(sandbox, gateway: str, mode: str) -> None:
    hooks = sandbox.webhooks(gateway)
    assert hooks, "the sandbox sent the gateway's webhooks"
    assert all(h.status == WebhookStatus.SENT for h in hooks), [
        (h.event_type, h.status, h.last_response) for h in hooks
    ]
    assert all(h.last_response.startswith("HTTP 200") for h in hooks), [
        (h.event_type, h.last_response) for h in hooks
    ]
    if mode == "twice":
        assert all(h.attempts == 2 for h in hooks), [(h.event_type, h.attempts) for h in hooks]


def _credited_once_to_p1(
    user,
    p1: Payment,
    p2: Payment,
    *,
    credit: Decimal,
    transaction: str,
    p2_reference: str,
    p2_status: str = PaymentStatus.PENDING,
    p1_cancelled: bool = False,
) -> None:
    """P1's money was credited once — to P1, or, when P1 had been cancelled before the gateway
    took it, to one "Late payment for P1" linked to it — and nothing at all to P2."""
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert transaction
    late = list(Payment.objects.filter(relation=PaymentRelation.LATE_PAYMENT))
    if p1_cancelled:
        # P1 stays cancelled; its money is one completed late payment linked to it.
        assert p1.status == PaymentStatus.CANCELLED, (p1.status, p1.pending_reason)
        assert p1.gateway_transaction == ""
        assert len(late) == 1, late
        credited = late[0]
        assert credited.original_id == p1.pk
        assert credited.description == f"Late payment for {p1.reference}"
    else:
        assert late == []
        credited = p1
    # The credit: completed, with P1's own transaction, for P1's quoted credit.
    assert credited.status == PaymentStatus.COMPLETED, (
        credited.status,
        credited.pending_reason,
        credited.cancel_reason,
    )
    assert credited.total == credit and credited.gateway_transaction == transaction
    # P2: never completed, never given P1's transaction or gateway reference, no late payment.
    assert p2.status == p2_status, (p2.status, p2.pending_reason, p2.cancel_reason)
    assert p2.gateway_transaction == ""
    assert p2.gateway_reference == p2_reference
    assert not Payment.objects.filter(original=p2).exists()
    assert not Payment.objects.filter(description=f"Late payment for {p2.reference}").exists()
    # One payment carries P1's gateway transaction.
    assert list(Payment.objects.filter(gateway=p1.gateway, gateway_transaction=transaction)) == [
        credited
    ]
    # The customer's money: exactly one credit, and the ledger agrees with itself.
    assert set(Payment.objects.filter(customer=user.customer)) == {p1, p2, credited}
    assert list(Payment.objects.filter(customer=user.customer, status=PaymentStatus.COMPLETED)) == [
        credited
    ]
    assert _balance(user) == credit
    assert balance_drifts() == []
    # No event about P2 credited anything (the payment log's applied lines for it).
    applied = PaymentLogEntry.objects.filter(
        payment=p2, direction=LogDirection.RECEIVED, result=EventResult.APPLIED
    ).values_list("detail", flat=True)
    assert not [d for d in applied if d.startswith(("Completed", "Late payment"))], list(applied)
    # Nothing Paydesk heard about P2 (return, webhook, re-query) was P1's transaction.
    heard = PaymentLogEntry.objects.filter(payment=p2, direction=LogDirection.RECEIVED)
    assert not [
        e.event_id for e in heard if transaction in e.event_id or transaction in str(e.summary)
    ]
    # What the customer sees.
    assert f'data-status="{p1.status}"' in _status_page(user, p1)
    assert f'data-status="{p2_status}"' in _status_page(user, p2)


# --- Razorpay -------------------------------------------------------------------------------


@pytest.fixture
def razorpay_payer(sandbox, online_customer):
    return online_customer("razorpay", "INR", account="INR")


def _razorpay_pays_p1_with_p2_notes(p1: Payment, p2: Payment) -> dict[str, str]:
    """P1's order paid at the sandbox's checkout, the browser's notes naming P2; the fields
    Checkout hands our page."""
    result = razorpay_support.sandbox_checkout(p1.gateway_reference, reference=p2.reference)
    fields = razorpay_support.success_fields(result)
    assert fields["razorpay_order_id"] == p1.gateway_reference
    paid = SandboxObject.objects.get(
        gateway="razorpay", kind="payment", object_id=fields["razorpay_payment_id"]
    ).data
    # The sandbox copies the browser's notes into the payment entity, as Razorpay does.
    assert paid["notes"] == {"paydesk_reference": p2.reference}
    assert paid["order_id"] == p1.gateway_reference and paid["status"] == "captured"
    return fields


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_razorpay_notes_and_checkout_fields_naming_p2_credit_p1_once(
    sandbox, razorpay_payer, mode, caplog
):
    """Checkout's notes say P2, and Checkout's answer for P1 is posted to P2's return."""
    sandbox.switch(webhooks=mode)
    p1, p2, credit = _two_top_ups(
        razorpay_support.start(razorpay_payer), razorpay_support.start(razorpay_payer)
    )
    p2_order = p2.gateway_reference
    assert p1.gateway_reference.startswith("order_") and p2_order.startswith("order_")

    fields = _razorpay_pays_p1_with_p2_notes(p1, p2)
    page = _return_to(razorpay_payer, p2, fields, post=True)

    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING
    # Refused: the signature is checked over P2's own order id; the customer is told so.
    assert p2.pending_reason.startswith(
        "The Razorpay checkout's signature did not match this payment"
    )
    assert 'data-status="pending"' in page and "signature did not match" in page
    assert f"Payment {p2.reference}: Razorpay checkout signature refused" in caplog.text
    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "razorpay", mode)
    _credited_once_to_p1(
        razorpay_payer,
        p1,
        p2,
        credit=credit,
        transaction=fields["razorpay_payment_id"],
        p2_reference=p2_order,
    )


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_razorpay_notes_naming_p2_with_p1s_own_return_credit_p1_once(sandbox, razorpay_payer, mode):
    """The reported double credit exactly: notes say P2, Checkout's answer goes to P1's own
    return (which credits P1); the webhooks must not credit P2."""
    sandbox.switch(webhooks=mode)
    p1, p2, credit = _two_top_ups(
        razorpay_support.start(razorpay_payer), razorpay_support.start(razorpay_payer)
    )
    p2_order = p2.gateway_reference

    fields = _razorpay_pays_p1_with_p2_notes(p1, p2)
    _return_to(razorpay_payer, p1, fields, post=True)

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "razorpay", mode)
    _credited_once_to_p1(
        razorpay_payer,
        p1,
        p2,
        credit=credit,
        transaction=fields["razorpay_payment_id"],
        p2_reference=p2_order,
    )


def test_razorpay_notes_naming_a_cancelled_p2_make_no_late_payment_for_it(sandbox, razorpay_payer):
    """P2's checkout was closed (cancelled) first: a webhook bound by the payer's notes would
    now show as "Late payment for P2"."""
    p1, p2, credit = _two_top_ups(
        razorpay_support.start(razorpay_payer), razorpay_support.start(razorpay_payer)
    )
    p2_order = p2.gateway_reference
    _return_to(razorpay_payer, p2, {"cancelled": "1"}, post=True)
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.CANCELLED

    fields = _razorpay_pays_p1_with_p2_notes(p1, p2)
    page = _return_to(razorpay_payer, p2, fields, post=True)
    assert 'data-status="cancelled"' in page

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "razorpay", "normal")
    _credited_once_to_p1(
        razorpay_payer,
        p1,
        p2,
        credit=credit,
        transaction=fields["razorpay_payment_id"],
        p2_reference=p2_order,
        p2_status=PaymentStatus.CANCELLED,
    )


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_razorpay_p1_closed_then_paid_anyway_is_one_late_payment_for_p1_not_p2(
    sandbox, razorpay_payer, mode
):
    """The payer closes P1's checkout (P1 cancelled), then pays P1's order anyway with notes
    naming P2 and posts Checkout's answer to P2's return: Razorpay took the money once, so one
    "Late payment for P1" is credited — never one for P2, never two."""
    sandbox.switch(webhooks=mode)
    p1, p2, credit = _two_top_ups(
        razorpay_support.start(razorpay_payer), razorpay_support.start(razorpay_payer)
    )
    p2_order = p2.gateway_reference
    _return_to(razorpay_payer, p1, {"cancelled": "1"}, post=True)
    p1.refresh_from_db()
    assert p1.status == PaymentStatus.CANCELLED

    fields = _razorpay_pays_p1_with_p2_notes(p1, p2)
    page = _return_to(razorpay_payer, p2, fields, post=True)
    assert 'data-status="pending"' in page and "signature did not match" in page
    # And the genuine answer to P1's own return too: P1 is final, nothing more.
    _return_to(razorpay_payer, p1, fields, post=True)

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "razorpay", mode)
    _credited_once_to_p1(
        razorpay_payer,
        p1,
        p2,
        credit=credit,
        transaction=fields["razorpay_payment_id"],
        p2_reference=p2_order,
        p1_cancelled=True,
    )


# --- PayPal ---------------------------------------------------------------------------------


@pytest.fixture
def paypal_payer(sandbox, online_customer):
    return online_customer("paypal", "USD")


def _paypal_capture_of(payment: Payment) -> str:
    order = paypal_steps.order_of(payment).data
    captures = order["purchase_units"][0]["payments"]["captures"]
    assert [c["status"] for c in captures] == ["COMPLETED"]
    assert order["_sandbox"]["captures_made"] == 1
    return captures[0]["id"]


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_paypal_p1s_approval_return_on_p2s_url_credits_p1_once(sandbox, paypal_payer, mode, caplog):
    sandbox.switch(webhooks=mode)
    first, second = paypal_steps.start(paypal_payer), paypal_steps.start(paypal_payer)
    p1, p2, credit = _two_top_ups(first, second)
    p2_order = p2.gateway_reference

    location = paypal_steps.press(first, "approve")
    back = _query(location)
    assert back["token"] == p1.gateway_reference and back["PayerID"]
    page = _return_to(paypal_payer, p2, back)

    # P2's own order is asked about (not approved): nothing captured for it, and the customer
    # sees it still waiting. P1 stays approved until Paydesk captures it itself.
    assert 'data-status="pending"' in page
    assert "not the stored" in caplog.text
    assert paypal_steps.order_of(p2).data["status"] == "PAYER_ACTION_REQUIRED"
    assert paypal_steps.order_of(p1).data["status"] == "APPROVED"
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "paypal", mode)
    assert paypal_steps.order_of(p2).data["status"] == "PAYER_ACTION_REQUIRED"
    _credited_once_to_p1(
        paypal_payer,
        p1,
        p2,
        credit=credit,
        transaction=_paypal_capture_of(p1),
        p2_reference=p2_order,
    )


def test_paypal_p1s_approval_return_on_a_cancelled_p2_makes_no_late_payment(sandbox, paypal_payer):
    first, second = paypal_steps.start(paypal_payer), paypal_steps.start(paypal_payer)
    p1, p2, credit = _two_top_ups(first, second)
    p2_order = p2.gateway_reference
    cancelled = paypal_steps.press(second, "cancel")
    assert _query(cancelled)["cancelled"] == "1"
    _return_to(paypal_payer, p2, _query(cancelled))
    _return_to(paypal_payer, p2, {"cancelled": "1"}, post=True)  # Cancel pressed in Paydesk
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.CANCELLED

    page = _return_to(paypal_payer, p2, _query(paypal_steps.press(first, "approve")))
    assert 'data-status="cancelled"' in page

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "paypal", "normal")
    _credited_once_to_p1(
        paypal_payer,
        p1,
        p2,
        credit=credit,
        transaction=_paypal_capture_of(p1),
        p2_reference=p2_order,
        p2_status=PaymentStatus.CANCELLED,
    )


# --- Paystack -------------------------------------------------------------------------------


@pytest.fixture
def paystack_payer(sandbox, online_customer):
    return online_customer("paystack", "NGN")


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_paystack_p1s_reference_on_p2s_return_credits_p1_once(sandbox, paystack_payer, mode):
    sandbox.switch(webhooks=mode)
    first, second = paystack_support.start(paystack_payer), paystack_support.start(paystack_payer)
    p1, p2, credit = _two_top_ups(first, second)
    p2_access_code = p2.gateway_reference

    answer = paystack_support.press(first.redirect_url, "pay")
    assert answer.status_code == 302
    back = _query(answer.headers["Location"])
    assert back == {"trxref": p1.reference, "reference": p1.reference}
    page = _return_to(paystack_payer, p2, back)

    # P2 is verified by its own reference: Paystack has it unpaid.
    assert 'data-status="pending"' in page
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING
    assert p2.pending_reason == "Not paid at Paystack yet."
    assert paystack_support.transaction_of(p2).data["status"] == "abandoned"

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "paystack", mode)
    _credited_once_to_p1(
        paystack_payer,
        p1,
        p2,
        credit=credit,
        transaction=str(paystack_support.transaction_of(p1).data["id"]),
        p2_reference=p2_access_code,
    )


def test_paystack_p1s_reference_on_a_cancelled_p2_makes_no_late_payment(sandbox, paystack_payer):
    first, second = paystack_support.start(paystack_payer), paystack_support.start(paystack_payer)
    p1, p2, credit = _two_top_ups(first, second)
    p2_access_code = p2.gateway_reference
    cancelled = paystack_support.press(second.redirect_url, "cancel")
    _return_to(paystack_payer, p2, _query(cancelled.headers["Location"]))
    _return_to(paystack_payer, p2, {"cancelled": "1"}, post=True)  # Cancel pressed in Paydesk
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.CANCELLED

    answer = paystack_support.press(first.redirect_url, "pay")
    page = _return_to(paystack_payer, p2, _query(answer.headers["Location"]))
    assert 'data-status="cancelled"' in page

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "paystack", "normal")
    _credited_once_to_p1(
        paystack_payer,
        p1,
        p2,
        credit=credit,
        transaction=str(paystack_support.transaction_of(p1).data["id"]),
        p2_reference=p2_access_code,
        p2_status=PaymentStatus.CANCELLED,
    )


# --- NOWPayments ----------------------------------------------------------------------------


@pytest.fixture
def nowpayments_payer(sandbox, online_customer):
    return online_customer("nowpayments")


def _nowpayments_two(user) -> tuple[Checkout, Checkout]:
    return (
        nowpayments_steps.start(user, key="tamper-nowpayments-p1"),
        nowpayments_steps.start(user, key="tamper-nowpayments-p2"),
    )


def _invoice_url(payment: Payment) -> str:
    return object_find("nowpayments", "invoice", payment.reference).data["invoice_url"]


@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_nowpayments_p1s_np_id_on_p2s_return_credits_p1_once(sandbox, nowpayments_payer, mode):
    sandbox.switch(webhooks=mode)
    p1, p2, credit = _two_top_ups(*_nowpayments_two(nowpayments_payer))
    p2_invoice = p2.gateway_reference

    back = _query(nowpayments_steps.press(_invoice_url(p1), "finished"))
    paid = object_get("nowpayments", "payment", back["NP_id"]).data
    assert paid["order_id"] == p1.reference and str(paid["invoice_id"]) == p1.gateway_reference
    page = _return_to(nowpayments_payer, p2, back)

    # The hinted payment is fetched and is not P2's; P2's invoice has no payment.
    assert 'data-status="pending"' in page
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "nowpayments", mode)
    _credited_once_to_p1(
        nowpayments_payer,
        p1,
        p2,
        credit=credit,
        transaction=back["NP_id"],
        p2_reference=p2_invoice,
    )


def test_nowpayments_p1s_np_id_on_an_expired_p2_makes_no_late_payment(sandbox, nowpayments_payer):
    p1, p2, credit = _two_top_ups(*_nowpayments_two(nowpayments_payer))
    p2_invoice = p2.gateway_reference
    nowpayments_steps.press(_invoice_url(p2), "expired")  # P2's payment expires: cancelled
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.CANCELLED

    back = _query(nowpayments_steps.press(_invoice_url(p1), "finished"))
    page = _return_to(nowpayments_payer, p2, back)
    assert 'data-status="cancelled"' in page

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "nowpayments", "normal")
    _credited_once_to_p1(
        nowpayments_payer,
        p1,
        p2,
        credit=credit,
        transaction=back["NP_id"],
        p2_reference=p2_invoice,
        p2_status=PaymentStatus.CANCELLED,
    )


# --- Stripe (card) --------------------------------------------------------------------------


@pytest.fixture
def card_payer(sandbox, online_customer):
    return online_customer("card")


def _intent(intent_id: str) -> dict:
    return SandboxObject.objects.get(
        gateway="stripe", kind="payment_intent", object_id=intent_id
    ).data


def _intent_of(payment: Payment) -> dict:
    return SandboxObject.objects.get(
        gateway="stripe", kind="payment_intent", lookup=payment.reference
    ).data


def _three_d_secure(user, checkout: Checkout, action: str) -> str:
    """Press a button on the sandbox's 3-D Secure page; where Stripe sends the payer back."""
    path = urlsplit(checkout.redirect_url).path
    browser = _browser(user)
    assert b"Complete authentication" in browser.get(path).content
    answer = browser.post(path, {"action": action})
    assert answer.status_code == 302
    return answer["Location"]


def _card_p1(sandbox, user, kind: str) -> tuple[Checkout, dict[str, str]]:
    """P1 paid by card — `three_d_secure` (authenticated at the bank) or `frictionless` — and
    the parameters Stripe puts on its return URL (for a frictionless card, the same ones built
    from the intent, as a payer who read them would)."""
    if kind == "three_d_secure":
        checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
        assert checkout.payment.status == PaymentStatus.PENDING and checkout.redirect_url
        back = _query(_three_d_secure(user, checkout, "complete"))
        assert back["redirect_status"] == "succeeded"
        return checkout, back
    checkout = card_checkout(sandbox.url, user, number=VISA)
    assert checkout.payment.status == PaymentStatus.COMPLETED
    intent = _intent_of(checkout.payment)
    return checkout, {
        "payment_intent": intent["id"],
        "payment_intent_client_secret": intent["client_secret"],
        "redirect_status": "succeeded",
    }


@pytest.mark.parametrize("kind", ["three_d_secure", "frictionless"])
@pytest.mark.parametrize("mode", WEBHOOK_MODES)
def test_card_p1s_payment_intent_on_p2s_return_credits_p1_once(sandbox, card_payer, mode, kind):
    """P2 is a 3-D Secure card never authenticated (requires_action); P1 is paid."""
    sandbox.switch(webhooks=mode)
    second = card_checkout(sandbox.url, card_payer, number=THREE_D_SECURE)
    assert second.payment.status == PaymentStatus.PENDING
    first, back = _card_p1(sandbox, card_payer, kind)
    p1, p2, credit = _two_top_ups(first, second)
    p2_intent = p2.gateway_reference
    assert back["payment_intent"] == _intent_of(p1)["id"] != p2_intent
    assert back["payment_intent_client_secret"] == _intent(back["payment_intent"])["client_secret"]

    page = _return_to(card_payer, p2, back)

    # P2's own intent is asked about: still waiting for its authentication.
    assert 'data-status="pending"' in page
    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING
    assert _intent(p2_intent)["status"] == "requires_action"

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "stripe", mode)
    _credited_once_to_p1(
        card_payer,
        p1,
        p2,
        credit=credit,
        transaction=back["payment_intent"],
        p2_reference=p2_intent,
    )


@pytest.mark.parametrize("kind", ["three_d_secure", "frictionless"])
def test_card_p1s_payment_intent_on_a_failed_p2_makes_no_late_payment(sandbox, card_payer, kind):
    """P2's 3-D Secure failed (cancelled) before P1 was paid."""
    second = card_checkout(sandbox.url, card_payer, number=THREE_D_SECURE)
    p2_intent = second.payment.gateway_reference
    assert p2_intent.startswith("pi_")
    failed = _three_d_secure(card_payer, second, "fail")
    _return_to(card_payer, second.payment, _query(failed))
    second.payment.refresh_from_db()
    assert second.payment.status == PaymentStatus.CANCELLED
    first, back = _card_p1(sandbox, card_payer, kind)
    p1, p2, credit = _two_top_ups(first, second)

    page = _return_to(card_payer, p2, back)
    assert 'data-status="cancelled"' in page

    _settle(sandbox, p1, p2)
    _webhooks_all_arrived(sandbox, "stripe", "normal")
    _credited_once_to_p1(
        card_payer,
        p1,
        p2,
        credit=credit,
        transaction=back["payment_intent"],
        p2_reference=p2_intent,
        p2_status=PaymentStatus.CANCELLED,
    )
