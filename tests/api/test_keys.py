"""API keys: shown once, stored hashed, scoped, revoked at once, last use recorded; and the
portal page that manages them."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import Client

from paydesk.api.models import ApiKey
from paydesk.api.services import api_key_create, api_key_revoke
from tests.api.conftest import ApiClient, key_for
from tests.factories import PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_and_stored_only_as_a_hash(portal_user):
    key, plain = api_key_create(user=portal_user, name="Billing script", scopes=["read"])
    assert plain.startswith(f"pd_{key.prefix}_") and len(plain) > 40
    secret = plain.split("_", 2)[2]
    # Scan every text column of every table: the key (or its secret part) is nowhere.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (str, bytes, memoryview)):
                        text = (
                            bytes(value).decode("latin-1") if not isinstance(value, str) else value
                        )
                        assert secret not in text, table
    assert key.key_hash != plain and len(key.key_hash) == 64


def test_the_key_authenticates_and_its_last_use_is_recorded(portal_user):
    plain = key_for(portal_user, "read")
    assert ApiKey.objects.get().last_used_at is None
    response = ApiClient(plain).get("/api/v1/balance")
    assert response.status_code == 200
    assert ApiKey.objects.get().last_used_at is not None
    # The X-Api-Key header works as well.
    assert Client().get("/api/v1/balance", headers={"X-Api-Key": plain}).status_code == 200


def test_a_revoked_key_is_refused_at_once(portal_user):
    key, plain = api_key_create(user=portal_user, name="old", scopes=["read"])
    client = ApiClient(plain)
    assert client.get("/api/v1/balance").status_code == 200
    api_key_revoke(key=key, actor=portal_user)
    response = client.get("/api/v1/balance")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_wrong_key_is_refused_even_with_a_session(portal_user):
    client = Client()
    client.force_login(portal_user)
    assert client.get("/api/v1/balance").status_code == 200
    plain = key_for(portal_user, "read")
    tampered = plain[:-2] + ("AA" if not plain.endswith("AA") else "BB")
    response = client.get("/api/v1/balance", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert Client().get("/api/v1/balance").status_code == 401  # nothing at all


def test_a_key_stops_working_when_its_user_is_deactivated(portal_user):
    plain = key_for(portal_user, "read")
    portal_user.is_active = False
    portal_user.save()
    assert ApiClient(plain).get("/api/v1/balance").status_code == 401


def test_keys_never_appear_in_the_logs(portal_user, caplog):
    plain = key_for(portal_user)
    secret = plain.split("_", 2)[2]
    with caplog.at_level(logging.DEBUG):
        client = ApiClient(plain)
        client.get("/api/v1/balance")
        client.get("/api/v1/payments/NOPE")  # a 404, logged by Django
        client.post("/api/v1/payments", {"method": "bank_transfer", "amount": 1.5})  # a 400
        ApiClient(plain + "x").get("/api/v1/balance")  # a 401
    assert caplog.records
    assert not [r for r in caplog.records if secret in r.getMessage()]


def test_the_portal_page_creates_shows_once_lists_and_revokes(portal_user):
    client = Client()
    client.force_login(portal_user)
    assert "You have no API keys yet" in client.get("/api-keys/").content.decode()
    response = client.post("/api-keys/", {"name": "Nightly export", "scopes": ["read"]})
    assert response.status_code == 201
    key = ApiKey.objects.get()
    page = response.content.decode()
    plain = page.split('id="new-key" type="text" class="new-key" readonly value="')[1].split('"')[0]
    assert plain.startswith(f"pd_{key.prefix}_")
    assert ApiClient(plain).get("/api/v1/balance").status_code == 200
    listing = client.get("/api-keys/").content.decode()
    assert "Nightly export" in listing and f"pd_{key.prefix}_…" in listing
    assert plain not in listing  # shown once
    assert client.post(f"/api-keys/{key.pk}/revoke").status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    assert ApiClient(plain).get("/api/v1/balance").status_code == 401


def test_the_page_says_what_is_missing_and_nobody_revokes_anothers_key(portal_user):
    client = Client()
    client.force_login(portal_user)
    response = client.post("/api-keys/", {"name": "", "scopes": []})
    assert response.status_code == 200 and ApiKey.objects.count() == 0
    assert "This field is required." in response.content.decode()
    other = PortalUserFactory()
    theirs, _plain = api_key_create(user=other, name="theirs", scopes=["read"])
    assert client.post(f"/api-keys/{theirs.pk}/revoke").status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None


def test_staff_keys_carry_the_staff_members_role(support_user):
    plain = key_for(support_user, "read")
    response = ApiClient(plain).get("/api/v1/balance")
    assert response.status_code == 403  # customer endpoints are for portal users


def test_the_command_line_creates_a_key_shown_once_and_revokes_it(portal_user):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "api_keys",
        "create",
        "--email",
        portal_user.email,
        "--name",
        "cron",
        "--scopes",
        "read,pay",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["scopes"] == ["pay", "read"] and data["key"].startswith(f"pd_{data['prefix']}_")
    assert ApiClient(data["key"]).get("/api/v1/balance").status_code == 200
    call_command("api_keys", "revoke", "--prefix", data["prefix"], stdout=io.StringIO())
    assert ApiClient(data["key"]).get("/api/v1/balance").status_code == 401


def test_the_back_office_links_staff_to_their_api_keys(finance_user):
    from django.test import Client

    client = sign_in(Client(), finance_user)
    page = client.get("/backoffice/").content.decode()
    assert '<a href="/api-keys/">API keys</a>' in page
    keys_page = client.get("/api-keys/")
    assert keys_page.status_code == 200 and "API keys" in keys_page.content.decode()


def test_a_user_who_may_not_pay_is_not_offered_a_key_that_pays(portal_user):
    """The view-only bookkeeper's API keys page offered the Pay scope, whose every payment the
    API then refused."""
    bookkeeper = PortalUserFactory(customer=portal_user.customer, can_make_payments=False)
    client = Client()
    client.force_login(bookkeeper)
    page = client.get("/api-keys/").content.decode()
    assert 'value="read"' in page and 'value="pay"' not in page
    refused = client.post("/api-keys/", {"name": "Sneaky", "scopes": ["read", "pay"]})
    assert refused.status_code == 200 and ApiKey.objects.count() == 0
    assert "Select a valid choice" in refused.content.decode()
    client.force_login(portal_user)  # who may pay is offered both
    assert 'value="pay"' in client.get("/api-keys/").content.decode()


@pytest.mark.parametrize("name", ["Nightly\x1b[31m export", "Tab\there", "Line\nbreak", "DEL\x7f"])
def test_a_key_name_with_control_characters_is_refused_at_the_field(portal_user, name):
    """A name with an escape sequence, tab, line break or DEL was accepted (201) and shown in
    lists and the audit log as it came."""
    client = Client()
    client.force_login(portal_user)
    response = client.post("/api-keys/", {"name": name, "scopes": ["read"]})
    assert response.status_code == 200 and ApiKey.objects.count() == 0
    assert "Write this on one line, without tabs or other control characters." in (
        response.content.decode()
    )
