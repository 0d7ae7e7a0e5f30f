"""Staff API of outgoing webhooks: Administrators add an endpoint (the secret in that answer
only, never again), change it, read its log; a bad URL is a JSON error with a code; any staff
role lists events since an id; an Administrator replays them; Finance cannot add endpoints."""

from __future__ import annotations

import pytest

from paydesk.ledger.services import payment_create
from paydesk.outhooks.crypto import secret_decrypt
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Endpoint
from tests.api.conftest import ApiClient, key_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/staff/webhook-endpoints"


@pytest.fixture
def admin_api(admin_user) -> ApiClient:
    return ApiClient(key_for(admin_user))


def test_add_shows_the_secret_once_and_stores_it_encrypted(admin_api):
    made = admin_api.post(URL, {"url": "https://billing.example.com/h", "ordered": True})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == body["secret"][-4:]
    assert made["Cache-Control"] == "no-store"
    row = Endpoint.objects.get(pk=body["id"])
    assert body["secret"] not in row.secret_encrypted
    assert secret_decrypt(row.secret_encrypted) == body["secret"]
    listed = admin_api.get(URL).json()
    assert [e["secret"] for e in listed] == [None]
    rolled = admin_api.client.patch(
        f"{URL}/{body['id']}",
        '{"roll_secret": true, "active": false}',
        content_type="application/json",
        headers=admin_api.headers,
    ).json()
    assert rolled["secret"] and rolled["secret"] != body["secret"] and rolled["active"] is False


def test_bad_input_is_a_json_error_with_a_code(admin_api, settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_HTTP = False
    plain = admin_api.post(URL, {"url": "http://billing.example.com/h"})
    assert plain.status_code == 422
    assert plain.json()["error"]["code"] == "invalid_webhook"
    assert plain.json()["error"]["field"] == "url"
    unknown = admin_api.post(URL, {"url": "https://x.example/h", "event_types": ["payment.eaten"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "event_types"
    assert admin_api.get(f"{URL}/999/attempts").status_code == 404
    assert not Endpoint.objects.exists()


def test_an_internal_address_is_a_json_error_with_its_code(admin_api, settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = False
    for url in ("https://169.254.169.254/latest/meta-data", "https://localhost/h"):
        refused = admin_api.post(URL, {"url": url})
        assert refused.status_code == 422, refused.content
        error = refused.json()["error"]
        assert error["code"] == "webhook_address_refused" and error["field"] == "url"
        assert "internal address" in error["message"]
    assert not Endpoint.objects.exists()


def test_finance_cannot_manage_endpoints(finance_user):
    finance = ApiClient(key_for(finance_user))
    assert finance.post(URL, {"url": "https://x.example/h"}).status_code == 403
    assert finance.get(URL).status_code == 403


def test_events_since_an_id_paged(admin_api, finance_user, customer):
    admin_api.post(URL, {"url": "https://x.example/h"})
    for amount in ("1", "2", "3"):
        payment_create(customer=customer, total=amount, description="Top-up # private")
    finance = ApiClient(key_for(finance_user))
    first = finance.get("/api/v1/staff/webhook-events", {"limit": 4}).json()
    assert [e["type"] for e in first["data"]] == ["payment.completed", "balance.changed"] * 2
    assert "private" not in str(first)
    rest = finance.get("/api/v1/staff/webhook-events", {"after": first["next_after"]}).json()
    assert [e["data"].get("total", {}).get("amount") for e in rest["data"]] == ["3.00", None]
    assert rest["next_after"] is None
    bad = finance.get("/api/v1/staff/webhook-events", {"after": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "after"


def test_replay_since_an_id(admin_api, customer):
    """The view calls the replay outside any transaction of its own: its batches (durable
    transactions, services.events_replay) would refuse to run inside one."""
    made = admin_api.post(URL, {"url": "https://x.example/h"}).json()
    for amount in ("1", "2"):
        payment_create(customer=customer, total=amount, description="Top-up")
    events_dispatch()  # the worker's step: only dispatched events are replayed
    first = admin_api.get("/api/v1/staff/webhook-events", {"limit": 1}).json()["data"][0]["id"]
    replayed = admin_api.post(f"{URL}/{made['id']}/replay", {"after": first})
    assert replayed.status_code == 200, replayed.content
    assert replayed.json() == {"due": 3}
