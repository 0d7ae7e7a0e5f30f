"""Issue 13, finding 12: a new staff API key has a Copy button (a static script: the CSP refuses
inline script), and revoking a key asks first; axe-core finds no blocking violation."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import User
from paydesk.api.models import ApiKey
from tests.axe import assert_accessible
from tests.backoffice.browser import chromium, demo, open_page, staff_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_staff_key_is_copied_and_a_revoke_asks_first(live_server, chromium, demo):  # noqa: F811
    page = staff_page(chromium, live_server, "finance@example.com")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_page(page, "/api-keys/", "api-keys")
    page.get_by_label("Name").fill("reconciliation script")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_load_state()
    key = page.locator("#new-key").input_value()
    assert key.startswith("pd_")

    copy = page.get_by_role("button", name="Copy the new key")
    assert copy.is_visible()
    copy.click()
    page.locator("[data-copy-status]", has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert_accessible(page, "the API keys page with a new key")

    finance = User.objects.get(email="finance@example.com")
    revoke = page.get_by_role("button", name="Revoke reconciliation script")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.once("dialog", lambda dialog: answer(dialog, False))
    revoke.click()  # returns once the dialog is answered and the submit event is over
    assert asked and "cannot be undone" in asked[0]
    assert posts == []
    assert ApiKey.objects.get(user=finance, name="reconciliation script").revoked_at is None

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        revoke.click()
    assert ApiKey.objects.get(user=finance, name="reconciliation script").revoked_at is not None
