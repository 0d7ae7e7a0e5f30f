"""Credits awaiting approval (four eyes on manual credits, paydesk.credits, and requests to
complete a payment for more than it expected): the list every staff role may read, and a page
per credit where a second Finance user approves it or anyone in Finance refuses it (POST with
CSRF; the person who entered it can only refuse).

Every write goes through paydesk.credits.services (audited there); the views check the role,
collect input and report what the services said.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from paydesk.backoffice.admin_base import BackofficeAdmin
from paydesk.backoffice.roles import ReadOnlyForStaff, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.credits.models import CreditAwaitingApproval
from paydesk.credits.selectors import credit_approval_of, credit_threshold
from paydesk.credits.services import credit_approve, credit_refuse
from paydesk.errors import PaydeskError
from paydesk.ledger.models import PaymentStatus
from paydesk.money import format_money
from paydesk.text import single_line


class RefuseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text=gettext_lazy("The customer sees it with the cancelled payment."),
        validators=[single_line],
    )


@admin.register(CreditAwaitingApproval, site=backoffice_site)
class CreditAwaitingApprovalAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "created_at",
        "reference",
        "customer",
        "total_display",
        "entered_by",
        "description",
        "staff_comment",
    ]
    list_display_links = ["reference"]
    list_select_related = ["customer", "credit_approval__requested_by"]
    search_fields = ["reference", "customer__name", "description"]
    ordering = ["created_at", "id"]
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .filter(status=PaymentStatus.PENDING, credit_approval__isnull=False)
        )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view), name=f"{prefix}_approve"),
            path("<path:object_id>/refuse/", wrap(self.refuse_view), name=f"{prefix}_refuse"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("total"), ordering="total")
    def total_display(self, obj: CreditAwaitingApproval) -> str:
        """The credit; a request to complete a payment for more says what it expected."""
        return _credit_words(obj, obj.credit_approval.requested_total)

    @admin.display(description=gettext_lazy("entered by"))
    def entered_by(self, obj: CreditAwaitingApproval) -> str:
        return obj.credit_approval.requested_by.email

    def _payment_url(self, pk: Any) -> str:
        return reverse("backoffice:ledger_payment_change", args=[pk])

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
        refuse_form: RefuseForm | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        credit = self.get_object(request, object_id)
        if credit is None:  # decided meanwhile (or never held): its payment page says how
            messages.info(request, _("That credit is no longer awaiting approval."))
            return HttpResponseRedirect(
                self._payment_url(object_id) if object_id.isdigit() else reverse("backoffice:index")
            )
        approval = credit_approval_of(credit)
        currency = credit.customer.currency
        asked = approval.requested_total if approval is not None else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Credit %s awaiting approval") % credit.reference,
            "credit": credit,
            "approval": approval,
            "asked": asked is not None,
            "amount": format_money(credit.total if asked is None else asked, currency),
            "amount_words": _credit_words(credit, asked),
            "threshold": format_money(credit_threshold(currency), currency),
            "payment_url": self._payment_url(credit.pk),
            "may_decide": can_move_money(request),
            "entered_it": approval is not None and approval.requested_by_id == request.user.pk,
            "refuse_form": refuse_form or RefuseForm(),
        }
        if asked is not None:  # nothing is cancelled: the customer never reads the reason
            context["refuse_form"].fields["reason"].help_text = _(
                "Kept with the payment and in the audit log; the payment and what the customer "
                "sees stay as they were."
            )
        return TemplateResponse(request, "backoffice/credit_approval.html", context)

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_move_money(request):
            raise PermissionDenied
        credit = self.get_object(request, object_id)
        if credit is None:
            return self.change_view(request, object_id)
        try:
            done = credit_approve(payment=credit.pk, actor=request.user)
        except PaydeskError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path.replace("approve/", "change/"))
        messages.success(
            request,
            _("Credit %(ref)s approved: %(amount)s credited.")
            % {"ref": done.reference, "amount": format_money(done.total, done.customer.currency)},
        )
        return HttpResponseRedirect(self._payment_url(done.pk))

    def refuse_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_move_money(request):
            raise PermissionDenied
        credit = self.get_object(request, object_id)
        if credit is None:
            return self.change_view(request, object_id)
        form = RefuseForm(request.POST)
        if not form.is_valid():
            return self.change_view(request, object_id, refuse_form=form)
        try:
            done = credit_refuse(
                payment=credit.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except PaydeskError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path.replace("refuse/", "change/"))
        if done.status == PaymentStatus.PENDING:  # a completion request, withdrawn
            messages.success(
                request,
                _("Request refused: %s was not completed and stays pending.") % done.reference,
            )
        else:
            messages.success(
                request, _("Credit %s refused: nothing was credited.") % done.reference
            )
        return HttpResponseRedirect(self._payment_url(done.pk))


def _credit_words(credit: CreditAwaitingApproval, asked: Any) -> str:
    """ "$100,000.00 USD (expected $10.00 USD)" for a request to complete a payment for more than
    it expected; the credit's amount otherwise."""
    currency = credit.customer.currency
    if asked is None:
        return format_money(credit.total, currency)
    return _("%(asked)s (expected %(expected)s)") % {
        "asked": format_money(asked, currency),
        "expected": format_money(credit.total, currency),
    }
