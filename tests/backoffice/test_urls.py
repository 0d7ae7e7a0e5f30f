"""Issue 13, finding 10: the back office's own pages (staff and portal users) read
/backoffice/users/…, not /backoffice/backoffice/…; the old addresses redirect, query string and
method kept, and every page still checks who may open it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backoffice.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_users_pages_read_well():
    assert reverse("backoffice:backoffice_staffuser_changelist") == "/backoffice/users/staffuser/"
    assert reverse("backoffice:backoffice_portaluser_change", args=[7]) == (
        "/backoffice/users/portaluser/7/change/"
    )
    users = reverse("backoffice:app_list", kwargs={"app_label": "backoffice"})
    assert users == "/backoffice/users/"
    assert reverse("backoffice:ledger_payment_changelist") == "/backoffice/ledger/payment/"


def test_an_administrator_opens_them_and_finance_is_refused(admin_user, finance_user):
    admin = signed_in(admin_user)
    assert admin.get("/backoffice/users/staffuser/").status_code == 200
    assert admin.get("/backoffice/users/").status_code == 200
    assert signed_in(finance_user).get("/backoffice/users/staffuser/").status_code == 403
    home = admin.get("/backoffice/").content.decode()
    assert "/backoffice/users/staffuser/" in home and "/backoffice/backoffice/" not in home


def test_old_addresses_redirect_with_their_query_string(admin_user, finance_user):
    admin = signed_in(admin_user)
    old = admin.get(f"/backoffice/backoffice/staffuser/{finance_user.pk}/change/?_changelist=1")
    assert old.status_code == 301
    assert old["Location"] == f"/backoffice/users/staffuser/{finance_user.pk}/change/?_changelist=1"
    assert admin.get("/backoffice/backoffice/")["Location"] == "/backoffice/users/"
    posted = admin.post(f"/backoffice/backoffice/portaluser/{finance_user.pk}/password/", {})
    assert posted.status_code == 308
    assert posted["Location"] == f"/backoffice/users/portaluser/{finance_user.pk}/password/"


def test_a_stranger_is_redirected_then_asked_to_sign_in(client):
    old = client.get("/backoffice/backoffice/staffuser/")
    assert old["Location"] == "/backoffice/users/staffuser/"
    assert "/backoffice/login/" in client.get(old["Location"])["Location"]
