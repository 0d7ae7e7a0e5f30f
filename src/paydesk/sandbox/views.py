"""The sandbox's control page: its switches and the webhooks it sent or holds, with a button to
release held ones. The sandbox exists only in the demo and the tests (never in production)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import webhooks_release
from paydesk.sandbox.models import ApiFault, SandboxWebhook, Switches, WebhookMode


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest) -> HttpResponse:
    switches = Switches.current()
    if request.method == "POST":
        if request.POST.get("action") == "release":
            count = webhooks_release()
            messages.success(request, f"Released {count} held webhook(s).")
            return redirect("sandbox:control")
        mode = request.POST.get("webhook_mode", switches.webhook_mode)
        fault = request.POST.get("api_fault", switches.api_fault)
        if mode in WebhookMode.values and fault in ApiFault.values:
            switches.webhook_mode, switches.api_fault = mode, fault
            switches.fault_gateway = request.POST.get("fault_gateway", "")[:20]
            switches.save()
            messages.success(request, "Sandbox switches saved.")
        return redirect("sandbox:control")
    return render(
        request,
        "sandbox/control.html",
        {
            "switches": switches,
            "modes": WebhookMode.choices,
            "faults": ApiFault.choices,
            "webhooks": SandboxWebhook.objects.all()[:50],
        },
    )
