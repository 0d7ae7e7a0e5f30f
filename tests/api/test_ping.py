"""GET /api/v1/ping: `{"status": "ok"}` for anyone, without the database or the rate limit
(uptime checks; bench P5's trivial-endpoint baseline)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_ping_answers_ok_without_credentials_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/api/v1/ping")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ping_is_not_rate_limited_and_ignores_credentials(settings):
    settings.PAYDESK_API_RATE = "1/m"
    client = Client()
    for _ in range(3):
        assert client.get("/api/v1/ping").status_code == 200
    bad_key = client.get("/api/v1/ping", headers={"Authorization": "Bearer pd_nope"})
    assert bad_key.status_code == 200


@pytest.mark.django_db
def test_ping_is_get_only_and_documented():
    assert Client().post("/api/v1/ping").status_code == 405
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/ping" in paths
