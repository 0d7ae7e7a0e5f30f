"""quality.md S2 (no state change without a CSRF token) and S3 (cookies and headers)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import PASSWORD, PortalUserFactory, StaffFactory
from tests.security.urlsweep import routes

pytestmark = pytest.mark.django_db

# Routes that take POSTs from outside a browser session, each verified another way.
CSRF_EXEMPT: dict[str, str] = {
    "webhook": "gateways post without a session; the gateway's signature on the raw body is "
    "checked instead (paydesk.checkout.webhooks)",
}


def _unsigned_posts_are_refused_and_logged(route, caplog) -> None:
    """An exempt route must refuse a POST that carries no signature, and log it."""
    from paydesk.checkout.models import PaymentLogEntry
    from paydesk.checkout.webhooks import RECEIVERS

    for gateway, receiver in RECEIVERS.items():
        # Every secret set, so the refusal is the signature check's, not a missing setting's.
        with override_settings(**{receiver.secret_setting: "a-configured-secret"}):
            caplog.clear()
            response = Client(enforce_csrf_checks=True).post(
                route.path({"gateway": gateway}),
                data=b'{"id": "evt_1"}',
                content_type="application/json",
            )
        assert response.status_code in (400, 401, 403), (gateway, response.status_code)
        assert PaymentLogEntry.objects.filter(
            gateway=receiver.gateway, signature_valid=False
        ).exists(), gateway
        assert f"Refused a {gateway} webhook" in caplog.text, gateway


@pytest.mark.parametrize("route", routes(), ids=lambda r: r.name or r.regex)
def test_every_post_without_a_csrf_token_is_refused(route, caplog):
    if route.name in CSRF_EXEMPT:
        _unsigned_posts_are_refused_and_logged(route, caplog)
        return
    if route.is_sandbox_api:
        # A pretend gateway's API, exempt like the real one: without the gateway's key (or for
        # a GET-only endpoint) the POST changes nothing.
        response = Client(enforce_csrf_checks=True).post(route.path({}), {"total": "1"})
        assert response.status_code in (400, 401, 403, 404, 405), (
            route.regex,
            response.status_code,
        )
        return
    user = StaffFactory(staff_role="admin") if route.is_backoffice else PortalUserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(route.path({}), {"description": "x", "total": "1"})
    if response.status_code == 405 and route.regex.startswith("api/"):
        # An API route without a POST operation (ninja answers 405 itself): nothing to change.
        assert "POST" not in response.headers.get("Allow", ""), route.regex
        return
    assert response.status_code == 403, (route.regex, response.status_code)


def _pages_for(user):
    client = Client()
    client.force_login(user)
    for route in routes():
        if route.kwargs or route.is_backoffice != user.is_staff:
            continue
        yield route, client.get(route.path({}))


@pytest.mark.parametrize("kind", ["portal", "staff", "anonymous"])
def test_security_headers_on_every_page(kind):
    if kind == "anonymous":
        client = Client()
        responses = [(r, client.get(r.path({}))) for r in routes() if not r.kwargs]
    else:
        user = StaffFactory(staff_role="admin") if kind == "staff" else PortalUserFactory()
        responses = list(_pages_for(user))
    assert responses
    for route, response in responses:
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, route.regex
        assert "script-src 'self'" in csp, route.regex
        assert response.headers.get("X-Frame-Options") == "DENY", route.regex
        assert response.headers.get("X-Content-Type-Options") == "nosniff", route.regex


def test_session_and_csrf_cookies_are_secure_httponly_samesite():
    user = PortalUserFactory()
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


def test_production_settings_insist_on_secure_cookies_and_refuse_the_demo(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/p")
    monkeypatch.setenv("PAYDESK_SECURE_COOKIES", "0")
    sys.modules.pop("paydesk.settings.production", None)
    production = importlib.import_module("paydesk.settings.production")
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.DEBUG is False and production.PAYDESK_DEMO is False
    monkeypatch.setenv("PAYDESK_DEMO", "1")
    sys.modules.pop("paydesk.settings.production", None)
    with pytest.raises(ImproperlyConfigured):
        importlib.import_module("paydesk.settings.production")
    sys.modules.pop("paydesk.settings.production", None)


def test_production_settings_refuse_the_gateway_sandbox(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/p")
    sys.modules.pop("paydesk.settings.production", None)
    production = importlib.import_module("paydesk.settings.production")
    assert production.PAYDESK_SANDBOX is False
    assert "paydesk.sandbox" not in production.INSTALLED_APPS
    # The sandbox's made-up keys (settings/sandbox.py) never reach production settings.
    assert production.PAYDESK_STRIPE_SECRET_KEY != "sk_test_paydesk_sandbox"
    monkeypatch.setenv("PAYDESK_SANDBOX", "1")
    sys.modules.pop("paydesk.settings.production", None)
    with pytest.raises(ImproperlyConfigured, match="sandbox"):
        importlib.import_module("paydesk.settings.production")
    sys.modules.pop("paydesk.settings.production", None)


def test_the_sandbox_is_not_routed_when_switched_off(settings):
    import importlib

    from django.urls import clear_url_caches

    import paydesk.urls

    settings.PAYDESK_SANDBOX = False
    try:
        reloaded = importlib.reload(paydesk.urls)
        assert not any(str(p.pattern).startswith("sandbox/") for p in reloaded.urlpatterns)
    finally:
        settings.PAYDESK_SANDBOX = True
        importlib.reload(paydesk.urls)
        clear_url_caches()


def _production_settings(monkeypatch, **env: str):
    import importlib
    import sys

    import paydesk.settings

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/p")
    for name in ("PAYDESK_TRUSTED_PROXIES", "PAYDESK_HSTS_INCLUDE_SUBDOMAINS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # base.py reads the environment once: a fresh copy of it for these variables, then the
    # suite's own back in its place.
    kept = sys.modules.pop("paydesk.settings.base")
    sys.modules.pop("paydesk.settings.production", None)
    try:
        return importlib.import_module("paydesk.settings.production")
    finally:
        sys.modules.pop("paydesk.settings.production", None)
        sys.modules["paydesk.settings.base"] = kept
        paydesk.settings.base = kept


def test_production_believes_x_forwarded_proto_only_behind_a_configured_proxy(monkeypatch):
    """Without a proxy (PAYDESK_TRUSTED_PROXIES=0, the default) X-Forwarded-Proto is whatever
    the client sent: a plain-HTTP request saying `https` was taken for HTTPS (no redirect, and
    Django's CSRF origin check read it as secure). Behind HAProxy, which sets the header itself,
    it is believed."""
    assert _production_settings(monkeypatch).SECURE_PROXY_SSL_HEADER is None
    behind = _production_settings(monkeypatch, PAYDESK_TRUSTED_PROXIES="1")
    assert behind.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_hsts_include_subdomains_is_an_environment_setting_off_by_default(monkeypatch):
    default = _production_settings(monkeypatch)
    assert default.SECURE_HSTS_SECONDS == 31536000
    assert default.SECURE_HSTS_INCLUDE_SUBDOMAINS is False
    on = _production_settings(monkeypatch, PAYDESK_HSTS_INCLUDE_SUBDOMAINS="1")
    assert on.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
