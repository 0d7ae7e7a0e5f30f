"""Issue 13, finding 12: removing a second factor asks first (the page's forms carry the question
that paydesk/ui.js puts to the user; the API keys' browser test shows the script asking)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import StaffFactory
from tests.signin import authenticator_for, sign_in

pytestmark = pytest.mark.django_db


def test_each_remove_button_asks_before_it_removes():
    user = StaffFactory(staff_role="finance")
    device = authenticator_for(user)
    html = sign_in(Client(), user).get("/accounts/two-factor/").content.decode()
    assert "paydesk/ui.js" in html
    assert f'data-confirm="Remove “{device.name}”? It will no longer sign you in."' in html
