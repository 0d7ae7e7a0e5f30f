"""Every API error as `{"error": {"code", "message", "field"}}` with its HTTP status.

Statuses: 400 the request does not parse or match the schema (`invalid_request`); 401 no or bad
credentials; 403 the caller may not (role, permission, key scope, CSRF); 404 nothing of the
caller's by that id; 409 the payment's state forbids it (`invalid_transition`) or the same
Idempotency-Key is in flight; 412 a change sent with If-Match whose object changed since that
read (`changed_since_read`); 422 the request is well formed but a rule refuses it (every other
PaydeskError: invalid amount, insufficient credit, method unavailable, voucher rejected, …, and
an Idempotency-Key reused with another body, or by another user of the customer); 429 rate
limited, with Retry-After; 503 with Retry-After when a processor did nothing with the request
(GatewayNothingDone: it rate limited it, GatewayRateLimited, or did not answer a lookup made
before anything was written): send it again. Neither a 429 nor a 503 is recorded under its
Idempotency-Key (paydesk.api.idempotency).
An error of ours (500 `server_error`) or an outage of the database or cache (503 `unavailable`,
with Retry-After) is answered in the same shape by paydesk.web.errors, Django's handler500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from paydesk.errors import (
    ChangedSinceRead,
    GatewayNothingDone,
    InvalidTransition,
    NotFound,
    PaydeskError,
    PermissionDenied,
    RateLimited,
)
from paydesk.web.errors import error_body, json_response

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "unprocessable",
    429: "rate_limited",
}


class ApiError(Exception):
    """An API-level refusal with its own status and code (not a domain rule)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def status_for(exc: PaydeskError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, InvalidTransition):
        return 409
    if isinstance(exc, ChangedSinceRead):
        return 412
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, GatewayNothingDone):
        return 503  # nothing was done: send it again (with the same Idempotency-Key)
    return 422


def response_for_error(exc: Exception) -> HttpResponse:
    """The JSON error response for a PaydeskError, an ApiError or an Http404."""
    if isinstance(exc, PaydeskError):
        response = json_response(status_for(exc), exc.code, exc.message, exc.field)
        if isinstance(exc, RateLimited | GatewayNothingDone) and exc.retry_after:
            response["Retry-After"] = str(int(exc.retry_after))
        return response
    if isinstance(exc, ApiError):
        return json_response(exc.status, exc.code, exc.message, exc.field)
    return json_response(404, "not_found", "Nothing of yours by that id.")


def _field(loc: list[Any]) -> str | None:
    # ninja's loc is ("body", "payload", "amount") or ("query", "limit"): keep the last names.
    names = [
        str(part) for part in loc if part not in ("body", "query", "path", "header", "payload")
    ]
    return ".".join(names) or None


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(PaydeskError)
    def _paydesk(request: HttpRequest, exc: PaydeskError) -> HttpResponse:
        return response_for_error(exc)

    @api.exception_handler(ApiError)
    def _api(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return response_for_error(exc)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        message = str(first.get("msg", "The request is not valid."))
        field = _field(list(first.get("loc", [])))
        if field:
            message = f"{field}: {message}"
        return api.create_response(
            request, error_body("invalid_request", message, field), status=400
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = str(exc) if str(exc) != "Unauthorized" else "Send an API key or sign in."
        response = api.create_response(request, error_body("unauthenticated", message), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="paydesk"'
        return response

    @api.exception_handler(Throttled)
    def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return api.create_response(
            request,
            error_body("rate_limited", "Too many requests with this key: slow down."),
            status=429,
        )

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return response_for_error(exc)

    @api.exception_handler(DjangoPermissionDenied)
    def _denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return api.create_response(
            request,
            error_body("permission_denied", str(exc) or "You may not do this."),
            status=403,
        )
