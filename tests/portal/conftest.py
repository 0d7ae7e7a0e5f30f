"""Portal fixtures: a signed-in portal user's client and a clock for dated payments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user, backend=MODEL_BACKEND)
    return client


def at(minutes: int = 0, *, days: int = 0) -> datetime:
    """A fixed moment: T0 plus `days` and `minutes`."""
    return T0 + timedelta(days=days, minutes=minutes)
