"""Staff endpoints under /api/v1/staff/: customers and payments across customers.

For staff keys and staff sessions only; every staff role reads, the services refuse what a role
may not do (Support moves no money, only Administrators change customers: 403). A staff key
without the `pay` scope is read-only. Money moves only through paydesk.ledger.services and
paydesk.banktransfers.services (bank transfers complete under the two-person rule).

customers.py: the customers; payments.py: payments of everyone and the four eyes on manual
credits; refunds.py: refunds and disputes; vouchers.py: voucher batches; outhooks.py: outgoing
webhooks; gateways.py: where each gateway credential comes from (Administrators; never a value);
common.py: the caller check and lookups they share.
Each has its own router (tags "staff", staff authentication), mounted at /staff/ by api.py.
"""

from paydesk.api.staff import customers, gateways, outhooks, payments, refunds, vouchers

routers = (
    customers.router,
    payments.router,
    refunds.router,
    vouchers.router,
    gateways.router,
    outhooks.router,
)
