"""Every back-office page renders for the roles that may see it, with no inline script or style
(the CSP allows neither), and money shown through format_money."""

from __future__ import annotations

import re

import pytest

from paydesk.accounts.models import Contact, PortalDefaults
from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from tests.backoffice.conftest import PAYMENTS

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle=", re.I)


@pytest.fixture
def world(customer, portal_user, finance_user, admin_user, pending):
    Contact.objects.create(customer=customer, email="billing@example.com")
    PortalDefaults.objects.create()
    done = payment_create(
        customer=customer, total="12.5", description="Top-up #note", actor=finance_user
    )
    return {
        "customer": customer,
        "portal_user": portal_user,
        "finance_user": finance_user,
        "admin_user": admin_user,
        "pending": pending,
        "done": done,
        "entry": AuditEntry.objects.filter(action="payment.create").first(),
        "defaults": PortalDefaults.objects.get(),
    }


def pages(w) -> dict[str, list[str]]:
    """URL → the roles that may open it."""
    everyone = ["support", "finance", "administrator"]
    money = ["finance", "administrator"]
    admin = ["administrator"]
    c, p = w["customer"].pk, w["pending"].pk
    return {
        "/backoffice/": everyone,
        "/backoffice/accounts/customer/": everyone,
        "/backoffice/accounts/customer/?q=Customer": everyone,
        f"/backoffice/accounts/customer/{c}/change/": everyone,
        "/backoffice/accounts/customer/add/": admin,
        PAYMENTS: everyone,
        PAYMENTS + "?status__exact=pending&method__exact=bank_transfer&q=transfer": everyone,
        PAYMENTS + f"?customer={c}&date_from=2020-01-01&date_to=2099-12-31": everyone,
        PAYMENTS + "?occurred_at__year=2026": everyone,
        f"{PAYMENTS}{p}/change/": everyone,
        f"{PAYMENTS}{w['done'].pk}/change/": everyone,
        PAYMENTS + "add/": money,
        PAYMENTS + f"add/?customer={c}": money,
        f"{PAYMENTS}{p}/complete/": money,
        f"{PAYMENTS}{p}/cancel/": money,
        "/backoffice/audit/auditentry/": everyone,
        f"/backoffice/audit/auditentry/{w['entry'].pk}/change/": everyone,
        "/backoffice/users/staffuser/": admin,
        "/backoffice/users/staffuser/add/": admin,
        f"/backoffice/users/staffuser/{w['finance_user'].pk}/change/": admin,
        f"/backoffice/users/staffuser/{w['finance_user'].pk}/password/": admin,
        "/backoffice/users/portaluser/": admin,
        "/backoffice/users/portaluser/add/": admin,
        f"/backoffice/users/portaluser/{w['portal_user'].pk}/change/": admin,
        f"/backoffice/accounts/portaldefaults/{w['defaults'].pk}/change/": admin,
    }


@pytest.mark.parametrize("who", ["support", "finance", "administrator"])
def test_pages_render_for_their_roles_without_inline_script_or_style(request, who, world):
    client = request.getfixturevalue(who)
    for url, roles in pages(world).items():
        response = client.get(url)
        expected = 200 if who in roles else 403
        assert response.status_code == expected, url
        if expected == 200:
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), url
            assert not INLINE_STYLE.search(html), url


def test_the_payment_list_shows_money_badges_comments_and_totals(support, world):
    html = support.get(PAYMENTS).content.decode()
    assert "$12.50 USD" in html
    assert "$25.00 USD" in html
    assert 'class="badge badge-pending"' in html
    assert "note" in html  # staff see the private comment
    assert "Totals of the payments shown" in html


def test_the_bulk_confirmation_page_renders_cleanly(finance, world):
    response = finance.post(
        PAYMENTS,
        {"action": "cancel_selected", "index": 0, "_selected_action": [world["pending"].pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert world["pending"].reference in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


def test_a_bad_date_is_named_and_left_out_while_the_other_filters_apply(support, world):
    """A date that did not parse sent the admin to "?e=1", which dropped every filter without
    a word: the list then showed all payments. Now the bad date alone is left out, and named
    above the list and beside its field; the list and its CSV keep the other filters."""
    query = "?date_from=yesterday&status__exact=completed"
    response = support.get(PAYMENTS + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "These filters are not applied (the list and its CSV use the others):" in html
    assert "<li>From: Enter a date like 2026-01-31.</li>" in html
    assert 'id="id_date_from_error">Not applied: Enter a date like 2026-01-31.</span>' in html
    assert 'aria-invalid="true" aria-describedby="id_date_from_error"' in html
    assert world["done"].reference in html  # completed: the status filter still applies
    assert world["pending"].reference not in html
    csv = b"".join(support.get(PAYMENTS + "export.csv" + query).streaming_content).decode()
    assert world["done"].reference in csv and world["pending"].reference not in csv
    good = support.get(PAYMENTS + "?date_from=2020-01-01").content.decode()
    assert "not applied" not in good.lower()
    # The calendar's last day overflowed (a 500) once a day was added to it.
    far = support.get(PAYMENTS + "?date_to=9999-12-31")
    assert far.status_code == 200
    assert "<li>To: Choose a date between 1970-01-01 and 9000-12-31.</li>" in far.content.decode()


def test_the_payment_page_names_it_in_money_not_storage_units(support, world):
    html = support.get(f"{PAYMENTS}{world['pending'].pk}/change/").content.decode()
    assert f"{world['pending'].reference} · $25.00 USD · Pending" in html
    assert "25.0000" not in html


def test_the_date_range_form_keeps_the_other_filters(support, world):
    html = support.get(PAYMENTS + "?status__exact=pending&date_from=2020-01-01").content.decode()
    form = re.search(r'<form method="get" class="backoffice-date-range">.*?</form>', html, re.S)
    assert '<input type="hidden" name="status__exact" value="pending">' in form.group(0)
    assert 'name="date_from" value="2020-01-01"' in form.group(0)
    assert '<input type="hidden" name="date_from"' not in form.group(0)
