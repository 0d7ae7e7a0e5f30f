"""The NinjaAPI object: /api/v1/, its authentication, error handlers, routers and docs page.

The docs page is ninja's Swagger UI served from Paydesk's own static files ("ninja" is an
installed app, so ninja uses its local template, never the CDN one); its scripts are files,
which the strict CSP (`script-src 'self'`) allows.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Swagger
from ninja.operation import Operation

from paydesk.api.auth import API_AUTH, CallerThrottle
from paydesk.api.autotopup import router as autotopup_router
from paydesk.api.billing import router as billing_router
from paydesk.api.customer import router as customer_router
from paydesk.api.documents import router as documents_router
from paydesk.api.errors import install_error_handlers
from paydesk.api.methods import router as methods_router
from paydesk.api.parsing import OneValueParser
from paydesk.api.staff import routers as staff_routers


class PaydeskApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """`<module>_<view>` as ninja names it, but a staff endpoint names its package
        (`paydesk_api_staff_<view>`): clients generate code from these ids, so moving an
        endpoint from one file of the package to another changes none."""
        module = operation.view_func.__module__
        if module.startswith("paydesk.api.staff."):
            module = "paydesk.api.staff"
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = PaydeskApi(
    title="Paydesk API",
    version="1",
    description=(
        "Balance, payments and top-ups for customers; customers and payments for staff. "
        "Authenticate with `Authorization: Bearer pd_…` (or `X-Api-Key`), or the session with "
        "CSRF. Money is a decimal string with its currency. Every POST accepts an "
        "Idempotency-Key (Stripe's semantics), unique per customer: its answer is replayed to "
        "the user who sent it, from any of their keys; another user of the customer sending it "
        "gets 422 idempotency_key_used. A staff user's keys are their own."
    ),
    auth=API_AUTH,
    parser=OneValueParser(),
    throttle=[CallerThrottle()],
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


class PingOut(Schema):
    status: str


@api.get("/ping", auth=None, response=PingOut, summary="Is the server answering", tags=["meta"])
def ping(request: HttpRequest) -> dict[str, str]:
    """`{"status": "ok"}`, for anyone: no authentication, no database, no rate limit. For load
    balancers and uptime checks; bench P5 uses it as its trivial-endpoint baseline."""
    return {"status": "ok"}


api.add_router("/", documents_router)
api.add_router("/", customer_router)
api.add_router("/", billing_router)
api.add_router("/", methods_router)
api.add_router("/", autotopup_router)
for staff_router in staff_routers:
    api.add_router("/staff/", staff_router)
