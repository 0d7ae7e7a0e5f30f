"""The back office's Refund action on a completed top-up (issue 12).

Finance fills the form (amount, reason, Allow overdraft; a note when the refund was made outside
Paydesk), sees a confirmation page saying what leaves and where, and confirms. Everything goes
through paydesk.checkout.refunds.payment_refund — the one refund operation of every interface —
with an idempotency key from the form's one-time token, so a double submit refunds once. A
refusal is shown next to the field it names, never as an error page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from paydesk.backoffice.admin_base import guarded_object
from paydesk.backoffice.forms import FORM_TOKEN_PATTERN, add_service_error, new_form_token
from paydesk.backoffice.roles import can_move_money
from paydesk.checkout.refunds import payment_refund, refund_gateway
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import refund_left, refund_refusal, refund_total_check
from paydesk.money import format_money, to_decimal
from paydesk.text import single_line

if TYPE_CHECKING:
    from paydesk.backoffice.admin_payments import PaymentAdmin


class RefundForm(forms.Form):
    """What Finance says about a refund; amounts are checked by the refund service itself."""

    total = forms.CharField(
        label=gettext_lazy("Amount to refund"),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "In the account's currency. Leave empty to refund all that is left."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text=gettext_lazy("The customer sees it on the refund; kept in the audit log."),
        validators=[single_line],
    )
    allow_overdraft = forms.BooleanField(
        label=gettext_lazy("Allow overdraft"),
        required=False,
        help_text=gettext_lazy(
            "Refund even when it takes the customer below their available credit."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note (how the money was sent)"),
        required=False,
        max_length=300,
        help_text=gettext_lazy(
            "E.g. the transaction hash or the bank transfer's reference. Staff only."
        ),
        validators=[single_line],
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, outside: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not outside:
            del self.fields["note"]

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not FORM_TOKEN_PATTERN.fullmatch(token):
            raise forms.ValidationError(_("This form is out of date: open it again."))
        return token


def _payment_url(payment: Payment) -> str:
    return reverse("backoffice:ledger_payment_change", args=[payment.pk])


def refund_summary(payment: Payment) -> dict[str, Any]:
    """What the refund pages and the payment's page say: left, out of, and how it goes back."""
    currency = payment.customer.currency
    left = refund_left(payment=payment)
    return {
        "left": left,
        "refundable": _("refundable: %(left)s of %(total)s")
        % {"left": format_money(left, currency), "total": format_money(payment.total, currency)},
        "outside": refund_gateway(payment) is None,
    }


def payment_refund_one(
    model_admin: PaymentAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """GET: the form. POST: the confirmation page. POST with confirm=yes: the refund."""
    payment = guarded_object(
        model_admin,
        request,
        object_id,
        may_act=can_move_money,
        missing=_("No such payment."),
        list_url=reverse("backoffice:ledger_payment_changelist"),
        ready=lambda p: refund_left(payment=p) > 0,
        not_ready=lambda p: refund_refusal(payment=p, left=Decimal(0)),
        object_url=_payment_url,
    )
    if isinstance(payment, HttpResponse):
        return payment
    summary = refund_summary(payment)
    form = RefundForm(
        request.POST if request.method == "POST" else None,
        outside=summary["outside"],
        initial={"form_token": new_form_token()},
    )
    context: dict[str, Any] = {"payment": payment, "summary": summary, "form": form}
    if request.method == "POST" and form.is_valid():
        amount = _amount(form, payment, summary["left"])
        if amount is not None and request.POST.get("confirm") == "yes":
            refund = _submit(request, form, payment, summary["outside"])
            if refund is not None:
                return HttpResponseRedirect(_payment_url(refund))
        elif amount is not None:
            context["confirm_amount"] = format_money(amount, payment.customer.currency)
    return _page(model_admin, request, payment, context)


def _amount(form: RefundForm, payment: Payment, left: Decimal) -> Decimal | None:
    """The amount to confirm (everything left when empty), or None with the error shown."""
    raw = form.cleaned_data["total"].strip()
    if not raw:
        return left
    try:
        amount = to_decimal(raw, field="total")
        refund_total_check(payment=payment, total=amount)
    except PaydeskError as exc:
        add_service_error(form, exc)
        return None
    if amount <= 0:
        form.add_error("total", _("Say how much to refund, above zero."))
        return None
    if amount > left:
        form.add_error("total", refund_refusal(payment=payment, left=left))
        return None
    return amount


def _submit(
    request: HttpRequest, form: RefundForm, payment: Payment, outside: bool
) -> Payment | None:
    data = form.cleaned_data
    key = f"backoffice-refund:{data['form_token']}"
    earlier = Payment.objects.filter(customer_id=payment.customer_id, idempotency_key=key).first()
    if earlier is not None:
        messages.warning(
            request,
            _("This form was already submitted: refund %s was made once.") % earlier.reference,
        )
        return earlier
    try:
        refund = payment_refund(
            payment=payment,
            reason=data["reason"],
            actor=request.user,
            total=data["total"].strip() or None,
            allow_overdraft=data["allow_overdraft"],
            outside=outside,
            note=data.get("note", ""),
            idempotency_key=key,
        )
    except PaydeskError as exc:  # past the available credit: the message says to tick the box
        add_service_error(form, exc)
        return None
    amount = format_money(-refund.total, refund.customer.currency)
    text = {"ref": refund.reference, "amount": amount, "original": payment.reference}
    if refund.status == PaymentStatus.COMPLETED:
        messages.success(request, _("Refund %(ref)s of %(amount)s for %(original)s done.") % text)
    elif refund.status == PaymentStatus.PENDING:
        text["why"] = refund.pending_reason or _("the gateway is working on it.")
        messages.warning(request, _("Refund %(ref)s of %(amount)s is pending: %(why)s") % text)
    else:
        text["why"] = refund.cancel_reason
        messages.error(request, _("Refund %(ref)s was not made: %(why)s") % text)
    return refund


def _page(
    model_admin: PaymentAdmin, request: HttpRequest, payment: Payment, context: dict[str, Any]
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "backoffice/payment_refund.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "app_label": model_admin.opts.app_label,
            "title": _("Refund payment %s") % payment.reference,
            **context,
        },
    )
