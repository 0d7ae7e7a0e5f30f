"""Back-office views that move money: add a payment, complete or cancel pending ones (one at a
time or in bulk), and the staff CSV.

Every write goes through paydesk.ledger.services with `actor=request.user` (which audits it),
staff entries and completions through paydesk.credits.services (four eyes on manual credits);
these views only check the role, collect input and report what the services said.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from paydesk.audit.services import audit_record
from paydesk.backoffice.admin_base import exported_changelist, guarded_object
from paydesk.backoffice.exports import staff_payments_csv
from paydesk.backoffice.forms import (
    PaymentAddForm,
    PaymentCancelForm,
    PaymentCompleteForm,
    add_service_error,
    new_form_token,
)
from paydesk.backoffice.roles import can_move_money
from paydesk.banktransfers.selectors import is_incoming_transfer
from paydesk.checkout.services import online_gateway_for, payment_status_refresh
from paydesk.credits.selectors import credit_approval_of, credit_threshold
from paydesk.credits.services import is_held, staff_payment_add, staff_payment_complete
from paydesk.errors import InsufficientCredit, InvalidTransition, PaydeskError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import partly_received_words
from paydesk.ledger.services import payment_cancel
from paydesk.methods.in_transit import AWAITING_BANK_REFUSAL, is_awaiting_bank
from paydesk.money import format_money
from paydesk.notifications.services import notify_payment_received

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from paydesk.backoffice.admin_payments import PaymentAdmin

BULK_LIMIT = 500
OVERDRAFT_HINT = " Tick “Allow overdraft” to record it anyway."


def _page(
    model_admin: PaymentAdmin, request: HttpRequest, template: str, **context: Any
) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "app_label": model_admin.opts.app_label,
            **context,
        },
    )


def _payment_url(payment: Payment) -> str:
    return reverse("backoffice:ledger_payment_change", args=[payment.pk])


def payment_add(model_admin: PaymentAdmin, request: HttpRequest) -> HttpResponse:
    """Spec §8 "Add payment": a top-up or purchase recorded by Finance, once per form token."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    site = model_admin.admin_site
    if request.method == "POST":
        form = PaymentAddForm(request.POST, admin_site=site)
        if form.is_valid():
            payment = _payment_add_submit(request, form)
            if payment is not None:
                return HttpResponseRedirect(_payment_url(payment))
    else:
        initial = {"status": PaymentStatus.COMPLETED, "form_token": new_form_token()}
        if request.GET.get("customer", "").isdigit():
            initial["customer"] = request.GET["customer"]
        form = PaymentAddForm(initial=initial, admin_site=site)
    return _page(
        model_admin,
        request,
        "backoffice/payment_add.html",
        title=_("Add payment"),
        form=form,
        media=model_admin.media + form.media,
    )


def _payment_add_submit(request: HttpRequest, form: PaymentAddForm) -> Payment | None:
    data = form.cleaned_data
    customer = data["customer"]
    key = f"backoffice:{data['form_token']}"
    earlier = Payment.objects.filter(customer=customer, idempotency_key=key).first()
    if earlier is not None:
        messages.warning(
            request,
            _("This form was already submitted: payment %s was recorded once.") % earlier.reference,
        )
        return earlier
    try:
        # The confirmation is queued in the payment's own transaction and sent after it commits.
        with transaction.atomic():
            payment = staff_payment_add(
                customer=customer,
                total=data["total"],
                description=data["description"],
                status=data["status"],
                fee=data["fee"] or None,
                allow_overdraft=data["allow_overdraft"],
                idempotency_key=key,
                email_confirmation=data["email_confirmation"],
                actor=request.user,
            )
            queued = notify_payment_received(payment=payment) if data["email_confirmation"] else 0
    except InsufficientCredit as exc:
        form.add_error("total", exc.message + OVERDRAFT_HINT)
        return None
    except PaydeskError as exc:
        add_service_error(form, exc)
        return None
    amount = format_money(payment.total, customer.currency)
    if is_held(payment):
        threshold = credit_threshold(customer.currency)
        above = (
            _("is above the four-eyes threshold")
            if payment.total > threshold
            else _(
                "brings what you credited by hand in %(currency)s in the last 24 hours above "
                "the four-eyes threshold of %(threshold)s"
            )
            % {
                "currency": customer.currency,
                "threshold": format_money(threshold, customer.currency),
            }
        )
        messages.warning(
            request,
            _(
                "Payment %(ref)s of %(amount)s for %(customer)s %(above)s: it is pending until "
                "a second Finance user approves it%(email)s."
            )
            % {
                "ref": payment.reference,
                "amount": amount,
                "customer": customer.name,
                "above": above,
                "email": _(" (the confirmation email goes then)")
                if data["email_confirmation"]
                else "",
            },
        )
        return payment
    messages.success(
        request,
        _("Payment %(ref)s of %(amount)s for %(customer)s recorded as %(status)s.")
        % {
            "ref": payment.reference,
            "amount": amount,
            "customer": customer.name,
            "status": payment.get_status_display().lower(),
        },
    )
    if data["email_confirmation"]:
        _confirmation_message(request, payment, queued)
    return payment


def _confirmation_message(request: HttpRequest, payment: Payment, queued: int) -> None:
    if payment.status != PaymentStatus.COMPLETED:
        messages.warning(request, _("No confirmation email: the payment is not completed."))
    elif not queued:
        messages.warning(request, _("No confirmation email: this customer has no contacts."))
    else:
        messages.info(
            request,
            ngettext(
                "A confirmation email goes to %d contact.",
                "A confirmation email goes to %d contacts.",
                queued,
            )
            % queued,
        )


def _pending_or_redirect(
    model_admin: PaymentAdmin, request: HttpRequest, object_id: str
) -> Payment | HttpResponse:
    return guarded_object(
        model_admin,
        request,
        object_id,
        may_act=can_move_money,
        missing=_("No such payment."),
        list_url=reverse("backoffice:ledger_payment_changelist"),
        ready=lambda payment: payment.status == PaymentStatus.PENDING,
        not_ready=lambda payment: (
            _("Payment %(ref)s is %(status)s: only a pending payment can change.")
            % {"ref": payment.reference, "status": payment.get_status_display().lower()}
        ),
        object_url=_payment_url,
    )


def payment_complete_one(
    model_admin: PaymentAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Complete one pending payment, optionally with the amount actually received."""
    payment = _pending_or_redirect(model_admin, request, object_id)
    if isinstance(payment, HttpResponse):
        return payment
    if is_incoming_transfer(payment):
        # Bank transfers complete with the amount received, under the two-person rule (§6).
        return HttpResponseRedirect(
            reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk])
        )
    if is_awaiting_bank(payment):  # Stripe completes or cancels it: never by hand
        messages.error(request, AWAITING_BANK_REFUSAL.format(reference=payment.reference))
        return HttpResponseRedirect(_payment_url(payment))
    if is_held(payment):  # four eyes: approved or refused on its own page
        return HttpResponseRedirect(
            reverse("backoffice:credits_creditawaitingapproval_change", args=[payment.pk])
        )
    received = partly_received_words(payment)
    currency = payment.customer.currency
    form = PaymentCompleteForm(request.POST or None, partly_received=received, currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            done = staff_payment_complete(
                payment=payment.pk,
                total=form.cleaned_data["total"] or None,
                allow_overdraft=form.cleaned_data["allow_overdraft"],
                actor=request.user,
            )
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(_payment_url(payment))
        except InsufficientCredit as exc:
            form.add_error("total", exc.message + OVERDRAFT_HINT)
        except PaydeskError as exc:
            add_service_error(form, exc)
        else:
            if is_held(done):  # more than it expected, above the threshold: a request
                messages.warning(request, _completion_requested(done))
                return HttpResponseRedirect(
                    reverse("backoffice:credits_creditawaitingapproval_change", args=[done.pk])
                )
            messages.success(
                request,
                _("Payment %(ref)s completed: %(amount)s credited.")
                % {
                    "ref": done.reference,
                    "amount": format_money(done.total, done.customer.currency),
                },
            )
            return HttpResponseRedirect(_payment_url(done))
    return _page(
        model_admin,
        request,
        "backoffice/payment_action.html",
        title=_("Complete payment %s") % payment.reference,
        payment=payment,
        form=form,
        pending_amount=format_money(payment.total, currency),
        partly_received=received,
        submit_label=_("Complete payment"),
    )


def _completion_requested(payment: Payment) -> str:
    request = credit_approval_of(payment)
    currency = payment.customer.currency
    asked = request.requested_total if request is not None else None
    threshold = credit_threshold(currency)
    if asked is not None and asked <= threshold:  # within the threshold, beyond one's 24 hours
        why = _(
            "%(asked)s brings what you credited by hand in %(currency)s in the last 24 hours above"
        )
    elif asked is not None and asked > payment.total:
        why = _("%(asked)s is more than the %(expected)s it expected and above")
    else:  # at its total: money its gateway never confirmed
        why = _("%(asked)s of money its gateway never confirmed is above")
    return (
        _("Payment %(ref)s was not completed: ")
        + why
        + _(
            " the four-eyes threshold of %(threshold)s. Your request is recorded; it is "
            "completed when a second Finance user approves it."
        )
    ) % {
        "ref": payment.reference,
        "asked": format_money(asked if asked is not None else payment.total, currency),
        "expected": format_money(payment.total, currency),
        "currency": currency,
        "threshold": format_money(threshold, currency),
    }


def payment_refresh_one(
    model_admin: PaymentAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Ask the payment's gateway now where it stands (what reconciliation does) and apply it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    payment = _pending_or_redirect(model_admin, request, object_id)
    if isinstance(payment, HttpResponse):
        return payment
    if online_gateway_for(payment) is None:
        messages.error(request, _("This payment was not made through an online gateway."))
        return HttpResponseRedirect(_payment_url(payment))
    answer = payment_status_refresh(payment=payment)
    now = answer.payment
    if now.status == PaymentStatus.PENDING:
        messages.warning(
            request,
            _("Payment %(ref)s is still pending: %(why)s")
            % {"ref": now.reference, "why": now.pending_reason or _("the gateway has no news.")},
        )
    else:
        messages.success(
            request,
            _("Payment %(ref)s is now %(status)s.")
            % {"ref": now.reference, "status": now.get_status_display().lower()},
        )
    audit_record(
        action="payment.gateway_refresh",
        actor=request.user,
        obj=now,
        customer_id=now.customer_id,
        before={"status": payment.status},
        after={"status": now.status, "pending_reason": now.pending_reason},
    )
    return HttpResponseRedirect(_payment_url(now))


def payment_cancel_one(
    model_admin: PaymentAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Cancel one pending payment with a reason; the balance does not move."""
    payment = _pending_or_redirect(model_admin, request, object_id)
    if isinstance(payment, HttpResponse):
        return payment
    form = PaymentCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = payment_cancel(
                payment=payment.pk, reason=form.cleaned_data["reason"], actor=request.user
            )
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(_payment_url(payment))
        except PaydeskError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Payment %s cancelled.") % done.reference)
            return HttpResponseRedirect(_payment_url(done))
    return _page(
        model_admin,
        request,
        "backoffice/payment_action.html",
        title=_("Cancel payment %s") % payment.reference,
        payment=payment,
        form=form,
        pending_amount=format_money(payment.total, payment.customer.currency),
        submit_label=_("Cancel payment"),
        destructive=True,
    )


def payments_bulk(
    model_admin: PaymentAdmin,
    request: HttpRequest,
    queryset: QuerySet[Payment],
    *,
    action: str,
    form_class: type,
    apply: Callable[[int, dict[str, Any]], Payment],
    done_message: StrOrPromise,
) -> HttpResponse | None:
    """A changelist action: a confirmation page first, then each payment on its own.

    Each payment is completed or cancelled in its own transaction, so one refusal (already
    completed, not enough credit) is reported and leaves the others done.
    """
    if not can_move_money(request):
        raise PermissionDenied
    selected = list(queryset.order_by("pk").values_list("pk", "reference")[: BULK_LIMIT + 1])
    if len(selected) > BULK_LIMIT:
        messages.error(request, _("Select at most %d payments at a time.") % BULK_LIMIT)
        return None
    form = form_class(request.POST if request.POST.get("post") == "yes" else None)
    if form.is_bound and form.is_valid():
        done, failures = 0, []
        for pk, reference in selected:
            try:
                apply(pk, form.cleaned_data)
            except PaydeskError as exc:
                failures.append(f"{reference}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, done_message % {"count": done})
        for failure in failures[:20]:
            messages.error(request, failure)
        if len(failures) > 20:
            messages.error(request, _("… and %d more not changed.") % (len(failures) - 20))
        return None
    payments = [
        (payment, format_money(payment.total, payment.customer.currency))
        for payment in queryset.select_related("customer").order_by("pk")[:BULK_LIMIT]
    ]
    return _page(
        model_admin,
        request,
        "backoffice/payment_bulk_confirm.html",
        title=_("Are you sure?"),
        action=action,
        form=form,
        payments=payments,
        selected_ids=[pk for pk, _ref in selected],
        select_across=request.POST.get("select_across", "0"),
        action_label=dict(model_admin.get_action_choices(request)).get(action, action),
    )


def payments_export(model_admin: PaymentAdmin, request: HttpRequest) -> HttpResponseBase:
    """The staff CSV of exactly what the payment changelist shows with the same filters."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    request.backoffice_export = True  # type: ignore[attr-defined]
    changelist = exported_changelist(model_admin, request, action="payment.export")
    if isinstance(changelist, HttpResponseBase):
        return changelist
    return staff_payments_csv(changelist.queryset)
