"""The portal's automatic top-up and low-balance alerts (/billing/autotopup/, namespace
`autotopup`), for a portal user with *manage billing* (turning it on or changing it also needs
*make payments*: paydesk.autotopup.access): the settings and their recorded consent,
turning it on (review the exact consent text, tick, confirm), off, the alert thresholds, and
finishing in the browser a top-up the bank wanted the customer to confirm."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from paydesk.accounts.access import customer_required, manage_billing_required
from paydesk.accounts.models import Customer
from paydesk.accounts.payers import may_make_payments
from paydesk.autotopup.access import check_may_authorise, may_authorise
from paydesk.autotopup.alerts import alerts_set
from paydesk.autotopup.consent import (
    COOLDOWN_CHOICES,
    consent_review,
    terms_checked,
    topup_enable,
)
from paydesk.autotopup.models import BalanceAlert, Topup, TopupSettings, TopupStatus
from paydesk.autotopup.services import settings_for, topup_switch_off
from paydesk.checkout.forms import new_form_token
from paydesk.checkout.services import checkout_start
from paydesk.errors import GatewayError, PaydeskError, PermissionDenied
from paydesk.methods.services import saved_methods_list
from paydesk.money import plain_amount

FIELDS = ("threshold", "amount", "monthly_cap", "cooldown_minutes", "payment_method")


def _page(
    request: HttpRequest,
    customer: Customer,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    review: str = "",
    alerts_typed: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    current = settings_for(customer)
    problem = ""
    try:
        methods = saved_methods_list(customer=customer)
    except GatewayError as error:
        methods, problem = [], error.message
    currency = customer.currency
    if form is None:
        form = {
            "threshold": plain_amount(current.threshold, currency) if current.pk else "",
            "amount": plain_amount(current.amount, currency)
            if current.pk and current.amount
            else "",
            "monthly_cap": plain_amount(current.monthly_cap, currency)
            if current.pk and current.monthly_cap
            else "",
            "cooldown_minutes": str(current.cooldown_minutes),
            "payment_method": current.payment_method
            or next((m.id for m in methods if m.is_default), ""),
        }
    alerts = list(BalanceAlert.objects.filter(customer=customer))
    if alerts_typed is None:  # refused alerts keep what was typed: the saved would hide the typo
        alerts_typed = {
            "thresholds": ", ".join(plain_amount(a.threshold, currency) for a in alerts),
            "margin": plain_amount(alerts[0].margin, currency) if alerts else "5",
        }
    response = render(
        request,
        "autotopup/settings.html",
        {
            "nav": "billing",
            "current": current,
            "methods": methods,
            "problem": problem,
            "form": form,
            "errors": errors or {},
            "review": review,
            "currency": currency,
            "cooldowns": [(m, _cooldown_label(m)) for m in COOLDOWN_CHOICES],
            "alerts": alerts,
            "alert_thresholds": alerts_typed["thresholds"],
            "alert_margin": alerts_typed["margin"],
            "may_authorise": may_authorise(user=request.user, customer=customer),
            "consenter_may_pay": _consenter_may_pay(current, customer),
            "recent": Topup.objects.filter(customer=customer).select_related("payment")[:10],
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _consenter_may_pay(current: TopupSettings, customer: Customer) -> bool:
    """Whether the user who gave the consent on record may still make payments: the page says
    so when not (the consent stands: docs/autotopup.md, "Who may turn it on")."""
    by = current.consented_by
    return by is not None and may_make_payments(user=by, customer=customer)


def _cooldown_label(minutes: int) -> str:
    if minutes < 60:
        return _("%(n)d minutes") % {"n": minutes}
    hours = minutes // 60
    return _("1 hour") if hours == 1 else _("%(n)d hours") % {"n": hours}


@customer_required
@manage_billing_required
@require_http_methods(["GET", "POST"])
def topup_settings(request: HttpRequest, customer: Customer) -> HttpResponse:
    """GET: the page. POST `step=review`: the exact consent text for these terms; POST
    `step=confirm` with `consent` ticked: turn it on."""
    if request.method == "GET":
        return _page(request, customer)
    form = {name: request.POST.get(name, "").strip() for name in FIELDS}
    try:
        check_may_authorise(actor=request.user, customer=customer)
    except PermissionDenied as refused:
        return _page(request, customer, errors={"form": refused.message}, status=403)
    try:
        terms = terms_checked(customer=customer, **form)
        if request.POST.get("step") != "confirm":
            text = consent_review(customer=customer, user=request.user, terms=terms)
            return _page(request, customer, form=form, review=text)
        topup_enable(
            customer=customer,
            user=request.user,
            terms=terms,
            consent=request.POST.get("consent") == "on",
            shown_text=request.POST.get("consent_text", ""),
        )
    except PaydeskError as error:
        field = error.field if error.field in (*FIELDS, "consent") else "form"
        review = request.POST.get("consent_text", "") if field == "consent" else ""
        return _page(
            request, customer, form=form, errors={field: error.message}, review=review, status=422
        )
    messages.success(request, _("Automatic top-up is on."))
    return redirect("autotopup:settings")


@customer_required
@manage_billing_required
@require_POST
def topup_off(request: HttpRequest, customer: Customer) -> HttpResponse:
    topup_switch_off(customer=customer, actor=request.user, reason="Switched off in the portal.")
    messages.success(request, _("Automatic top-up is off."))
    return redirect("autotopup:settings")


@customer_required
@manage_billing_required
@require_POST
def alerts_save(request: HttpRequest, customer: Customer) -> HttpResponse:
    raw = request.POST.get("thresholds", "")
    margin = request.POST.get("margin", "")
    try:
        alerts_set(
            customer=customer,
            actor=request.user,
            thresholds=[part for part in raw.replace(";", ",").split(",")],
            margin=margin.strip() or "0",
        )
    except PaydeskError as error:
        where = f"alerts_{error.field}" if error.field in ("thresholds", "margin") else "alerts"
        return _page(
            request,
            customer,
            errors={where: error.message},
            alerts_typed={"thresholds": raw, "margin": margin},
            status=422,
        )
    messages.success(request, _("Your low-balance alerts are saved."))
    return redirect("autotopup:settings")


@customer_required
@require_http_methods(["GET", "POST"])
def topup_finish(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    """A top-up the bank wanted the customer to confirm: pay it now, on-session, with the same
    saved method (Make Payment's path: 3-D Secure in the browser). Needs *make payments*."""
    topup = Topup.objects.filter(
        pk=pk, customer=customer, status=TopupStatus.ACTION_REQUIRED
    ).first()
    if topup is None:
        raise Http404("No such automatic top-up to finish.")
    problem = ""
    if request.method == "POST":
        try:
            checkout = checkout_start(
                customer=customer,
                user=request.user,
                method="card",
                amount=topup.amount,
                currency=customer.currency,
                idempotency_key=request.POST.get("token", ""),
                saved_method=topup.payment_method,
            )
        except PaydeskError as error:
            problem = error.message
        else:
            if checkout.redirect_url:
                return redirect(checkout.redirect_url)
            return redirect("checkout:status", reference=checkout.payment.reference)
    return render(
        request,
        "autotopup/finish.html",
        {
            "nav": "billing",
            "topup": topup,
            "token": new_form_token(),
            "problem": problem,
            "currency": customer.currency,
        },
        status=422 if problem else 200,
    )
