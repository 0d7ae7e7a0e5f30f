"""Portal pages of a customer's own bank transfer: its reference and the provider's bank details,
proof-of-payment upload and download, and cancel. Thin: the rules are in services.py.

Every lookup is scoped to the signed-in user's customer: another customer's transfer or proof is
a 404, never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from paydesk.accounts.access import customer_required, refuse
from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.banktransfers.forms import ProofUploadForm, add_service_error
from paydesk.banktransfers.models import TransferProof
from paydesk.banktransfers.proofs import CONTENT_TYPES, EXTENSIONS, proof_path
from paydesk.banktransfers.selectors import (
    bank_details_current,
    transfer_amounts,
    transfer_for_customer,
    transfer_proofs,
)
from paydesk.banktransfers.services import (
    proof_too_large_message,
    transfer_cancel_by_customer,
    transfer_proof_attach,
)
from paydesk.errors import PaydeskError
from paydesk.ledger.access import payment_visible_to
from paydesk.ledger.models import Payment, PaymentStatus


def _own_transfer(customer: Customer, reference: str) -> Payment:
    payment = transfer_for_customer(customer=customer, reference=reference)
    if payment is None:
        raise Http404("No such bank transfer.")
    if payment.status == PaymentStatus.PENDING and not customer.flag(
        "show_pending_bank_payments", PortalDefaults.current()
    ):
        raise Http404("No such bank transfer.")
    return payment


def visible_transfer_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """The customer's own transfer (404 otherwise), for a user who may see it (ledger.access:
    its creator, or *view payments* where payments are shown); the view gets it as `payment`."""

    @wraps(view)
    def wrapped(
        request: HttpRequest, customer: Customer, reference: str, **kwargs: Any
    ) -> HttpResponseBase:
        payment = _own_transfer(customer, reference)
        if not payment_visible_to(
            user=request.user, payment=payment, defaults=PortalDefaults.current()
        ):
            return refuse(request, _("You do not have permission to view payments."))
        return view(request, customer, payment, reference=reference, **kwargs)

    return wrapped


def _detail(
    request: HttpRequest, customer: Customer, payment: Payment, form: ProofUploadForm, status: int
) -> HttpResponse:
    assert request.user.is_authenticated  # every caller is behind @customer_required
    pending = payment.status == PaymentStatus.PENDING
    details = bank_details_current() if pending else None
    context = {
        "nav": "payments",
        "customer": customer,
        "payment": payment,
        "amounts": transfer_amounts(payment=payment),
        "pending": pending,
        "bank_details": details,
        # What "Copy all bank details" puts on the clipboard: one line per detail.
        "bank_details_text": "\n".join(
            f"{label}: {value}"
            for label, value in [
                (_("Beneficiary name"), details.beneficiary_name),
                (details.account_label, details.account_number),
                (_("Bank name"), details.bank_name),
                (_("Bank address"), " ".join(details.bank_address.split())),
                (_("SWIFT"), details.swift),
                (_("Reference"), payment.reference),
            ]
        )
        if details
        else "",
        "proofs": list(transfer_proofs(payment=payment)),
        "being_approved": pending and payment.approvals.exists(),
        "form": form,
    }
    response = render(request, "banktransfers/detail.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@customer_required
@require_GET
@visible_transfer_required
def detail(
    request: HttpRequest, customer: Customer, payment: Payment, reference: str
) -> HttpResponse:
    if payment.reference != reference:
        return redirect("banktransfers:detail", reference=payment.reference)
    return _detail(request, customer, payment, ProofUploadForm(), 200)


class ProofSizeLimit(FileUploadHandler):
    """Stops keeping a file past PAYDESK_PROOF_MAX_BYTES, so an oversize upload never lands on
    disk (Django would otherwise spool all of it to a temporary file first)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > int(settings.PAYDESK_PROOF_MAX_BYTES):
            self.request.proof_too_large = True  # type: ignore[union-attr]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # only to add the size limit before the body is read; csrf_protect runs next
def proof_upload(request: HttpRequest, reference: str) -> HttpResponseBase:
    handlers = request.upload_handlers  # a list until the body is read (not yet here)
    assert isinstance(handlers, list)
    handlers.insert(0, ProofSizeLimit(request))
    return _proof_upload(request, reference=reference)


@csrf_protect
@customer_required
@require_POST
@visible_transfer_required
def _proof_upload(
    request: HttpRequest, customer: Customer, payment: Payment, reference: str
) -> HttpResponse:
    form = ProofUploadForm(request.POST, request.FILES)
    if getattr(request, "proof_too_large", False):
        form.is_valid()
        form.errors.pop("proof", None)
        form.add_error("proof", proof_too_large_message())
    elif form.is_valid():
        try:
            transfer_proof_attach(
                payment=payment, user=request.user, upload=form.cleaned_data["proof"]
            )
        except PaydeskError as exc:
            add_service_error(form, exc, aliases={})
        else:
            messages.success(request, _("Thank you: your proof of payment is attached."))
            return redirect("banktransfers:detail", reference=payment.reference)
    return _detail(request, customer, payment, form, 400)


@customer_required
@require_POST
@visible_transfer_required
def cancel(
    request: HttpRequest, customer: Customer, payment: Payment, reference: str
) -> HttpResponse:
    try:
        transfer_cancel_by_customer(payment=payment, user=request.user)
    except PaydeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bank transfer %s is cancelled.") % payment.reference)
    return redirect("banktransfers:detail", reference=payment.reference)


def proof_response(proof: TransferProof) -> FileResponse:
    """The proof's bytes as a download, never rendered inline, whoever was allowed to ask."""
    try:
        handle = open(proof_path(proof.stored_name), "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404("That file is no longer available.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"proof-{proof.payment.reference}-{proof.pk}.{EXTENSIONS[proof.kind]}",
        content_type=CONTENT_TYPES[proof.kind],
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@customer_required
@require_GET
@visible_transfer_required
def proof_download(
    request: HttpRequest, customer: Customer, payment: Payment, reference: str, proof_id: int
) -> HttpResponseBase:
    proof = (
        TransferProof.objects.select_related("payment").filter(pk=proof_id, payment=payment).first()
    )
    if proof is None:
        raise Http404("No such file.")
    return proof_response(proof)
