"""api.auth.caller_of: how endpoints read the caller that django-ninja's authenticators set on
`request.auth` (an attribute Django's HttpRequest does not declare)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from ninja.errors import AuthenticationError

from paydesk.api.auth import Caller, caller_of
from paydesk.api.models import ApiScope


def test_the_caller_set_by_the_authenticators_is_what_endpoints_read(portal_user):
    request = RequestFactory().get("/api/v1/balance")
    caller = Caller(user=portal_user, api_key=None, scopes=frozenset({ApiScope.READ}))
    request.auth = caller
    assert caller_of(request) is caller


@pytest.mark.parametrize("auth", ["missing", None, "pd_0123abcd_secret", 42])
def test_anything_else_on_the_request_is_refused_with_401(auth):
    request = RequestFactory().get("/api/v1/balance")
    if auth != "missing":
        request.auth = auth
    with pytest.raises(AuthenticationError) as refused:
        caller_of(request)
    assert refused.value.status_code == 401
