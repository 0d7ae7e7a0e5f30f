"""`GET /transaction?perPage=N`: Paystack's list of transactions, newest first (what the back
office's *Test connection* asks for: an authenticated call that changes nothing)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from paydesk.sandbox.core import sandbox_api
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paystack.views import GATEWAY, KIND, _unauthorized, error, public


@sandbox_api(GATEWAY, auth=_unauthorized)
@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    try:
        per_page = min(max(int(request.GET.get("perPage", "50")), 1), 100)
    except ValueError:
        return error(400, {"status": False, "message": "perPage must be a number"})
    rows = SandboxObject.objects.filter(gateway=GATEWAY, kind=KIND).order_by("-id")
    total = rows.count()
    return JsonResponse(
        {
            "status": True,
            "message": "Transactions retrieved",
            "data": [public(row.data) for row in rows[:per_page]],
            "meta": {"total": total, "perPage": per_page, "page": 1},
        }
    )
