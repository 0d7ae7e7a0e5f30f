"""Fixtures for provider settings: signed-in staff clients (tests/backoffice's), sandbox keys."""

from __future__ import annotations

from tests.backoffice.conftest import administrator, finance, support  # noqa: F401 (fixtures)

GATEWAYS = "/backoffice/provider/gatewaysecret/"
BRAND = "/backoffice/provider/brand/"

# The live server with the sandbox, and a portal user allowed one method (tests/online's).
from tests.online.conftest import method_configs, online_customer, rates, sandbox  # noqa: E402,F401

SANDBOX_PAYPAL_TEST = ("paydesk-sandbox-client", "paydesk-sandbox-client-secret")
SANDBOX_PAYPAL_LIVE = ("paydesk-sandbox-live-client", "paydesk-sandbox-live-secret")
