"""Back-office views for vouchers: issue a batch (its codes come back once, as the CSV download),
approve or reject a batch waiting for a second Finance user, disable one voucher or a whole
batch, and find a voucher by the code a customer reads out.

Every write goes through paydesk.vouchers.batches with `actor=request.user` (which checks the
role and audits). Plain codes exist only inside the issuing request: they go into the CSV
response body and nowhere else — never the database, the session, a message, a log or a URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from paydesk.accounts.models import User
from paydesk.audit.models import AuditEntry
from paydesk.audit.services import audit_record
from paydesk.backoffice.admin_base import admin_page, guarded_object
from paydesk.backoffice.forms import add_service_error, new_form_token
from paydesk.backoffice.roles import can_move_money
from paydesk.backoffice.voucher_forms import ConfirmForm, VoucherBatchIssueForm, VoucherLookupForm
from paydesk.errors import PaydeskError
from paydesk.money import format_money
from paydesk.vouchers.batches import (
    batch_hold_message,
    voucher_batch_approve,
    voucher_batch_disable,
    voucher_batch_issue,
    voucher_batch_reject,
    voucher_disable,
)
from paydesk.vouchers.bonus import bonus_terms
from paydesk.vouchers.exports import batch_codes_csv, batch_codes_filename
from paydesk.vouchers.models import BatchApproval, Voucher, VoucherBatch, VoucherStatus
from paydesk.vouchers.selectors import voucher_batch_status_counts, voucher_find_by_code
from paydesk.web.client_ip import client_ip

# The audit entry that says a batch's codes went to a person (once), with the form token that
# asked for them: a resubmitted form finds it and is refused instead of issuing a second batch.
CODES_DOWNLOADED = "voucher_batch.codes_download"


_page = admin_page  # backoffice/admin_base.py


def batch_url(batch: VoucherBatch | int) -> str:
    pk = batch.pk if isinstance(batch, VoucherBatch) else batch
    return reverse("backoffice:vouchers_voucherbatch_change", args=[pk])


def voucher_url(voucher: Voucher) -> str:
    return reverse("backoffice:vouchers_voucher_change", args=[voucher.pk])


def batch_terms(batch: VoucherBatch) -> str:
    """`Free credit of $25.00 USD`, or `Top-ups of at least $50.00 USD earn a bonus of 100% of
    the top-up plus $5.00 USD` (vouchers.bonus.bonus_terms: the wording the customer reads)."""
    if not batch.is_bonus:
        return _("Free credit of %(amount)s") % {
            "amount": format_money(batch.addition, batch.currency)
        }
    return _("Top-ups of at least %(minimum)s earn %(terms)s") % {
        "minimum": format_money(batch.minimum_activation, batch.currency),
        "terms": bonus_terms(
            multiplier=batch.multiplier, addition=batch.addition, currency=batch.currency
        ),
    }


# --- issue -----------------------------------------------------------------------------------


def voucher_batch_issue_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: issue the batch; the response IS the CSV of its codes (once)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST":
        form = VoucherBatchIssueForm(request.POST)
        if form.is_valid():
            response = _issue(request, form)
            if response is not None:
                return response
    else:
        form = VoucherBatchIssueForm(initial={"form_token": new_form_token()})
    return _page(
        model_admin,
        request,
        "backoffice/voucher_batch_issue.html",
        title=_("Issue a voucher batch"),
        form=form,
    )


def _issue(request: HttpRequest, form: VoucherBatchIssueForm) -> HttpResponse | None:
    token = form.cleaned_data["form_token"]
    assert request.user.is_authenticated  # staff only (the back office's admin_view)
    with transaction.atomic():
        # One person's submissions run one at a time, so a double click finds the first batch.
        User.objects.select_for_update().filter(pk=request.user.pk).exists()
        earlier = (
            AuditEntry.objects.filter(
                action=CODES_DOWNLOADED, actor=request.user, after__form_token=token
            )
            .only("object_id")
            .first()
        )
        if earlier is not None:
            form.add_error(
                None,
                _(
                    "This form was already submitted: batch %(batch)s was issued and its codes "
                    "were in that download. They cannot be shown again: if the file was lost, "
                    "disable batch %(batch)s and issue a new one."
                )
                % {"batch": earlier.object_id},
            )
            return None
        try:
            batch, codes = voucher_batch_issue(actor=request.user, **form.service_fields())
        except PaydeskError as exc:
            add_service_error(form, exc)
            return None
        filename = batch_codes_filename(batch)
        audit_record(
            action=CODES_DOWNLOADED,
            actor=request.user,
            obj=batch,
            after={"form_token": token, "count": len(codes), "filename": filename},
            ip_address=client_ip(request),
        )
    response = HttpResponse(batch_codes_csv(batch, codes), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    messages.success(
        request,
        ngettext(
            "Batch %(batch)s issued: %(count)d voucher. Its code was in %(file)s and is not "
            "shown again.",
            "Batch %(batch)s issued: %(count)d vouchers. Their codes were in %(file)s and are "
            "not shown again.",
            batch.count,
        )
        % {"batch": batch.pk, "count": batch.count, "file": filename},
    )
    if batch.approval == BatchApproval.WAITING:
        messages.warning(request, batch_hold_message(batch))
    return response


# --- disable ---------------------------------------------------------------------------------


def voucher_batch_disable_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Confirm, then disable every still-available voucher of the batch."""
    if not can_move_money(request):
        raise PermissionDenied
    batch = model_admin.get_object(request, object_id)
    if batch is None:
        messages.error(request, _("No such voucher batch."))
        return HttpResponseRedirect(reverse("backoffice:vouchers_voucherbatch_changelist"))
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            disabled = voucher_batch_disable(batch=batch.pk, actor=request.user)
        except PaydeskError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Batch %(batch)s: %(count)d voucher disabled.",
                    "Batch %(batch)s: %(count)d vouchers disabled.",
                    disabled,
                )
                % {"batch": batch.pk, "count": disabled},
            )
        return HttpResponseRedirect(batch_url(batch))
    counts = voucher_batch_status_counts(batch=batch)
    return _page(
        model_admin,
        request,
        "backoffice/voucher_confirm.html",
        title=_("Disable batch %s") % batch.pk,
        form=form,
        summary=[
            (_("Batch"), str(batch)),
            (_("Terms"), batch_terms(batch)),
            (_("Available (will be disabled)"), counts[VoucherStatus.AVAILABLE]),
            (_("Used (stay used)"), counts[VoucherStatus.USED]),
        ],
        question=_(
            "Disable every available voucher of this batch? Nobody can redeem them afterwards; "
            "this cannot be undone."
        ),
        submit_label=_("Disable the batch"),
        back_url=batch_url(batch),
        crumb_url=batch_url(batch),
        crumb_label=str(batch),
    )


def voucher_disable_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Confirm, then disable one available voucher."""
    voucher = guarded_object(
        model_admin,
        request,
        object_id,
        may_act=can_move_money,
        missing=_("No such voucher."),
        list_url=reverse("backoffice:vouchers_voucher_changelist"),
        ready=lambda voucher: voucher.status == VoucherStatus.AVAILABLE,
        not_ready=lambda voucher: (
            _("Voucher %(code)s is %(status)s: only an available voucher can be disabled.")
            % {"code": voucher.masked_code, "status": voucher.get_status_display().lower()}
        ),
        object_url=voucher_url,
    )
    if isinstance(voucher, HttpResponse):
        return voucher
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            voucher_disable(voucher=voucher.pk, actor=request.user)
        except PaydeskError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Voucher %s disabled.") % voucher.masked_code)
        return HttpResponseRedirect(voucher_url(voucher))
    return _page(
        model_admin,
        request,
        "backoffice/voucher_confirm.html",
        title=_("Disable voucher %s") % voucher.masked_code,
        form=form,
        summary=[
            (_("Voucher"), voucher.masked_code),
            (_("Batch"), str(voucher.batch)),
            (_("Terms"), batch_terms(voucher.batch)),
        ],
        question=_("Disable this voucher? Nobody can redeem it afterwards; this cannot be undone."),
        submit_label=_("Disable the voucher"),
        back_url=voucher_url(voucher),
        crumb_url=voucher_url(voucher),
        crumb_label=voucher.masked_code,
    )


# --- look-up ---------------------------------------------------------------------------------


def voucher_lookup_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Staff type a code a customer reads out; found → that voucher's page (its id, not the code).

    Every look-up is audited (without the code): the selector is not rate-limited.
    """
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = VoucherLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        voucher = voucher_find_by_code(code=form.cleaned_data["code"])
        audit_record(
            action="voucher.lookup",
            actor=request.user,
            obj=voucher,
            after={"found": voucher is not None, "hint": voucher.hint if voucher else None},
            ip_address=client_ip(request),
        )
        if voucher is not None:
            return HttpResponseRedirect(voucher_url(voucher))
        form.add_error("code", _("No voucher has that code (or it was mistyped)."))
    return _page(
        model_admin,
        request,
        "backoffice/voucher_lookup.html",
        title=_("Find a voucher by its code"),
        form=form,
    )


# --- four eyes -------------------------------------------------------------------------------


def voucher_batch_decide_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, *, approve: bool
) -> HttpResponse:
    """POST: approve (not the issuer) or reject a batch waiting for a second Finance user."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_move_money(request):
        raise PermissionDenied
    batch = model_admin.get_object(request, object_id)
    if batch is None:
        messages.error(request, _("No such voucher batch."))
        return HttpResponseRedirect(reverse("backoffice:vouchers_voucherbatch_changelist"))
    try:
        if approve:
            voucher_batch_approve(batch=batch.pk, actor=request.user)
        else:
            voucher_batch_reject(batch=batch.pk, actor=request.user)
    except PaydeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (
                _("Batch %(batch)s approved: its codes can be redeemed.")
                if approve
                else _("Batch %(batch)s rejected: its codes are disabled.")
            )
            % {"batch": batch.pk},
        )
    return HttpResponseRedirect(batch_url(batch))
