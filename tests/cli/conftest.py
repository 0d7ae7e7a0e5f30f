"""CLI fixtures: a refunding card gateway (from the refund tests)."""

from tests.refunds.conftest import card_gateway  # noqa: F401 - a fixture
