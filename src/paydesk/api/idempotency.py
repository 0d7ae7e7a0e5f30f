"""`Idempotency-Key` on the API's POSTs, with Stripe's semantics (spec §10, quality.md R4).

A key is unique per caller scope (`Caller.identity`): the customer, for any of its API keys or
users; the user, for staff. The first request with a key inserts an in-flight row (unique on
scope + key) and commits it before doing any work: that insert is the lock. Then, for the same
scope and key:
- same method, path and body, first answered → its status and body replayed byte for byte,
  with `Idempotent-Replayed: true`, to the user who sent it (from any of their keys, or their
  session: a rotated key gets it); another user of the customer → 422 `idempotency_key_used`,
  saying it was made once, without the answer (which that user may not be allowed to see);
- same request while the first is still running → 409 `idempotency_key_in_use` (the client
  retries later and then gets the replay; we do not hold a connection waiting); a first request
  still "running" after IN_FLIGHT_ABANDONED died mid-way (a killed server): the retry takes over;
- another method, path or body → 422 `idempotency_key_mismatch`.
Refusals by the rules (4xx from PaydeskError) are answers too and are replayed, but for a 429.
A request that fails with an unexpected error (a 500) leaves no record, so the key can be
retried; so does a "try later" answer (`kept`): a 429 (the voucher failure limit) or a 503 (a
processor did nothing with the request), which the same key sent after the wait runs again
rather than replaying for 24 hours (Stripe keeps no 429 under its keys either). Requests
rejected before the view runs (authentication, schema validation, the per-key rate limit)
record nothing. Records are kept 24 hours (services.idempotency_purge, a worker job).

A request whose whole work is database writes (a bank transfer, a voucher: `one_transaction`
says which) runs instead in ONE transaction with its record: the work, then the answered record
inserted last. A second request with the same key that commits first makes this one's insert
fail on the unique (caller, key): everything it did rolls back and it replays the first answer;
one still running makes it wait on that index, then replay. Three round trips fewer than the
in-flight row committed first, and the payment and its record commit or vanish together
(issue 18). An online checkout calls a gateway over HTTP, never inside a transaction: it keeps
the in-flight row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from paydesk.api.auth import caller_of
from paydesk.api.errors import ApiError, json_response, response_for_error
from paydesk.api.models import IdempotencyRecord
from paydesk.api.services import IDEMPOTENCY_KEY_MAX
from paydesk.errors import PaydeskError
from paydesk.fastsql import row_insert

REPLAY_HEADER = "Idempotent-Replayed"
# Longer than any request may run (gunicorn's timeout, deploy/gunicorn.conf.py: 60 s).
IN_FLIGHT_ABANDONED = timedelta(seconds=90)


def _checked_key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters.",
            "Idempotency-Key",
        )
    return key


def request_fingerprint(request: HttpRequest) -> str:
    return f"{request.method} {request.path} {hashlib.sha256(request.body).hexdigest()}"


# The answers that say "nothing was done: send it again later", with Retry-After: a 429 (the
# voucher failure limit; the per-key rate limit refuses before the view and records nothing)
# and a 503 (a processor did nothing with the request). Every other answer is final, replayed.
TRY_LATER = frozenset({429, 503})


def kept(response: HttpResponse) -> bool:
    """Whether `response` is recorded under its Idempotency-Key: not a "try later" answer
    (TRY_LATER), which the same key sent after the wait must run again, not replay."""
    return response.status_code not in TRY_LATER


class _Request(NamedTuple):
    """What a request's record is found and written by (its fields, IdempotencyRecord's): its
    caller's scope (`Caller.identity`), its Idempotency-Key, its fingerprint and its user."""

    caller: str
    key: str
    fingerprint: str
    requested_by: int


def _replay(record: IdempotencyRecord, request: _Request) -> HttpResponse:
    if record.fingerprint != request.fingerprint:
        return json_response(
            422,
            "idempotency_key_mismatch",
            "This Idempotency-Key was used with another request: use a new key for a new request.",
            "Idempotency-Key",
        )
    if record.completed_at is None:
        return json_response(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed: retry shortly.",
            "Idempotency-Key",
        )
    if record.requested_by is not None and record.requested_by != request.requested_by:
        return json_response(
            422,
            "idempotency_key_used",
            "Another user of your account already sent this request with this Idempotency-Key: "
            "it was made once, and its answer is theirs. Use a new key for a new request.",
            "Idempotency-Key",
        )
    response = HttpResponse(
        bytes(record.body or b""), status=record.status_code, content_type=record.content_type
    )
    response[REPLAY_HEADER] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make a POST operation honour Idempotency-Key; the view must return an HttpResponse."""
    return idempotent_storing(None)(view)


def idempotent_storing(
    redact: Callable[[bytes], bytes] | None,
    *,
    one_transaction: Callable[[HttpRequest], bool] | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`idempotent`, storing `redact(body)` instead of the body: for an answer holding secrets
    shown once (voucher codes), which must never be stored; a replay gets the redacted body.
    `one_transaction(request)` true: the request's work makes no call outside the database, so
    it runs in one transaction with its record (see the module's docstring)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _idempotent(view, redact, one_transaction)

    return decorate


def _stored(response: HttpResponse, redact: Callable[[bytes], bytes] | None) -> dict[str, Any]:
    return {
        "status_code": response.status_code,
        "content_type": response.get("Content-Type", "application/json"),
        "body": redact(response.content) if redact else response.content,
        "completed_at": timezone.now(),
    }


def _in_one_transaction(
    view: Callable[..., HttpResponse],
    redact: Callable[[bytes], bytes] | None,
    request: HttpRequest,
    identity: _Request,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    try:
        try:
            with transaction.atomic():
                response = _answer(view, request, *args, **kwargs)
                if transaction.get_connection().needs_rollback:
                    if response.status_code < 400:  # a success whose writes are lost: a 500
                        raise TransactionManagementError("Answered after the work was undone.")
                    raise _Undone(response)
                if not kept(response):  # nothing done, nothing recorded: all of it rolled back
                    raise _Undone(response)
                row_insert(_record(identity, response, redact))
        except _Undone as undone:
            # A service's block without a savepoint of its own (checkout_start's) failed with an
            # answer: everything the request wrote is rolled back with the transaction, and the
            # answer is recorded in one of its own (unless it is one not kept).
            response = undone.response
            if kept(response):
                with transaction.atomic():
                    row_insert(_record(identity, response, redact))
    except IntegrityError:  # the key was used first by another request: its answer stands
        existing = _existing(identity)
        if existing is None:
            raise
        return _replay(existing, identity)
    return response


class _Undone(Exception):
    """Carries a refusal out of a transaction an error broke (rolled back on the way out)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


def _record(
    identity: _Request,
    response: HttpResponse,
    redact: Callable[[bytes], bytes] | None,
) -> IdempotencyRecord:
    return IdempotencyRecord(**identity._asdict(), **_stored(response, redact))


def _existing(identity: _Request) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(caller=identity.caller, key=identity.key).first()


def _in_flight(identity: _Request) -> IdempotencyRecord:
    """Insert and commit the in-flight row (IntegrityError: the key is taken). An in-flight row
    older than IN_FLIGHT_ABANDONED was left by a process that died mid-request (killed, its
    database connection lost): it is taken over once, or the key would answer 409 for a day;
    only by the user who sent it (the answer then recorded is theirs to see), or by anyone of
    the scope for a row that names no user. Safe: what that request did is found again by its
    own keys (checkout_start's, derived from this Idempotency-Key), never done twice."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(**identity._asdict())
    except IntegrityError:
        abandoned = (
            IdempotencyRecord.objects.filter(
                caller=identity.caller,
                key=identity.key,
                fingerprint=identity.fingerprint,
                completed_at=None,
                created_at__lt=timezone.now() - IN_FLIGHT_ABANDONED,
            )
            .filter(Q(requested_by=identity.requested_by) | Q(requested_by=None))
            .delete()[0]
        )
        if not abandoned:
            raise
    with transaction.atomic():
        return IdempotencyRecord.objects.create(**identity._asdict())


def _idempotent(
    view: Callable[..., HttpResponse],
    redact: Callable[[bytes], bytes] | None,
    one_transaction: Callable[[HttpRequest], bool] | None = None,
) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw = request.headers.get("Idempotency-Key")
        if raw is None:
            return _answer(view, request, *args, **kwargs)
        key = _checked_key(raw)
        caller = caller_of(request)
        identity = _Request(caller.identity, key, request_fingerprint(request), caller.user.pk)
        if one_transaction is not None and one_transaction(request):
            return _in_one_transaction(view, redact, request, identity, *args, **kwargs)
        try:
            record = _in_flight(identity)
        except IntegrityError:
            existing = _existing(identity)
            if existing is None:  # purged in between: rare, and retrying is safe
                raise ApiError(
                    409, "idempotency_key_in_use", "Retry this request.", "Idempotency-Key"
                ) from None
            return _replay(existing, identity)
        try:
            response = _answer(view, request, *args, **kwargs)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if kept(response):
            IdempotencyRecord.objects.filter(pk=record.pk).update(**_stored(response, redact))
        else:  # the key is free again, as after a 500
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response

    return wrapped


def _answer(
    view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponse:
    """The view's response, with the rules' refusals rendered here so they can be recorded."""
    try:
        return view(request, *args, **kwargs)
    except (PaydeskError, ApiError, Http404) as exc:
        return response_for_error(exc)
