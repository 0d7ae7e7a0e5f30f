"""Staff endpoints: outgoing webhooks (docs/outgoing-webhooks.md). Administrators list, add
(the signing secret is in that answer only), change, resume and replay endpoints and read their
delivery log; every staff role may list the events since an id (a receiver catching up)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, StrictBool

from paydesk.accounts.models import StaffRole
from paydesk.api.auth import STAFF_AUTH
from paydesk.api.errors import ApiError
from paydesk.api.schemas import ERRORS, Input, SingleLine, json_response
from paydesk.api.staff.common import staff_caller
from paydesk.outhooks.models import Attempt, Endpoint, Event
from paydesk.outhooks.services import (
    endpoint_create,
    endpoint_resume,
    endpoint_update,
    event_id_parse,
    events_replay,
)

router = Router(tags=["staff"], auth=STAFF_AUTH)


class EndpointIn(Input):
    url: str = Field(max_length=500, examples=["https://billing.example.com/paydesk-hooks"])
    description: SingleLine = Field("", max_length=200)
    event_types: list[str] = Field(
        default_factory=list, description="Event types it receives; empty = all."
    )
    ordered: StrictBool = Field(
        False, description="Each customer's events one at a time, in order."
    )


class EndpointPatch(Input):
    url: str | None = Field(None, max_length=500)
    description: SingleLine | None = Field(None, max_length=200)
    event_types: list[str] | None = None
    ordered: StrictBool | None = None
    active: StrictBool | None = None
    roll_secret: StrictBool = Field(False, description="Make a new secret (in this answer only).")


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    ordered: bool
    paused_at: datetime | None
    pause_reason: str
    secret_hint: str = Field(description="The secret's last four characters.")
    secret: str | None = Field(None, description="The whole secret: in the answer that made it.")
    created_at: datetime


class ReplayIn(Input):
    after: str = Field(examples=["evt_41"], max_length=40, description="The last id you got.")


class CountOut(Schema):
    due: int


class EventOut(Schema):
    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


class EventListOut(Schema):
    data: list[EventOut]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class AttemptOut(Schema):
    at: datetime
    event: str
    status_code: int | None
    latency_ms: int
    ok: bool
    response_excerpt: str
    error: str


def _admin(request: HttpRequest, *, write: bool = False) -> Any:
    caller = staff_caller(request, write=write)
    if caller.user.staff_role != StaffRole.ADMIN:
        raise ApiError(403, "permission_denied", "Only Administrators manage webhook endpoints.")
    return caller


def _endpoint(endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise ApiError(404, "not_found", "No webhook endpoint with that id.", "id")
    return endpoint


def endpoint_out(endpoint: Endpoint, secret: str | None = None) -> dict[str, object]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "active": endpoint.active,
        "ordered": endpoint.ordered,
        "paused_at": endpoint.paused_at,
        "pause_reason": endpoint.pause_reason,
        "secret_hint": endpoint.secret_hint,
        "secret": secret,
        "created_at": endpoint.created_at,
    }


def _with_secret(status: int, endpoint: Endpoint, secret: str | None) -> HttpResponse:
    response = json_response(status, endpoint_out(endpoint, secret), EndpointOut)
    response["Cache-Control"] = "no-store"
    return response


@router.get("/webhook-endpoints", response={200: list[EndpointOut], **ERRORS},
            summary="Webhook endpoints (Administrators)")  # fmt: skip
def webhook_endpoints(request: HttpRequest) -> list[dict[str, object]]:
    _admin(request)
    return [endpoint_out(endpoint) for endpoint in Endpoint.objects.order_by("pk")]


@router.post("/webhook-endpoints", response={201: EndpointOut, **ERRORS},
             summary="Add a webhook endpoint; its secret is in this answer only")  # fmt: skip
def webhook_endpoint_new(request: HttpRequest, payload: EndpointIn) -> HttpResponse:
    caller = _admin(request, write=True)
    made = endpoint_create(
        url=payload.url,
        description=payload.description,
        event_types=payload.event_types,
        ordered=payload.ordered,
        actor=caller.user,
    )
    return _with_secret(201, made.endpoint, made.secret)


@router.patch("/webhook-endpoints/{endpoint_id}", response={200: EndpointOut, **ERRORS},
              summary="Change a webhook endpoint, or roll its secret")  # fmt: skip
def webhook_endpoint_change(
    request: HttpRequest, endpoint_id: int, payload: EndpointPatch
) -> HttpResponse:
    caller = _admin(request, write=True)
    changes = payload.model_dump(exclude_none=True, exclude={"roll_secret"})
    row = endpoint_update(
        endpoint=_endpoint(endpoint_id), actor=caller.user, secret=payload.roll_secret, **changes
    )
    return _with_secret(200, row, row.new_secret)


@router.post("/webhook-endpoints/{endpoint_id}/resume", response={200: CountOut, **ERRORS},
             summary="Resume a paused endpoint: what waits is sent, in order")  # fmt: skip
def webhook_endpoint_resume(request: HttpRequest, endpoint_id: int) -> dict[str, int]:
    caller = _admin(request, write=True)
    return {"due": endpoint_resume(endpoint=_endpoint(endpoint_id), actor=caller.user)}


@router.post("/webhook-endpoints/{endpoint_id}/replay", response={200: CountOut, **ERRORS},
             summary="Send an endpoint every event after an id again, in order")  # fmt: skip
def webhook_endpoint_replay(
    request: HttpRequest, endpoint_id: int, payload: ReplayIn
) -> dict[str, int]:
    caller = _admin(request, write=True)
    after = event_id_parse(payload.after)
    return {"due": events_replay(endpoint=_endpoint(endpoint_id), after=after, actor=caller.user)}


@router.get("/webhook-endpoints/{endpoint_id}/attempts", response={200: list[AttemptOut], **ERRORS},
            summary="An endpoint's delivery log, newest first")  # fmt: skip
def webhook_endpoint_attempts(
    request: HttpRequest, endpoint_id: int, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, object]]:
    _admin(request)
    rows = Attempt.objects.filter(endpoint=_endpoint(endpoint_id)).select_related("delivery")
    return [
        {
            "at": row.at,
            "event": f"evt_{row.delivery.event_id}",
            "status_code": row.status_code,
            "latency_ms": row.latency_ms,
            "ok": row.ok,
            "response_excerpt": row.response_excerpt,
            "error": row.error,
        }
        for row in rows[:limit]
    ]


@router.get("/webhook-events", response={200: EventListOut, **ERRORS},
            summary="Events after an id, oldest first (a receiver catching up)")  # fmt: skip
def webhook_events(
    request: HttpRequest,
    after: str = Query("", max_length=40, description="An event id, e.g. evt_41"),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, object]:
    staff_caller(request)
    rows = list(Event.objects.filter(pk__gt=event_id_parse(after)).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "data": [
            {
                "id": e.public_id,
                "type": e.type,
                "created_at": e.created_at,
                "data": json.loads(e.data),
            }
            for e in rows
        ],  # fmt: skip
        "next_after": rows[-1].public_id if more else None,
    }
