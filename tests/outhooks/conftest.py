"""The tests here send to receivers on this machine (tests/outhooks/receiver.py, the sandbox's
at the live server): internal addresses, refused unless PAYDESK_OUTHOOKS_ALLOW_PRIVATE is on
(test_addresses.py turns it off again to test the refusals)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
