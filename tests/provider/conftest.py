"""Fixtures for provider settings: signed-in staff clients (tests/backoffice's), sandbox keys."""

from __future__ import annotations

from tests.backoffice.conftest import administrator, finance, support  # noqa: F401 (fixtures)

GATEWAYS = "/backoffice/provider/gatewaysecret/"
BRAND = "/backoffice/provider/brand/"
