"""Issue 13, finding 3: at 1366×900 the back office's tables show every column without
horizontal scrolling, and references and amounts stay on one line."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.checkout.models import PaymentLogEntry
from paydesk.demo.seed import seed_demo_vouchers
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.backoffice.browser import hidden_columns, open_page, staff_page, wrapped_cells
from tests.signin import sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_payments_list_shows_method_description_and_staff_comment(live_server, chromium, demo):
    page = staff_page(chromium, live_server, "finance@example.com")
    open_page(page, "/backoffice/ledger/payment/", "desk-payments")

    assert (
        hidden_columns(
            page,
            ["Reference", "Customer", "Total", "Status", "Method", "Description", "Staff comment"],
        )
        == []
    )
    assert wrapped_cells(page, "reference") == []
    assert wrapped_cells(page, "total_display") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_payments_list_fits_a_1280_px_laptop(live_server, chromium, demo):
    # A customer's name ("Nordlicht Telekom GmbH (EUR)") wraps like the description does;
    # kept on one line (the admin's rule for a foreign key) it pushed Staff comment off.
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, "/backoffice/ledger/payment/", "desk-payments-1280")

    assert (
        hidden_columns(
            page,
            ["Reference", "Customer", "Total", "Status", "Method", "Description", "Staff comment"],
        )
        == []
    )
    assert wrapped_cells(page, "reference") == []
    assert wrapped_cells(page, "total_display") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_bank_transfers_list_shows_approval(live_server, chromium, demo):
    page = staff_page(chromium, live_server, "finance@example.com")
    open_page(page, "/backoffice/banktransfers/banktransfer/", "desk-transfers")

    assert hidden_columns(page, ["Reference", "Total", "Status", "Approval"]) == []
    assert wrapped_cells(page, "reference") == []
    assert wrapped_cells(page, "total_display") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_payment_log_shows_payment_and_detail(live_server, chromium, demo):
    # A line of the log as the bank-statement import writes it (the demo has none at start;
    # its rows come from the running worker).
    transfer = Payment.objects.filter(method="bank_transfer").order_by("-id").first()
    PaymentLogEntry.objects.create(
        gateway="bank_transfer",
        event_id="statement-line-20261126-0042",
        payment=transfer,
        signature_valid=True,
        outcome="completed",
        result="applied",
        detail="Completed for the amount received, converted at the day's rate.",
    )
    page = staff_page(chromium, live_server, "admin@example.com")
    open_page(page, "/backoffice/checkout/paymentlogentry/", "desk-payment-log")

    assert hidden_columns(page, ["Received", "Gateway", "Event id", "Payment", "Detail"]) == []
    assert wrapped_cells(page, "payment_link") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_request_line_in_the_payment_log_wraps_instead_of_pushing_columns_off(
    live_server, chromium, demo
):
    # What the card gateway's client logs when it fetches a saved card: one unbroken word as
    # long as a column, which the event id column must wrap rather than widen the table for.
    card_payment = Payment.objects.filter(method="card").order_by("-id").first()
    PaymentLogEntry.objects.create(
        gateway="card",
        direction="sent",
        channel="api",
        event_id="GET /v1/payment_methods/pm_7CqNxYsZ6gfmjs8FeSxxgzsNq2Lw",
        payment=card_payment,
        outcome="ok",
        http_status=200,
        result="sent",
    )
    page = staff_page(chromium, live_server, "finance@example.com")
    open_page(page, "/backoffice/checkout/paymentlogentry/", "desk-payment-log-long-event")

    assert hidden_columns(page, ["Received", "Gateway", "Event id", "Payment", "Detail"]) == []


@pytest.mark.django_db
def test_the_payment_log_names_the_payment_with_its_amount_as_money(admin_user, customer):
    payment = payment_create(
        customer=customer, total="50", description="Top-up", status="pending", method="manual"
    )
    PaymentLogEntry.objects.create(
        gateway="stripe",
        event_id="evt_1",
        payment=payment,
        signature_valid=True,
        outcome="completed",
        result="applied",
    )
    page = sign_in(Client(), admin_user).get("/backoffice/checkout/paymentlogentry/")

    html = page.content.decode()
    assert payment.reference in html
    assert "50.0000" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_posting_object_tool_looks_like_the_others(live_server, chromium, demo):
    """ "Resume online payment methods" (it posts at once; pausing asks first, through a link)
    showed as the browser's grey button among the customer page's pill-shaped tools."""
    from paydesk.accounts.models import Customer, User
    from paydesk.accounts.services import customer_online_methods_pause

    page = staff_page(chromium, live_server, "finance@example.com")
    customer = Customer.objects.order_by("pk").first()
    finance = User.objects.get(email="finance@example.com")
    customer_online_methods_pause(customer=customer, paused=True, actor=finance)
    open_page(page, f"/backoffice/accounts/customer/{customer.pk}/change/", "desk-customer")
    look = """el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color,
        s.borderRadius, s.borderTopWidth, s.fontSize, s.textTransform,
        Math.round(el.getBoundingClientRect().height)]; }"""
    link = page.locator(".object-tools a", has_text="Payments").evaluate(look)
    button = page.locator(".object-tools .object-tool-form button").evaluate(look)
    assert button == link


TOTALS_LAYOUT = """() => {
    const table = document.querySelector('.backoffice-totals table');
    const heads = [...table.querySelectorAll('thead th')];
    const cells = [...table.querySelector('tbody tr').children];
    return {
        gaps: heads.slice(1).map((th, i) => {
            const text = (el) => { const r = document.createRange(); r.selectNodeContents(el);
                return r.getBoundingClientRect(); };
            return text(th).left - text(heads[i]).right;
        }),
        // Each amount's right edge under its heading's right edge (right-aligned money).
        misaligned: heads.slice(1).map((th, i) => {
            const r = document.createRange(); r.selectNodeContents(th);
            const c = document.createRange(); c.selectNodeContents(cells[i + 1]);
            return Math.abs(r.getBoundingClientRect().right - c.getBoundingClientRect().right);
        }).filter((d) => d > 2),
    };
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_the_payments_totals_headings_stand_apart_above_their_amounts(
    live_server, chromium, demo, width
):
    """At 390 px the totals' headings ran together ("CURRENCYCOMPLETED"): the changelist's
    own rule took their padding away; amounts now sit right-aligned under their headings."""
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, "/backoffice/ledger/payment/", "desk-totals")

    found = page.evaluate(TOTALS_LAYOUT)

    assert min(found["gaps"]) >= 8, found
    assert found["misaligned"] == [], found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_voucher_batches_list_shows_every_column(live_server, chromium, demo):
    # A bonus batch's terms are a sentence: they wrap, rather than push Created at and Note out.
    seed_demo_vouchers(count=2)  # the demo's two batches, as `paydesk demo` issues them
    page = staff_page(chromium, live_server, "finance@example.com")
    open_page(page, "/backoffice/vouchers/voucherbatch/", "desk-voucher-batches")

    columns = [
        "Batch",
        "Terms",
        "Approval",
        "Available",
        "Used",
        "Expires at",
        "Created at",
        "Note",
    ]
    assert hidden_columns(page, columns) == []
