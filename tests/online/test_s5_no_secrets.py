"""quality.md S5: after paying by every method — card with Stripe's real test numbers typed into
the processor's fields in a real browser (success, decline, 3-D Secure), a SEPA Direct Debit
mandate saved with Stripe's test IBAN in the processor's frame and paid with, PayPal, Razorpay,
Paystack, NOWPayments through their hosted pages, and a voucher — no card number, CVC, API key,
webhook secret, gateway password, voucher code or IBAN is in any table (the payment log and the
sandbox's own tables included), in the log lines of the whole run, or in the pages served.

Gateway credentials are also stored in the back office (issue 17) before the run: the test sets
of Stripe and PayPal with the sandbox's own keys (so the payments go through them) and a live
set of every gateway with planted values; none of them may appear in clear in the provider's
table (encrypted there), the audit log, the logs or the gateway settings page."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.test import Client

from paydesk.gateways.credentials import CATALOGUE
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.provider.credentials import credentials_save
from paydesk.vouchers.batches import voucher_batch_issue
from tests.factories import StaffFactory
from tests.online import nowpayments_steps, paypal_steps, paystack_support, razorpay_support
from tests.online.conftest import sign_in
from tests.online.stripe_support import DECLINE, IBAN, THREE_D_SECURE, VISA
from tests.online.test_stripe_browser import CVC, STATUS_URL, _pay
from tests.online.test_stripe_sepa_browser import pay_with_saved_sepa, save_sepa_in_browser
from tests.security.secretscan import configured_secrets, database_texts, scan
from tests.signin import sandbox_staff_tab
from tests.signin import sign_in as staff_sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

GATEWAY_PASSWORDS = ("PAYDESK_NOWPAYMENTS_PASSWORD", "PAYDESK_PAYPAL_CLIENT_ID")


def _store_credentials(settings) -> tuple[dict[str, str], Client]:
    """The back office's store holds the sandbox's test keys of Stripe and PayPal (the run pays
    through them) and a planted live set of every gateway; the planted values, by name."""
    admin = StaffFactory(staff_role="admin")
    for gateway, names in {
        "stripe": (
            "PAYDESK_STRIPE_SECRET_KEY",
            "PAYDESK_STRIPE_PUBLISHABLE_KEY",
            "PAYDESK_STRIPE_WEBHOOK_SECRET",
        ),
        "paypal": ("PAYDESK_PAYPAL_CLIENT_ID", "PAYDESK_PAYPAL_CLIENT_SECRET"),
    }.items():
        credentials_save(
            actor=admin,
            gateway=gateway,
            mode="test",
            values={name: str(getattr(settings, name)) for name in names},
        )
    planted = {}
    for entry in CATALOGUE:
        values = {
            f.setting: f"{(f.live_prefixes or ('',))[0]}S5planted{entry.gateway}{n}Live0xyz"
            for n, f in enumerate(entry.fields)
            if f.secret
        }
        credentials_save(actor=admin, gateway=entry.gateway, mode="live", values=values)
        planted |= {f"planted live {name}": value for name, value in values.items()}
    return planted, staff_sign_in(Client(), admin)


def _pay_by_card(page, sandbox, online_customer) -> list[str]:
    user = online_customer("card")
    sign_in(page, sandbox.url, user)
    pages = []
    for number in (VISA, DECLINE, THREE_D_SECURE):
        _pay(page, sandbox, user, number, amount="20.00", signed_in=True)
        if number == THREE_D_SECURE:
            page.get_by_role("button", name="Complete authentication").click()
        page.wait_for_url(STATUS_URL)
        pages.append(page.content())
    statuses = sorted(
        Payment.objects.filter(customer=user.customer).values_list("status", flat=True)
    )
    assert statuses == ["cancelled", "completed", "completed"]
    return pages


def _save_and_pay_by_sepa(page, sandbox, online_customer) -> list[str]:
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    page.context.clear_cookies()
    sign_in(page, sandbox.url, user)
    save_sepa_in_browser(page, sandbox)
    pages = [page.content()]
    pay_with_saved_sepa(page, sandbox)
    pages.append(page.content())
    payment = Payment.objects.get(customer=user.customer)
    assert payment.status == PaymentStatus.PENDING
    staff = sandbox_staff_tab(page, sandbox.url)  # the switches page is for staff
    staff.goto(f"{sandbox.url}/sandbox/")
    staff.get_by_role("button", name=f"Settle {payment.reference} as succeeded").click()
    staff.wait_for_load_state()
    pages.append(staff.content())
    staff.close()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    return pages


def _pay_elsewhere(online_customer) -> list[str]:
    pages = []
    user = online_customer("paypal")
    checkout = paypal_steps.start(user)
    paypal_steps.come_back(user, paypal_steps.press(checkout, "approve"))

    user = online_customer("paystack", "NGN", account="NGN")
    checkout = paystack_support.start(user)
    back = paystack_support.press(checkout.redirect_url, "pay")
    pages.append(paystack_support.come_back(user, back.headers["Location"]).content.decode())

    user = online_customer("nowpayments")
    checkout = nowpayments_steps.start(user)
    pages.append(
        nowpayments_steps.come_back(
            user, nowpayments_steps.press(checkout.redirect_url, "finished")
        )
    )

    user = online_customer("razorpay", "INR", account="INR")
    payment = razorpay_support.start(user).payment
    result = razorpay_support.sandbox_checkout(
        payment.gateway_reference, reference=payment.reference
    )
    razorpay_support.come_back(user, payment, razorpay_support.success_fields(result))
    for method in ("paypal", "paystack", "nowpayments", "razorpay"):
        assert Payment.objects.get(method=method).status == PaymentStatus.COMPLETED, method
    return pages


def _redeem_voucher(online_customer) -> list[str]:
    _batch, codes = voucher_batch_issue(
        count=3, currency="USD", addition="5", actor=StaffFactory(staff_role="finance")
    )
    user = online_customer("voucher")
    user.customer.allow_vouchers = True
    user.customer.save(update_fields=["allow_vouchers"])
    browser = Client()
    browser.force_login(user)
    page = browser.get("/pay/")
    token = page.context["pay_via"]["form_token"].value()
    answer = browser.post(
        "/pay/",
        {
            "method": "voucher",
            "form_token": token,
            "voucher-code": codes[0],
            "voucher-currency": "USD",
            "action": "pay",
        },
        follow=True,
    )
    assert "Voucher redeemed" in answer.content.decode()
    user.customer.refresh_from_db()
    assert user.customer.balance == Decimal("5")
    return codes


def test_no_card_number_cvc_secret_or_voucher_code_anywhere(
    sandbox, online_customer, page, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    planted_credentials, admin = _store_credentials(settings)
    served = _pay_by_card(page, sandbox, online_customer)
    served += _save_and_pay_by_sepa(page, sandbox, online_customer)
    served += _pay_elsewhere(online_customer)
    codes = _redeem_voucher(online_customer)
    served.append(admin.get("/backoffice/provider/gatewaysecret/").content.decode())

    secrets = configured_secrets() | {
        name: str(getattr(settings, name)) for name in GATEWAY_PASSWORDS
    }
    planted = (
        planted_credentials
        | {f"voucher code {n}": code for n, code in enumerate(codes)}
        | {
            "IBAN": IBAN,
            "IBAN (grouped)": " ".join(IBAN[i : i + 4] for i in range(0, len(IBAN), 4)),
        }
        | {
            f"CVC ({shape})": shape.format(CVC)
            for shape in (
                'cvc": "{}',
                "cvc={}",
                "cvc%5D={}",
                "cvc]={}",
                'cvc":"{}',
                "'cvc': '{}'",
            )
        }
    )
    texts = [
        *database_texts(),
        ("log lines", caplog.text),
        *((f"page {n}", html) for n, html in enumerate(served)),
    ]
    findings = scan(texts, secrets=secrets, extra=planted)
    assert findings == [], "\n".join(f"{f.where}: {f.what}: {f.excerpt}" for f in findings)
    assert len(caplog.records) > 20  # the run did log: the scan read something
