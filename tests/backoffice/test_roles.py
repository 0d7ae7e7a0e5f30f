"""Who gets into the back office, and what each staff role may see and do (quality S9)."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from tests.backoffice.conftest import ADD_PAYMENT, PAYMENTS, signed_in
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/backoffice/", PAYMENTS, ADD_PAYMENT, "/backoffice/accounts/customer/"]
)
def test_portal_users_and_strangers_are_sent_to_the_sign_in_page(portal_user, path):
    for client in (Client(), signed_in(portal_user)):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/backoffice/login/")


def test_a_portal_user_cannot_post_a_payment(portal_user, customer):
    response = signed_in(portal_user).post(
        ADD_PAYMENT,
        {
            "customer": customer.pk,
            "description": "Free money",
            "total": "100",
            "status": "completed",
            "form_token": "x" * 32,
        },
    )
    assert response.status_code == 302
    assert not Payment.objects.exists()


def _index_links(client: Client) -> str:
    response = client.get("/backoffice/")
    assert response.status_code == 200
    return response.content.decode()


def test_support_sees_customers_payments_and_the_audit_log_but_nothing_to_add(support):
    page = _index_links(support)
    assert "/backoffice/accounts/customer/" in page
    assert "/backoffice/ledger/payment/" in page
    assert "/backoffice/audit/auditentry/" in page
    assert ADD_PAYMENT not in page
    assert "/backoffice/users/staffuser/" not in page
    assert "/backoffice/accounts/portaldefaults/" not in page


def test_finance_may_add_payments_but_not_customers_or_staff(finance):
    page = _index_links(finance)
    assert ADD_PAYMENT in page
    assert "/backoffice/accounts/customer/add/" not in page
    assert "/backoffice/users/staffuser/" not in page
    assert finance.get("/backoffice/users/staffuser/").status_code == 403
    assert finance.get("/backoffice/accounts/customer/add/").status_code == 403


def test_administrators_see_everything(administrator):
    page = _index_links(administrator)
    for path in (
        ADD_PAYMENT,
        "/backoffice/accounts/customer/add/",
        "/backoffice/users/staffuser/",
        "/backoffice/users/portaluser/",
        "/backoffice/accounts/portaldefaults/",
    ):
        assert path in page


def test_support_cannot_add_complete_or_cancel_and_nothing_is_written(support, customer, pending):
    entries = AuditEntry.objects.count()
    assert support.get(ADD_PAYMENT).status_code == 403
    response = support.post(
        ADD_PAYMENT,
        {
            "customer": customer.pk,
            "description": "Top-up",
            "total": "10",
            "status": "completed",
            "form_token": "t" * 32,
        },
    )
    assert response.status_code == 403
    assert support.post(f"{PAYMENTS}{pending.pk}/complete/", {"total": ""}).status_code == 403
    assert support.post(f"{PAYMENTS}{pending.pk}/cancel/", {"reason": "no"}).status_code == 403
    # The bulk actions are not offered, and posting one anyway changes nothing.
    listing = support.get(PAYMENTS).content.decode()
    assert "complete_selected" not in listing
    for action in ("complete_selected", "cancel_selected"):
        support.post(
            PAYMENTS,
            {"action": action, "_selected_action": [pending.pk], "post": "yes", "reason": "no"},
        )
    pending.refresh_from_db()
    customer.refresh_from_db()
    assert pending.status == "pending"
    assert Payment.objects.count() == 1
    assert customer.balance == 0
    assert AuditEntry.objects.count() == entries


def test_finance_can_add_complete_and_cancel(finance, customer, pending):
    from paydesk.ledger.services import payment_create

    other = payment_create(customer=customer, total="5", description="Transfer", status="pending")
    response = finance.post(
        ADD_PAYMENT,
        {
            "customer": customer.pk,
            "description": "Top-up",
            "total": "10",
            "status": "completed",
            "form_token": "f" * 32,
        },
    )
    assert response.status_code == 302
    assert finance.post(f"{PAYMENTS}{pending.pk}/complete/", {"total": ""}).status_code == 302
    assert finance.post(f"{PAYMENTS}{other.pk}/cancel/", {"reason": "Duplicate"}).status_code == 302
    customer.refresh_from_db()
    assert customer.balance == 35


@pytest.mark.parametrize("who", ["support", "finance", "administrator"])
def test_nobody_edits_or_deletes_a_payment(request, who, pending, customer):
    client = request.getfixturevalue(who)
    change = f"{PAYMENTS}{pending.pk}/change/"
    assert client.get(change).status_code == 200  # a read-only view
    assert client.post(change, {"total": "1000", "status": "completed"}).status_code == 403
    assert client.get(f"{PAYMENTS}{pending.pk}/delete/").status_code == 403
    assert client.post(f"{PAYMENTS}{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get(PAYMENTS).content.decode()
    pending.refresh_from_db()
    assert pending.total == 25 and pending.status == "pending"


def test_a_state_changing_post_without_csrf_token_is_refused(finance_user, customer, pending):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, finance_user)
    response = client.post(
        ADD_PAYMENT,
        {
            "customer": customer.pk,
            "description": "Top-up",
            "total": "10",
            "status": "completed",
            "form_token": "c" * 32,
        },
    )
    assert response.status_code == 403
    assert client.post(f"{PAYMENTS}{pending.pk}/cancel/", {"reason": "x"}).status_code == 403
    assert Payment.objects.count() == 1
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_staff_sign_in_through_the_back_office_page_and_portal_users_do_not(
    finance_user, portal_user
):
    from tests.factories import PASSWORD
    from tests.signin import authenticator_for, next_code

    device = authenticator_for(finance_user)
    client = Client()
    response = client.post(
        "/backoffice/login/?next=/backoffice/",
        {"username": finance_user.email, "password": PASSWORD, "next": "/backoffice/"},
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    # The password alone is not enough: the second factor, then the back office.
    response = client.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/verify/?next=%2Fbackoffice%2F"
    response = client.post(response["Location"], {"code": next_code(device)})
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200
    client = Client()
    response = client.post(
        "/backoffice/login/", {"username": portal_user.email, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/backoffice/").status_code == 302


def test_a_deactivated_staff_member_is_shut_out(finance_user, finance):
    finance_user.is_active = False
    finance_user.save(update_fields=["is_active"])
    assert finance.get("/backoffice/").status_code == 302


def test_finance_finds_customers_for_the_add_payment_form(finance, customer):
    response = finance.get(
        "/backoffice/autocomplete/",
        {
            "app_label": "ledger",
            "model_name": "payment",
            "field_name": "customer",
            "term": customer.name,
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(customer.pk), "text": str(customer)}]
