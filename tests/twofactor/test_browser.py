"""Two-factor sign-in in a real browser (Debian's Chromium through Playwright): a new staff
member sets up an authenticator app from the secret on the page, signs out, signs in with a
code, is refused a wrong or reused code, and uses recovery codes once each; a passkey is added
and used through Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain).
The CSP refuses nothing on the way.

PAYDESK_SCREENSHOTS=docs/screenshots retakes the README's picture of the set-up page.
"""

from __future__ import annotations

import os

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from paydesk.audit.models import AuditEntry
from paydesk.twofactor.models import AuthenticatorDevice
from paydesk.twofactor.totp import totp_code, totp_key_from_secret
from tests.conftest import chromium_launched
from tests.factories import PASSWORD, StaffFactory
from tests.signin import authenticator_for, browser_sign_in, next_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PAYDESK_SCREENSHOTS", "")


@pytest.fixture
def browser(monkeypatch):
    with chromium_launched(monkeypatch) as browser:
        yield browser


def new_page(browser, *, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.console_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and page.console_errors.append(message.text)
        ),
    )
    # Refused by the CSP, or a missing asset (the admin has no favicon link: the browser's own
    # /favicon.ico guess is not ours to count). 4xx answers of the pages under test are expected
    # (a wrong code), so only assets count.
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and response.request.resource_type in ("stylesheet", "script", "image", "fetch")
            and not response.url.endswith("/favicon.ico")
            and page.console_errors.append(f"{response.status} {response.url}")
        ),
    )
    return page


def password_step(page, base: str, email: str) -> None:
    page.goto(f"{base}/backoffice/login/?next=/backoffice/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


def sign_out(page, base: str) -> None:
    page.goto(f"{base}/backoffice/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def code_step(page, code: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def test_a_new_staff_member_enrols_an_app_and_signs_in_with_codes(live_server, browser):
    base = live_server.url
    finance = StaffFactory(staff_role="finance", full_name="Fran Finance")
    page = new_page(browser)

    # The password alone leads to setting up a second factor, not to the back office.
    password_step(page, base, finance.email)
    assert page.url == f"{base}/accounts/two-factor/?next=%2Fbackoffice%2F"
    assert "Set up a second factor to continue" in page.locator("main").inner_text()
    page.get_by_role("link", name="Add an authenticator app").click()
    page.wait_for_load_state()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    assert secret and page.locator("img.qr").evaluate("img => img.naturalWidth > 0")
    key = totp_key_from_secret(secret)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "two-factor-enrol.png"), full_page=True)
    enrol_code = totp_code(key)
    page.get_by_label("Name").fill("Work phone")
    page.get_by_label("Code from the app").fill(enrol_code)
    page.get_by_role("button", name="Confirm and turn on").click()
    page.wait_for_load_state()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url(f"{base}/backoffice/")
    device = AuthenticatorDevice.objects.get(user=finance)
    assert device.name == "Work phone"

    # Signed out and in again: the code that confirmed the app is refused (already used), a
    # wrong code too, then a fresh code lets the member in.
    sign_out(page, base)
    password_step(page, base, finance.email)
    assert page.url.startswith(f"{base}/accounts/two-factor/verify/")
    code_step(page, enrol_code)
    assert "already been used" in page.locator("main").inner_text()
    wrong = f"{(int(next_code(device)) + 500_000) % 1_000_000:06d}"
    code_step(page, wrong)
    assert "That code is not right." in page.locator("main").inner_text()
    assert page.url.startswith(f"{base}/accounts/two-factor/verify/")
    code_step(page, next_code(device))
    page.wait_for_url(f"{base}/backoffice/")

    # Recovery codes: each works once.
    sign_out(page, base)
    password_step(page, base, finance.email)
    code_step(page, codes[0])
    page.wait_for_url(f"{base}/backoffice/")
    assert "9 left" in page.locator(".messagelist, .messages").first.inner_text()
    sign_out(page, base)
    password_step(page, base, finance.email)
    code_step(page, codes[0])
    assert "That code is not right." in page.locator("main").inner_text()
    code_step(page, codes[1])
    page.wait_for_url(f"{base}/backoffice/")

    assert page.console_errors == []  # type: ignore[attr-defined]
    audited = list(
        AuditEntry.objects.filter(actor=finance, action__startswith="two_factor.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert audited == [
        "two_factor.enrol",
        "two_factor.recovery_codes",
        "two_factor.verify_failed",  # reused
        "two_factor.verify_failed",  # wrong
        "two_factor.verify",
        "two_factor.verify",  # recovery code 1
        "two_factor.verify_failed",  # recovery code 1 again
        "two_factor.verify",  # recovery code 2
    ]


def add_virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_a_passkey_is_added_and_then_signs_in(live_server, browser):
    base = live_server.url
    assert base.startswith("http://localhost:")  # passkeys need a host name, not an IP
    admin = StaffFactory(staff_role="admin")
    authenticator_for(admin)
    page = new_page(browser)
    add_virtual_authenticator(page)

    browser_sign_in(page, base, admin)  # the password, then an authenticator code
    page.wait_for_url(f"{base}/backoffice/")
    page.goto(f"{base}/accounts/two-factor/")
    page.get_by_role("button", name="Add a passkey").click()
    page.locator(".factor-list li", has_text="Passkey added").wait_for(timeout=15_000)
    credential = WebAuthnCredential.objects.get(user=admin)
    assert credential.confirmed
    enrolled = AuditEntry.objects.get(action="two_factor.enrol", actor=admin)
    assert enrolled.after["factor"] == "passkey"

    sign_out(page, base)
    password_step(page, base, admin.email)
    assert page.url.startswith(f"{base}/accounts/two-factor/verify/")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/backoffice/", timeout=15_000)
    assert "Paydesk back office" in page.title()
    used = AuditEntry.objects.filter(action="two_factor.verify", actor=admin).latest("id")
    assert used.after["factor"] == "passkey"
    assert page.console_errors == []  # type: ignore[attr-defined]
