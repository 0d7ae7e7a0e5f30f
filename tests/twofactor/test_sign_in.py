"""The second step of signing in: a code from the authenticator app, refused when wrong or
already used, its own lock after five wrong answers, recovery codes that work once each, and
every outcome in the audit log."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.settings import base
from paydesk.twofactor.models import RecoveryCode, SecondFactorLock
from paydesk.twofactor.recovery import recovery_code_normalize
from paydesk.twofactor.services import recovery_codes_generate
from paydesk.twofactor.totp import STEP, totp_code
from tests.factories import PASSWORD, StaffFactory
from tests.signin import authenticator_for, next_code

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/two-factor/verify/"


@pytest.fixture
def finance():
    return StaffFactory(staff_role="finance")


def signed_in_with_password(user) -> Client:
    """Through the real sign-in page: the password only."""
    client = Client()
    response = client.post("/backoffice/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def actions(user) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor=user, action__startswith="two_factor.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_right_code_lets_staff_in_and_is_audited(finance):
    device = authenticator_for(finance)
    client = signed_in_with_password(finance)
    before = client.session.session_key
    page = client.get(VERIFY + "?next=/backoffice/ledger/payment/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(
        VERIFY, {"code": next_code(device), "next": "/backoffice/ledger/payment/"}
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/ledger/payment/"
    assert client.session.session_key != before  # a new session key once verified
    assert client.get("/backoffice/").status_code == 200
    entry = AuditEntry.objects.get(action="two_factor.verify")
    assert entry.actor == finance and entry.after["factor"] == "authenticator"


def test_a_wrong_code_is_refused_and_counted(finance):
    device = authenticator_for(finance)
    client = signed_in_with_password(finance)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    assert client.get("/backoffice/").status_code == 302
    entry = AuditEntry.objects.get(action="two_factor.verify_failed")
    assert entry.actor == finance and entry.after == {
        "factor": "authenticator",
        "reason": "wrong",
        "failures": 1,
    }
    assert wrong not in str(entry.after)


def test_a_code_already_used_is_refused(finance):
    device = authenticator_for(finance)
    code = next_code(device)
    first = signed_in_with_password(finance)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = signed_in_with_password(finance)  # another sign-in, the same code replayed
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "already been used" in response.content.decode()
    assert second.get("/backoffice/").status_code == 302
    refused = AuditEntry.objects.get(action="two_factor.verify_failed")
    assert refused.after["reason"] == "reused"
    # The next code works.
    assert second.post(VERIFY, {"code": next_code(device)}).status_code == 302


def test_an_older_code_than_the_last_one_used_is_refused(finance):
    device = authenticator_for(finance)
    now = time.time()
    ahead = signed_in_with_password(finance)
    assert ahead.post(VERIFY, {"code": totp_code(device.key, at=now + STEP)}).status_code == 302
    behind = signed_in_with_password(finance)
    assert behind.post(VERIFY, {"code": totp_code(device.key, at=now)}).status_code == 200


def test_five_wrong_codes_lock_the_second_factor_even_for_the_right_code(finance):
    device = authenticator_for(finance)
    client = signed_in_with_password(finance)
    limit = base.PAYDESK_2FA_FAILURE_LIMIT
    assert limit == 5
    for attempt in range(1, limit + 1):
        response = client.post(VERIFY, {"code": "000000" if attempt % 2 else "ABCD-EFGH"})
        assert response.status_code == (429 if attempt == limit else 200), attempt
    assert "Too many wrong codes" in response.content.decode()
    # Locked: the right code, a fresh sign-in, a recovery code — all refused, none checked.
    response = signed_in_with_password(finance).post(VERIFY, {"code": next_code(device)})
    assert response.status_code == 429
    assert client.get(VERIFY).status_code == 429
    assert client.get("/backoffice/").status_code == 302
    assert actions(finance).count("two_factor.verify_failed") == limit
    assert actions(finance).count("two_factor.locked") == 1
    # When the lock has run out, the right code works again.
    SecondFactorLock.objects.filter(user=finance).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert client.post(VERIFY, {"code": next_code(device)}).status_code == 302
    assert client.get("/backoffice/").status_code == 200


def test_a_right_code_resets_the_count_of_wrong_ones(finance):
    device = authenticator_for(finance)
    client = signed_in_with_password(finance)
    for _ in range(base.PAYDESK_2FA_FAILURE_LIMIT - 1):
        client.post(VERIFY, {"code": "000000"})
    assert client.post(VERIFY, {"code": next_code(device)}).status_code == 302
    assert SecondFactorLock.objects.get(user=finance).failures == 0


def test_recovery_codes_work_once_each_and_are_stored_hashed(finance):
    authenticator_for(finance)
    codes = recovery_codes_generate(user=finance)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    for code in codes:
        plain = recovery_code_normalize(code)
        assert all(plain not in digest and code not in digest for digest in stored)
    first = signed_in_with_password(finance)
    response = first.post(VERIFY, {"code": codes[0].lower().replace("-", " ")})  # as typed
    assert response.status_code == 302
    assert first.get("/backoffice/").status_code == 200
    again = signed_in_with_password(finance)
    refused = again.post(VERIFY, {"code": codes[0]})
    assert refused.status_code == 200 and "That code is not right." in refused.content.decode()
    assert again.post(VERIFY, {"code": codes[1]}).status_code == 302
    used = AuditEntry.objects.filter(action="two_factor.verify", actor=finance).order_by("id")
    assert [e.after["factor"] for e in used] == ["recovery_code", "recovery_code"]
    assert [e.after["recovery_codes_left"] for e in used] == [9, 8]
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 2


def test_new_recovery_codes_replace_the_old_ones(finance):
    authenticator_for(finance)
    old = recovery_codes_generate(user=finance)
    new = recovery_codes_generate(user=finance)
    assert signed_in_with_password(finance).post(VERIFY, {"code": old[0]}).status_code == 200
    assert signed_in_with_password(finance).post(VERIFY, {"code": new[0]}).status_code == 302
    assert actions(finance).count("two_factor.recovery_codes") == 2


def test_next_must_be_a_page_of_ours(finance):
    device = authenticator_for(finance)
    client = signed_in_with_password(finance)
    response = client.post(VERIFY, {"code": next_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/backoffice/"


def test_signing_out_needs_no_second_factor(finance):
    authenticator_for(finance)
    client = signed_in_with_password(finance)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session
