"""Who may see what: sign-in, staff, users without a customer or without *view payments*."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from paydesk.ledger.services import payment_create
from paydesk.notifications.services import outbox_send_due
from tests.factories import PASSWORD, PortalUserFactory, UserFactory
from tests.portal.conftest import MODEL_BACKEND
from tests.signin import authenticator_for, next_code, sign_in

pytestmark = pytest.mark.django_db
PAYMENT_PAGES = ["portal:payments", "portal:payments_csv", "portal:payments_updates"]
PORTAL_PAGES = ["portal:dashboard", *PAYMENT_PAGES]


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_sign_in_page_has_labelled_fields_and_a_reset_link(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Email' in html
    assert '<label for="id_password">Password' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert reverse("password_reset") in html


def test_portal_user_signs_in_with_email_and_lands_on_the_dashboard(client, portal_user):
    response = client.post(
        reverse("login"), {"username": portal_user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
    assert portal_user.customer.name in response.content.decode()


def test_a_wrong_password_says_so_and_does_not_crash(client, portal_user):
    response = client.post(reverse("login"), {"username": portal_user.email, "password": "nope"})
    assert response.status_code == 200
    assert "correct email and password" in response.content.decode()


def test_staff_who_sign_in_at_the_portal_are_sent_to_the_back_office(client, finance_user):
    device = authenticator_for(finance_user)
    response = client.post(
        reverse("login"), {"username": finance_user.email, "password": PASSWORD}, follow=True
    )
    assert [url for url, _status in response.redirect_chain][-1].startswith(
        reverse("two_factor:verify")
    )
    response = client.post(response.redirect_chain[-1][0], {"code": next_code(device)}, follow=True)
    assert [url for url, _status in response.redirect_chain][-1] == reverse("backoffice:index")


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_staff_visiting_portal_pages_are_sent_to_the_back_office(client, support_user, name):
    sign_in(client, support_user, backend=MODEL_BACKEND)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:index")


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_a_user_without_a_customer_is_refused_politely(client, name):
    client.force_login(UserFactory(), backend=MODEL_BACKEND)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert b"not linked to a customer" in response.content


@pytest.mark.parametrize("name", PAYMENT_PAGES)
def test_a_user_without_view_payments_sees_no_payments(client, customer, name):
    payment_create(customer=customer, total="25", description="Visible to viewers only")
    bookkeeper_of_nothing = PortalUserFactory(customer=customer, can_view_payments=False)
    client.force_login(bookkeeper_of_nothing, backend=MODEL_BACKEND)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert b"permission to view payments" in response.content
    assert b"Visible to viewers only" not in response.content
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:payments") + '"' not in dashboard.split("</nav>", 1)[1]


def test_sign_out_is_a_post_with_csrf(portal_client):
    assert portal_client.get(reverse("logout")).status_code == 405
    page = portal_client.get(reverse("portal:dashboard")).content.decode()
    assert f'action="{reverse("logout")}"' in page
    response = portal_client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert portal_client.get(reverse("portal:dashboard")).status_code == 302


def test_password_reset_sends_a_link_by_email(client, portal_user):
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.post(reverse("password_reset"), {"email": portal_user.email}, follow=True)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert outbox_send_due() == 1  # the worker sends it
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "/accounts/reset/" in body
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line)
    public = settings.PAYDESK_PUBLIC_URL.rstrip("/")
    assert link.startswith(public + "/accounts/reset/")
    confirm = client.get(link.removeprefix(public), follow=True)
    assert "Choose a new password" in confirm.content.decode()


def test_every_page_carries_the_header_with_the_time_zone(portal_client, portal_user):
    html = portal_client.get(reverse("portal:dashboard")).content.decode()
    assert '<a href="/preferences/">Time zone: UTC</a>' in html
    assert "<select" not in html  # no 600-option list in the header
    assert portal_user.email in html or portal_user.full_name in html
    prefs = portal_client.get(reverse("portal:preferences")).content.decode()
    assert 'action="/preferences/time-zone"' in prefs
    assert '<label for="id_time_zone">Time zone</label>' in prefs
    assert 'list="time-zone-names"' in prefs
    assert '<option value="Asia/Kolkata"></option>' in prefs
    assert "Paydesk Telecom" in html


def test_pages_use_no_inline_script_or_style(portal_client, customer):
    payment_create(customer=customer, total="5", description="Top-up", status="pending")
    html = portal_client.get(reverse("portal:payments")).content.decode()
    assert "<script>" not in html and "<script src" in html
    assert "style=" not in html and "<style" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_sign_in_labels_read_alike(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert "Email:" not in html
