"""Bank transfers in the back office: the provider's payment details (Administrators only), and a
page per bank transfer with its proofs, its approvals and "Complete with amount received".

Every write goes through paydesk.banktransfers.services (audited there); the views check the role,
collect input, preview what the services would credit, and report what they said.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.admin_base import (
    BackofficeAdmin,
    CheckedChangeList,
    ServiceRefused,
    ServiceSaveMixin,
    time_column,
)
from paydesk.backoffice.roles import AdministratorOnly, can_move_money, is_staff
from paydesk.backoffice.site import backoffice_site
from paydesk.banktransfers.forms import BankDetailsForm, ReceivedAmountForm, add_service_error
from paydesk.banktransfers.models import BankDetails, BankTransfer, TransferProof
from paydesk.banktransfers.selectors import (
    INCOMING_TRANSFER,
    TransferAmounts,
    transfer_amounts,
    transfer_approvals,
    transfer_proofs,
    transfer_receipt,
    transfers_expected_attach,
    two_person_threshold,
)
from paydesk.banktransfers.services import (
    BANK_DETAILS_FIELDS,
    bank_details_update,
    transfer_complete,
)
from paydesk.banktransfers.views import proof_response
from paydesk.errors import InvalidTransition, PaydeskError
from paydesk.fx.fields import plain_rate, rate_short
from paydesk.ledger.models import PaymentStatus
from paydesk.money import currency_exponent, format_money, round_half_up
from paydesk.references import canonical_payment_reference

FIELD_ALIASES = {"currency": "received_currency", "total": "received_amount"}


@admin.register(BankDetails, site=backoffice_site)
class BankDetailsAdmin(AdministratorOnly, ServiceSaveMixin, BackofficeAdmin):
    form = BankDetailsForm

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not BankDetails.objects.exists()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """There is only one: go straight to it (or to adding it)."""
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        details = BankDetails.objects.order_by("pk").first()
        if details is None:
            return HttpResponseRedirect(reverse("backoffice:banktransfers_bankdetails_add"))
        return HttpResponseRedirect(
            reverse("backoffice:banktransfers_bankdetails_change", args=[details.pk])
        )

    def save_model(self, request: HttpRequest, obj: BankDetails, form: Any, change: bool) -> None:
        try:
            fields = {name: form.cleaned_data[name] for name in BANK_DETAILS_FIELDS}
            saved = bank_details_update(actor=request.user, **fields)
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def response_change(self, request: HttpRequest, obj: BankDetails) -> HttpResponse:
        self.message_user(request, _("Payment details saved."))
        return HttpResponseRedirect(request.path)

    def response_add(
        self, request: HttpRequest, obj: BankDetails, post_url_continue: Any = None
    ) -> HttpResponse:
        self.message_user(request, _("Payment details saved."))
        return HttpResponseRedirect(
            reverse("backoffice:banktransfers_bankdetails_change", args=[obj.pk])
        )


class TransferAmountsChangeList(CheckedChangeList):
    """A list page whose bank transfers know what they expected (one query for the page)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        transfers_expected_attach(self.result_list)


@admin.register(BankTransfer, site=backoffice_site)
class BankTransferAdmin(BackofficeAdmin):
    """Bank transfers only; their page is the approval desk (nothing is edited as a model form)."""

    list_display = [
        "created_display",
        "reference",
        "customer",
        "total_display",
        "status_badge",
        "description",  # the public part, by which payer and Finance recognise a transfer
        "state",
    ]
    list_display_links = ["reference"]
    list_filter = ["status"]
    search_fields = ["reference", "customer__name", "description"]
    search_help_text = _("Reference, customer name or description.")
    ordering = ["-created_at", "-id"]
    list_select_related = ["customer"]
    list_per_page = 50
    show_full_result_count = False
    actions = None

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_queryset(self, request: HttpRequest) -> Any:
        """Transfers coming in: a refund paid back by bank transfer is listed with refunds."""
        return super().get_queryset(request).filter(INCOMING_TRANSFER)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TransferAmountsChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        """A reference as a person types it (lower case, no hyphens, O for 0) finds the transfer."""
        reference = canonical_payment_reference(search_term)
        if reference is not None:
            return queryset.filter(reference=reference), False
        return super().get_search_results(request, queryset, search_term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    created_display = time_column("created_at", _("created at"))

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj: BankTransfer) -> str:
        return amount_with_difference(transfer_amounts(payment=obj))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: BankTransfer) -> str:
        return format_html(
            '<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("approval"))
    def state(self, obj: BankTransfer) -> str:
        if obj.status == PaymentStatus.PENDING and obj.approvals.exists():
            return str(_("awaiting second approval"))
        return ""

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/proofs/<int:proof_id>/",
                wrap(self.proof_view),
                name=f"{prefix}_proof",
            ),
            *super().get_urls(),
        ]

    def _transfer(self, request: HttpRequest, object_id: str) -> BankTransfer:
        if not is_staff(request):
            raise PermissionDenied
        transfer = self.get_object(request, object_id)
        if transfer is None:
            raise Http404("No such bank transfer.")
        return transfer

    def proof_view(self, request: HttpRequest, object_id: str, proof_id: int) -> HttpResponseBase:
        transfer = self._transfer(request, object_id)
        proof = (
            TransferProof.objects.select_related("payment")
            .filter(pk=proof_id, payment_id=transfer.pk)
            .first()
        )
        if proof is None:
            raise Http404("No such file.")
        return proof_response(proof)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The transfer, its proofs and approvals; Finance completes it with the amount received."""
        transfer = self._transfer(request, object_id)
        page_url = reverse("backoffice:banktransfers_banktransfer_change", args=[transfer.pk])
        pending = transfer.status == PaymentStatus.PENDING
        may_complete = pending and can_move_money(request)
        approvals = list(transfer_approvals(payment=transfer))
        currency = transfer.customer.currency
        amounts = transfer_amounts(payment=transfer)
        initial = {
            "received_amount": _prefill(amounts.expected, currency),
            "received_currency": currency,
        }
        if approvals:
            first = approvals[0]
            initial = {
                "received_amount": _prefill(first.received_amount, first.received_currency),
                "received_currency": first.received_currency,
            }
        form = ReceivedAmountForm(request.POST or None, initial=initial)
        receipt = None
        if request.method == "POST":
            if not may_complete:
                raise PermissionDenied
            if form.is_valid():
                data = form.cleaned_data
                try:
                    receipt = transfer_receipt(
                        payment=transfer,
                        received_amount=data["received_amount"],
                        received_currency=data["received_currency"],
                    )
                    if request.POST.get("previewed") == form.previewed_key():
                        done = transfer_complete(
                            payment=transfer.pk,
                            actor=request.user,
                            received_amount=data["received_amount"],
                            received_currency=data["received_currency"],
                        )
                        self._report(request, done)
                        return HttpResponseRedirect(page_url)
                except InvalidTransition as exc:
                    messages.error(request, exc.message)
                    return HttpResponseRedirect(page_url)
                except PaydeskError as exc:
                    receipt = None
                    add_service_error(form, exc, aliases=FIELD_ALIASES)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": _("Bank transfer %s") % transfer.reference,
            "transfer": transfer,
            "amount": format_money(amounts.expected, currency),
            "credited": format_money(amounts.total, currency) if amounts.completed else "",
            "difference": amounts.differs and signed_money(amounts.difference, currency),
            "proofs": list(transfer_proofs(payment=transfer)),
            "approvals": [
                {
                    "approval": approval,
                    "received": format_money(approval.received_amount, approval.received_currency),
                    "credit": format_money(approval.credit, currency),
                    "difference": signed_money(approval.credit - amounts.expected, currency),
                    "rate": rate_context(
                        approval.received_currency, currency, approval.rate, approval.rate_date
                    ),
                }
                for approval in approvals
            ],
            "awaiting_second": pending and bool(approvals),
            "threshold": format_money(two_person_threshold(), currency),
            "may_complete": may_complete,
            "form": form,
            "receipt": receipt,
            "previewed": receipt and form.previewed_key(),
            "receipt_display": receipt
            and {
                "received": format_money(receipt.received_amount, receipt.received_currency),
                "credit": format_money(
                    approvals[0].credit if approvals else receipt.credit, currency
                ),
                "difference": signed_money(
                    (approvals[0].credit if approvals else receipt.credit) - amounts.expected,
                    currency,
                ),
                "rate": rate_context(
                    receipt.rate.base,
                    receipt.rate.quote,
                    receipt.rate.rate,
                    receipt.rate.rate_date,
                    source=receipt.rate.source,
                ),
                "two_person": not approvals and receipt.needs_two_approvals,
            },
            "payment_url": reverse("backoffice:ledger_payment_change", args=[transfer.pk]),
            "cancel_url": reverse("backoffice:ledger_payment_cancel", args=[transfer.pk]),
        }
        return TemplateResponse(request, "banktransfers/backoffice_transfer.html", context)

    def _report(self, request: HttpRequest, done: Any) -> None:
        currency = done.customer.currency
        if done.status == PaymentStatus.COMPLETED:
            messages.success(
                request,
                _("Transfer %(ref)s completed: %(amount)s credited.")
                % {"ref": done.reference, "amount": format_money(done.total, currency)},
            )
        else:
            messages.warning(
                request,
                _(
                    "Your approval of %(ref)s is recorded. The credit is above %(limit)s, so a "
                    "second Finance user must approve it too."
                )
                % {"ref": done.reference, "limit": format_money(two_person_threshold(), currency)},
            )


def _prefill(amount: Any, currency: str) -> str:
    """An amount as the received-amount field shows it: the currency's decimals (150.00)."""
    return f"{round_half_up(amount, currency_exponent(currency)):f}"


def signed_money(amount: Any, currency: str) -> str:
    """A difference with its sign either way: `+$1.50 USD`, `-$1.50 USD`, `$0.00 USD`."""
    return ("+" if amount > 0 else "") + format_money(amount, currency)


def amount_with_difference(amounts: TransferAmounts) -> str:
    """A transfer's total; when it was credited for another amount, what it expected beneath."""
    total = format_money(amounts.total, amounts.currency)
    if not amounts.differs:
        return total
    return format_html('{}<br><span class="amount-expected">{}</span>', total, amounts.note)


def rate_context(base: str, quote: str, rate: Any, on: Any, *, source: str = "") -> dict[str, str]:
    """A rate as the transfer page shows it: six significant digits, the exact rate in a title;
    no rate at all when nothing was converted."""
    if base == quote:
        return {"text": str(_("No conversion")), "exact": ""}
    detail = ", ".join(part for part in (str(on), source) if part)
    return {
        "text": f"1 {base} = {rate_short(rate)} {quote} ({detail})",
        "exact": f"1 {base} = {plain_rate(rate):f} {quote}",
    }
