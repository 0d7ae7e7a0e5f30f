"""API fixtures: method settings and rates (from the checkout tests), bank details, keys and a
client that sends a key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from paydesk.api.services import api_key_create
from tests.banktransfers.conftest import bank_details  # noqa: F401 - a fixture
from tests.checkout.conftest import method_configs, rates  # noqa: F401 - fixtures
from tests.refunds.conftest import card_gateway  # noqa: F401 - a fixture: a refunding card


class ApiClient:
    """A test client that sends `Authorization: Bearer <key>` and JSON bodies."""

    def __init__(self, plain: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {plain}"} if plain else {}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            path, data, content_type="application/json", headers={**self.headers, **headers}
        )


def key_for(user: Any, *scopes: str) -> str:
    return api_key_create(user=user, name="script", scopes=list(scopes or ("read", "pay")))[1]


@pytest.fixture
def api(portal_user) -> ApiClient:
    """The portal user's client with a read + pay key."""
    return ApiClient(key_for(portal_user))
