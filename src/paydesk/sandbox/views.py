"""The sandbox's control page: its switches and the webhooks it sent or holds, with buttons to
release held ones and to let the bank authorise late the Razorpay payments waiting for it. The
sandbox exists only in the demo and the tests (never in production)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import switch_set, webhooks_release
from paydesk.sandbox.models import (
    CASE_SWITCHES,
    ApiFault,
    SandboxWebhook,
    Switches,
    WebhookMode,
)
from paydesk.sandbox.razorpay.payments import late_authorise


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest) -> HttpResponse:
    switches = Switches.current()
    if request.method == "POST":
        _act(request, switches)
        return redirect("sandbox:control")
    return render(
        request,
        "sandbox/control.html",
        {
            "switches": switches,
            "modes": WebhookMode.choices,
            "faults": ApiFault.choices,
            "cases": [
                (
                    name,
                    getattr(Switches._meta.get_field(name), "help_text", ""),
                    getattr(switches, name),
                )
                for name in CASE_SWITCHES
            ],
            "webhooks": SandboxWebhook.objects.all()[:50],
        },
    )


def _act(request: HttpRequest, switches: Switches) -> None:
    """One press of the page's buttons: release, late-authorise, or save every switch (an
    unticked box is off, as a browser sends nothing for it)."""
    action = request.POST.get("action", "")
    if action == "release":
        count = webhooks_release()
        messages.success(request, f"Released {count} held webhook(s).")
        return
    if action == "late_authorise":
        moved = late_authorise()
        messages.success(request, f"Late-authorised {len(moved)} Razorpay payment(s).")
        return
    mode = request.POST.get("webhook_mode", switches.webhook_mode)
    fault = request.POST.get("api_fault", switches.api_fault)
    if mode not in WebhookMode.values or fault not in ApiFault.values:
        return
    switches.webhook_mode, switches.api_fault = mode, fault
    switches.fault_gateway = request.POST.get("fault_gateway", "")[:20]
    switches.save(update_fields=["webhook_mode", "api_fault", "fault_gateway"])
    for name in CASE_SWITCHES:
        switch_set(name, request.POST.get(name) == "on")
    messages.success(request, "Sandbox switches saved.")
