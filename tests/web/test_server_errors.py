"""An error on our side (Django's handler500, paydesk.web.errors): JSON with a code under /api/,
our own page elsewhere, and 503 with Retry-After when the database or the cache is out of reach —
shown with the database really unreachable (a closed port) and Redis really refusing, not by
raising the errors by hand (except in the handler's own unit checks at the end)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.db import OperationalError, connections
from django.test import Client, RequestFactory, override_settings

from paydesk.ledger.models import Payment
from paydesk.web.errors import RETRY_AFTER_SECONDS, server_error
from tests.api.conftest import ApiClient, key_for
from tests.banktransfers.conftest import bank_details  # noqa: F401 - a fixture
from tests.checkout.conftest import method_configs  # noqa: F401 - a fixture (autouse)

BODY = {"method": "bank_transfer", "amount": "25.00", "currency": "USD"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database_unreachable() -> Iterator[None]:
    """The default database's server refuses connections until the block ends."""
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


def tolerant(plain: str | None = None) -> ApiClient:
    """A client that receives the error response instead of the exception."""
    return ApiClient(plain, client=Client(raise_request_exception=False))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_top_up_while_the_database_is_down_is_503_and_its_retry_pays_once(
    portal_user,
    bank_details,  # noqa: F811 - the fixture imported above
):
    api = tolerant(key_for(portal_user))
    with database_unreachable():
        down = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "outage-1"})
    assert down.status_code == 503
    assert down["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert down["Content-Type"].startswith("application/json")
    assert down.json()["error"]["code"] == "unavailable"
    assert "Idempotency-Key" in down.json()["error"]["message"]
    back = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "outage-1"})
    assert back.status_code == 201
    again = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "outage-1"})
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_portal_page_while_the_database_is_down_is_our_503_page(portal_user):
    client = Client(raise_request_exception=False)
    client.force_login(portal_user)
    with database_unreachable():
        response = client.get("/payments/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "<h1>Briefly unavailable</h1>" in page
    assert "look at your payments before you try again" in page
    assert "Traceback" not in page and "OperationalError" not in page


@pytest.mark.django_db
def test_an_api_call_while_the_shared_cache_refuses_is_503(portal_user):
    api = tolerant(key_for(portal_user))
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(
        CACHES={"default": {"BACKEND": "paydesk.web.cache.RedisCache", "LOCATION": dead}}
    ):
        response = api.get("/api/v1/payments")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


# The handler itself, called as Django calls it: inside the `except` of the uncaught error.


def answer(path: str, error: Exception):
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.sqlite_pass_only
def test_an_unexpected_error_under_the_api_is_a_json_500():
    response = answer("/api/v1/payments", ValueError("a bug of ours"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert json.loads(response.content) == {
        "error": {
            "code": "server_error",
            "message": "Something failed on our side; it has been logged. Nothing in your "
            "request caused it. Retry with the same Idempotency-Key.",
            "field": None,
        }
    }
    assert answer("/api/cp/payment", KeyError("x")).status_code == 500


@pytest.mark.sqlite_pass_only
def test_an_unexpected_error_elsewhere_is_our_page_without_the_error():
    response = answer("/payments/", ValueError("a bug of ours"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert "a bug of ours" not in page
    # /api-keys/ is a portal page, not the API.
    assert answer("/api-keys/", ValueError("x"))["Content-Type"].startswith("text/html")


@pytest.mark.sqlite_pass_only
@pytest.mark.parametrize(
    "error",
    [OperationalError("database is locked"), redis.exceptions.TimeoutError("slow")],
    ids=["database", "cache"],
)
def test_an_outage_is_503_with_retry_after_on_both_kinds_of_page(error):
    api = answer("/api/v1/payments", error)
    page = answer("/backoffice/", error)
    assert (api.status_code, page.status_code) == (503, 503)
    assert api["Retry-After"] == page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(api.content)["error"]["code"] == "unavailable"
    assert "<h1>Briefly unavailable</h1>" in page.content.decode()
