"""The demo's receiver of Paydesk's outgoing webhooks (/sandbox/receiver/): it plays a provider's
billing system. It checks each signature with its own code, as a receiver would (it imports
nothing of Paydesk's signing: docs/outgoing-webhooks.md is all it knows), keeps what it got in a
file under the var directory (shared by every server process), and shows it. A switch takes it
down (it answers 503) and brings it back, to watch Paydesk retry.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

TOLERANCE = 300  # seconds
SHOWN = 50


def _log_path() -> Path:
    return Path(settings.VAR_DIR) / "sandbox-receiver.jsonl"


def _down_path() -> Path:
    return Path(settings.VAR_DIR) / "sandbox-receiver.down"


def signature_valid(secret: str, header: str, body: bytes, now: float) -> bool:
    fields = {}
    for part in header.split(","):
        name, _sep, value = part.partition("=")
        fields[name.strip()] = value.strip()
    if not fields.get("t", "").isdigit() or abs(now - int(fields["t"])) > TOLERANCE:
        return False
    mac = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields.get("v1", ""))


def _append(entry: dict) -> None:
    path = _log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(json.dumps(entry, ensure_ascii=False) + "\n")


def received() -> list[dict]:
    """What arrived, newest first; the de-duplicated view marks repeats of an id."""
    path = _log_path()
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    seen: set[str] = set()
    for entry in entries:
        entry["repeat"] = entry["id"] in seen
        seen.add(entry["id"])
    return entries[::-1][:SHOWN]


def _page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sandbox/receiver.html",
        {"entries": received(), "down": _down_path().exists()},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receiver(request: HttpRequest) -> HttpResponse:
    """Paydesk posts its webhooks here (open: Paydesk signs them); the page showing them (GET)
    is for staff (sandbox/urls.py opens only the POST)."""
    if request.method == "GET":
        return _page(request)
    if _down_path().exists():
        return HttpResponse("Receiver is down (sandbox switch).", status=503)
    body = request.body
    secret = settings.PAYDESK_SANDBOX_RECEIVER_SECRET
    header = request.headers.get("Paydesk-Signature", "")
    verified = signature_valid(secret, header, body, time.time())
    try:
        event = json.loads(body)
    except ValueError:
        event = {}
    _append(
        {
            "id": str(event.get("id", "?")),
            "type": str(event.get("type", "?")),
            "verified": verified,
            "at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "body": json.dumps(event, indent=2, ensure_ascii=False)
            if event
            else body.decode("utf-8", "replace")[:2000],
        }
    )
    if not verified:
        return HttpResponse("Signature does not verify.", status=400)
    return HttpResponse("Received.", status=200)


@require_POST
def receiver_switch(request: HttpRequest) -> HttpResponse:
    if request.POST.get("state") == "down":
        _down_path().parent.mkdir(parents=True, exist_ok=True)
        _down_path().touch()
    else:
        _down_path().unlink(missing_ok=True)
    return redirect("sandbox:receiver")
