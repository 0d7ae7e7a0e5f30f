"""Automatic top-up tests charge saved cards at the offline sandbox's Stripe, over real HTTP
(the online tests' live server and fixtures)."""

from tests.checkout.conftest import method_configs, rates  # noqa: F401 (fixtures)
from tests.online.conftest import online_customer, sandbox  # noqa: F401 (fixtures)
