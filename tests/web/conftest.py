"""The hostile-forms test's world (a customer with payments, a bank transfer, the provider's bank
details, users of each role) for the other tests of the forms."""

from tests.banktransfers.conftest import bank_details  # noqa: F401 (a fixture)
from tests.web.test_hostile_forms import world  # noqa: F401 (a fixture)
