"""The hostile-forms test's world (a customer with payments, a bank transfer, the provider's bank
details, users of each role) for the other tests of the forms; the sandbox played over HTTP and
its customers, for the forms that need a saved card."""

from tests.banktransfers.conftest import bank_details  # noqa: F401 (a fixture)
from tests.checkout.conftest import rates  # noqa: F401 (a fixture of online_customer)
from tests.online.conftest import online_customer, sandbox  # noqa: F401 (fixtures)
from tests.web.test_hostile_forms import world  # noqa: F401 (a fixture)
