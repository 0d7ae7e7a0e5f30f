"""Who is calling the API: an API key (`Authorization: Bearer pd_…` or `X-Api-Key: pd_…`) or
the browser session. A session caller must send Django's CSRF token on unsafe methods; a key is
not a cookie, so CSRF does not apply to it. A key that is given but wrong or revoked is refused
(401) even when a session cookie comes with it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer
from ninja.throttling import AuthRateThrottle
from ninja.utils import check_csrf

from paydesk.accounts.billing_managers import NO_BILLING_MESSAGE, may_manage_own_billing
from paydesk.accounts.models import Customer, User
from paydesk.api.errors import ApiError
from paydesk.api.models import ApiKey, ApiScope
from paydesk.api.services import api_key_authenticate
from paydesk.twofactor.selectors import second_factor_satisfied
from paydesk.web.ratelimit import sliding_window


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: its user, the key used (None for a session) and its scopes."""

    user: User
    api_key: ApiKey | None
    scopes: frozenset[str]

    @property
    def identity(self) -> str:
        """What idempotency keys are scoped to: a customer's user (any of its API keys, or its
        session) its customer, as Stripe scopes a key to the account — a rotated key or another
        user of the customer retrying the same key gets the first answer; staff (and a user of
        no customer) the user. Read from the user's row, already loaded: no query."""
        customer_id = self.user.customer_id
        return f"customer:{customer_id}" if customer_id is not None else f"user:{self.user.pk}"


def caller_of(request: HttpRequest) -> Caller:
    """The caller this module's authenticators set on `request.auth` (django-ninja's attribute,
    unknown to Django's HttpRequest and its stubs). 401 when there is none: an endpoint mounted
    without these authenticators has no caller, and is refused rather than served to nobody."""
    caller = _caller_or_none(request)
    if caller is None:
        raise AuthenticationError()
    return caller


def portal_customer(
    request: HttpRequest, *, pay_scope: bool, may: Callable[[User], bool], refusal: str
) -> Customer:
    """The caller's customer, for the customer endpoints: ONE gate, each endpoint naming what
    the user must be allowed (`may`, refused with `refusal`) and whether its key needs the `pay`
    scope (every change does). Staff and users of no customer are refused (403)."""
    caller = caller_of(request)
    user = caller.user
    customer = getattr(user, "customer", None)
    if user.is_staff or customer is None:
        raise ApiError(
            403, "permission_denied", "These endpoints are for portal users; staff use /staff/."
        )
    if pay_scope and ApiScope.PAY not in caller.scopes:
        raise ApiError(403, "insufficient_scope", "This API key has no `pay` scope.")
    if not may(user):
        raise ApiError(403, "permission_denied", refusal)
    return customer


def billing_customer(request: HttpRequest, *, write: bool = False) -> Customer:
    """The caller's customer for the billing endpoints (the billing profile, saved payment
    methods, automatic top-up, low-balance alerts): the one rule of who may manage billing
    (paydesk.accounts.billing_managers); a change needs the key's `pay` scope."""
    return portal_customer(
        request, pay_scope=write, may=may_manage_own_billing, refusal=NO_BILLING_MESSAGE
    )


def _caller_or_none(request: HttpRequest) -> Caller | None:
    caller = getattr(request, "auth", None)
    return caller if isinstance(caller, Caller) else None


def _key_caller(plain: str) -> Caller:
    key = api_key_authenticate(plain=plain)
    if key is None:
        raise AuthenticationError(401, "This API key is not valid or has been revoked.")
    return Caller(user=key.user, api_key=key, scopes=frozenset(key.scopes))


class BearerKey(HttpBearer):
    """`Authorization: Bearer pd_<prefix>_<secret>`."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        return _key_caller(token)


class HeaderKey(APIKeyHeader):
    """`X-Api-Key: pd_<prefix>_<secret>`."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        return _key_caller(key) if key else None


class Session(APIKeyCookie):
    """The portal or back-office session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)  # checked below, only when the session is what is used

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if _has_key_header(request):
            return None
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if not second_factor_satisfied(request):
            return None  # signed in with the password only: the second factor is still owed
        if check_csrf(request) is not None:
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."
            )
        return Caller(user=user, api_key=None, scopes=frozenset(ApiScope.values))


def _has_key_header(request: HttpRequest) -> bool:
    return bool(request.headers.get("Authorization") or request.headers.get("X-Api-Key"))


API_AUTH = [BearerKey(), HeaderKey(), Session()]


def _staff(caller: Caller | None) -> Caller | None:
    if caller is not None and not caller.user.is_staff:
        raise AuthorizationError(403, "These endpoints are for staff.")
    return caller


class StaffBearerKey(BearerKey):
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        return _staff(super().authenticate(request, token))


class StaffHeaderKey(HeaderKey):
    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        return _staff(super().authenticate(request, key))


class StaffSession(Session):
    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        return _staff(super().authenticate(request, key))


# Staff endpoints refuse a portal caller (403) before the request body is even read.
STAFF_AUTH = [StaffBearerKey(), StaffHeaderKey(), StaffSession()]


class CallerThrottle(AuthRateThrottle):
    """Requests per caller (each API key, or each signed-in user) and period, from the setting
    PAYDESK_API_RATE (`600/m` by default); past it, 429 with Retry-After. Counts live in the
    cache: set REDIS_URL when several app servers run.

    The window slides, as django-ninja's does (at most N requests in any period). With Redis it
    is one atomic script per request (web/ratelimit.py: the request times in a sorted set);
    otherwise django-ninja's own list of request times, read and written back in the cache."""

    scope = "paydesk_api"

    def __init__(self) -> None:
        super().__init__(rate="1/s")  # replaced on each request by the current setting
        self._answer = threading.local()  # what wait() says, per serving thread

    def allow_request(self, request: HttpRequest) -> bool:
        from django.conf import settings

        self.rate = settings.PAYDESK_API_RATE
        self.num_requests, self.duration = limit, duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request)
        if key is None or limit is None or duration is None:  # no key, or no rate: no limit
            return True
        counted = sliding_window(key, limit=limit, duration=duration)
        self._answer.counted = counted is not None
        if counted is None:
            return super().allow_request(request)
        allowed, count, left = counted
        # django-ninja's wait(): the time until the oldest request leaves the window, spread
        # over the places that frees (one, unless the rate was lowered meanwhile: then None).
        places = limit - count + 1
        self._answer.wait = left / places if places > 0 else None
        return allowed

    def wait(self) -> float | None:
        return self._answer.wait if self._answer.counted else super().wait()

    # None: not limited here — what ninja's SimpleRateThrottle (whose allow_request this
    # overrides) allows; its AuthRateThrottle's stub narrows the return to str.
    def get_cache_key(self, request: HttpRequest) -> str | None:  # type: ignore[override]
        caller = _caller_or_none(request)
        if caller is None:
            return None
        ident = f"key:{caller.api_key.prefix}" if caller.api_key else f"user:{caller.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
