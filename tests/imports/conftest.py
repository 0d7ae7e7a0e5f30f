"""Fixtures for the import tests: the back office's browser fixtures (a Chromium, the demo)."""

from tests.backoffice.browser import chromium, demo  # noqa: F401 (fixtures for browser tests)
