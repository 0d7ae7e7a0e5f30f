"""/health/live and /health/ready (docs/deployment.md): cheap, unauthenticated, answered before
the HTTPS redirect and host validation, and saying nothing beyond which check failed."""

from __future__ import annotations

import json

import pytest
from django.db import connection


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_is_ok_on_a_migrated_database(client, django_assert_num_queries):
    with django_assert_num_queries(2):  # SELECT 1, then the applied migrations
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "migrations": "ok"}


@pytest.mark.django_db
def test_readiness_is_503_while_a_migration_is_not_applied(client):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'ledger' AND name = '0001_initial'"
        )
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "unavailable",
        "database": "ok",
        "migrations": "pending",
    }


@pytest.mark.django_db
def test_probes_skip_the_https_redirect_and_host_check(client, settings):
    """A proxy probes an app server over plain HTTP at its own address."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    for path in ("/health/live", "/health/ready"):
        response = client.get(path, HTTP_HOST="10.0.0.7:8001")
        assert response.status_code == 200, path
    # Everything else still gets both.
    assert client.get("/api/v1/ping", HTTP_HOST="10.0.0.7:8001").status_code == 400
    assert client.get("/api/v1/ping", HTTP_HOST="portal.example.com").status_code == 301


def test_probes_refuse_other_methods(client):
    response = client.post("/health/live")
    assert response.status_code == 405
    assert json.loads(response.content)["code"] == "method_not_allowed"
