"""Signing users in, in tests, past the second factor — without switching anything off.

Paydesk sends a staff session that has not passed a second factor to verify it before any page
(paydesk.twofactor). A test that is not about sign-in calls `sign_in(client, user)`; for staff
that is `verified_login`: Django's `force_login`, then exactly what the verify page does after a
right code (`django_otp.login`), binding the session to a confirmed authenticator app of the
user's, created with TEST_TOTP_SECRET when they have none. Browser tests sign in through the
real pages with `browser_sign_in`, typing the password and then a code computed from that
secret.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import django_otp
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest
from django.test import Client

from paydesk.twofactor.models import AuthenticatorDevice
from paydesk.twofactor.totp import STEP, totp_code, totp_key_from_secret
from tests.factories import PASSWORD, StaffFactory

# A made-up secret for test users' authenticator apps (base32, 20 bytes).
TEST_TOTP_SECRET = "TESTSECRETTESTSECRETTESTSECRET22"


def authenticator_for(user: Any) -> AuthenticatorDevice:
    """The user's confirmed authenticator app, made with TEST_TOTP_SECRET if they have none."""
    device = AuthenticatorDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = AuthenticatorDevice.objects.create(
            user=user,
            name="Test authenticator",
            key=totp_key_from_secret(TEST_TOTP_SECRET),
            confirmed=True,
        )
    return device


def verified_login(client: Client, user: Any, backend: str | None = None) -> AuthenticatorDevice:
    """Sign `user` in on `client` with a session that has passed the second factor."""
    client.force_login(user, backend)
    device = authenticator_for(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session.save()
    assert request.session[SESSION_KEY] == str(user.pk)
    return device


def sign_in(client: Client, user: Any, backend: str | None = None) -> Client:
    """Sign `user` in as far as their role needs: staff past the second factor, a portal user
    (for whom it is optional) with the password alone. Returns the client."""
    if getattr(user, "is_staff", False):
        verified_login(client, user, backend)
    else:
        client.force_login(user, backend)
    return client


def fresh_code(user: Any) -> str:
    """A code that has never been used: from a new authenticator app of the user's (another
    secret), so a test that signs the same user in several times never waits for the next step."""
    device = AuthenticatorDevice.objects.create(
        user=user,
        name=f"Test authenticator {secrets.token_hex(4)}",
        key=secrets.token_hex(20),
        confirmed=True,
    )
    return totp_code(device.key)


def next_code(device: AuthenticatorDevice) -> str:
    """A code the device will accept now: the current step's, or the next one's when the current
    one was already used (one step ahead is within the tolerance); waits if even that is used."""
    device.refresh_from_db()
    while True:
        now = time.time()
        step = max(int(now) // STEP, device.last_t + 1)
        if step <= int(now) // STEP + 1:
            return totp_code(device.key, at=step * STEP)
        time.sleep(1)


def browser_sign_in(
    page: Any, base: str, user: Any, *, path: str = "/backoffice/login/", password: str = PASSWORD
) -> None:
    """Sign in through the real pages: the password, then (for a user with an authenticator
    app, which staff are given) a fresh code on the second-factor page."""
    if getattr(user, "is_staff", False):
        authenticator_for(user)
    page.goto(f"{base}{path}")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[type=submit], button[type=submit]").last.click()
    page.wait_for_load_state()
    if "/accounts/two-factor/verify/" in page.url:
        page.locator("input[name=code]").fill(next_code(authenticator_for(user)))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()


def sandbox_staff() -> Client:
    """A client signed in as staff (support, the least role): the sandbox's switches page, its
    gateway panels and the receiver's page are for staff (paydesk.sandbox.access)."""
    return sign_in(Client(), StaffFactory(staff_role="support"))


def sandbox_staff_tab(page: Any, base: str) -> Any:
    """A tab of its own (its own cookies, in `page`'s browser) signed in as staff through the
    real pages, for the sandbox's switches page while `page` stays the customer's."""
    tab = page.context.browser.new_page(viewport=page.viewport_size)
    browser_sign_in(tab, base, StaffFactory(staff_role="support"))
    return tab
