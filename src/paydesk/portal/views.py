"""Portal views: thin. Every query is scoped to the signed-in user's own customer; the reads
live in paydesk.ledger.selectors, the CSV in paydesk.exports.

Staff are sent to the back office; a user without a customer, or without *view payments* for a
payments page, is refused with a message (never a crash, never another customer's data).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from paydesk.accounts.access import customer_required, refuse, view_payments_required
from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.checkout.selectors import (
    checkout_page_closed,
    checkout_quotes_for,
    new_payment_url,
    test_mode_set,
)
from paydesk.exports import payments_csv_response
from paydesk.ledger.access import payment_cancellable_by
from paydesk.ledger.attempts import payment_list_unfinished
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.refund_reads import refunded_totals_set
from paydesk.ledger.selectors import (
    payment_list_for_customer,
    payment_page,
    payment_statement,
    payment_statuses_for_customer,
)
from paydesk.money import format_money, plain_amount
from paydesk.portal.charts import balance_chart_svg
from paydesk.portal.forms import (
    FILTER_PARAMETERS,
    PaymentFilterForm,
    TimeZoneForm,
    time_zone_names,
)
from paydesk.vouchers.selectors import activation_list_armed
from paydesk.web.next_url import next_url_local

MAX_POLLED_IDS = 200


def _balance_context(customer: Customer, defaults: PortalDefaults) -> dict[str, Any]:
    return {
        "customer": customer,
        "show_balance": customer.flag("show_balance", defaults),
        "has_debit_limit": customer.debit_limit != 0,
    }


@customer_required
def dashboard(request: HttpRequest, customer: Customer) -> HttpResponse:
    defaults = PortalDefaults.current()
    context = _balance_context(customer, defaults)
    context["nav"] = "dashboard"
    assert request.user.is_authenticated  # @customer_required
    context["can_view_payments"] = request.user.can_view_payments
    context["show_payments"] = customer.flag("show_payments", defaults)
    return render(request, "portal/dashboard.html", context)


def _unfinished(request: HttpRequest, customer: Customer, defaults: PortalDefaults) -> list[dict]:
    """The customer's unfinished online checkouts, each with whether this user may cancel it
    and, where its gateway page closed with its quote, the new payment the status page offers
    instead (checkout_page_closed: the same rule). Resuming takes *make payments*: the template
    asks the user; checkout:resume decides where to."""
    assert request.user.is_authenticated  # @customer_required
    payments = payment_list_unfinished(customer=customer)
    quotes = checkout_quotes_for(payments)
    unfinished = []
    for payment in payments:
        payment.customer = customer
        quote = quotes.get(payment.pk)
        closed = checkout_page_closed(quote)
        unfinished.append(
            {
                "payment": payment,
                "can_cancel": payment_cancellable_by(
                    user=request.user, payment=payment, defaults=defaults
                ),
                "closed_at": quote.expires_at if closed and quote is not None else None,
                "new_payment_url": new_payment_url(payment, quote) if closed else "",
            }
        )
    return unfinished


PAGE_COUNT_CAP = 10_000  # rows counted for "Page N of M"; beyond, "of more than M"


def _page_numbers(request: HttpRequest, rows: Any, page: Any) -> tuple[int, int, bool]:
    """(this page's number, the number of pages, whether the count stopped at the cap). Keyset
    pages carry their number in `n`; the count reads at most PAGE_COUNT_CAP index entries.

    It walks the (customer, occurred_at, id) index, whatever the page's sort: rows are written in
    time order, so the table reads the filters need (the default view leaves checkout attempts
    out) go along the table instead of jumping around it as the total index makes them."""
    size = settings.PAYDESK_PAGE_SIZE
    in_time_order = rows.order_by("-occurred_at", "-id").values("pk")
    counted = in_time_order[: PAGE_COUNT_CAP + 1].count()
    capped = counted > PAGE_COUNT_CAP
    count = max(1, -(-min(counted, PAGE_COUNT_CAP) // size))
    if request.GET.get("page") == "last" and not capped:
        return count, count, capped
    text = request.GET.get("n", "")
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1
    if not page.has_previous:
        number = 1
    elif not page.has_next and not capped:
        number = count
    return max(1, min(number, count if not capped else number)), count, capped


def _query(params: dict[str, str], **extra: str) -> str:
    return "?" + urlencode({**params, **extra}) if params or extra else ""


@customer_required
@view_payments_required
@require_GET
def payments(request: HttpRequest, customer: Customer) -> HttpResponse:
    defaults = PortalDefaults.current()
    context = _balance_context(customer, defaults)
    form = PaymentFilterForm(request.GET)
    form.is_valid()
    show_payments = customer.flag("show_payments", defaults)
    time_zone = timezone.get_current_timezone()
    context.update(form=form, show_payments=show_payments, nav="payments")
    context["armed_vouchers"] = list(activation_list_armed(customer=customer))
    if show_payments:
        filters = form.filters(
            time_zone=time_zone,
            hide_pending_bank_transfers=not customer.flag("show_pending_bank_payments", defaults),
        )
        rows = payment_list_for_customer(customer=customer, filters=filters)
        page = payment_page(
            queryset=rows,
            sort=form.sort_order(),
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            last=request.GET.get("page") == "last",
            size=settings.PAYDESK_PAGE_SIZE,
        )
        refunded_totals_set(page.rows)  # "refunded X of Y" on the page's top-ups: one query
        test_mode_set(page.rows)  # a Test mode badge on payments made with test credentials
        params = {name: request.GET[name] for name in FILTER_PARAMETERS if request.GET.get(name)}
        base = reverse("portal:payments")
        number, count, capped = _page_numbers(request, rows, page)
        unfinished = _unfinished(request, customer, defaults)
        context.update(
            page=page,
            unfinished=unfinished,
            unfinished_ids=",".join(str(u["payment"].pk) for u in unfinished),
            is_filtered=form.is_filtered,
            pending_ids=",".join(str(p.pk) for p in page.rows if p.status == PaymentStatus.PENDING),
            first_url=base + _query(params),
            last_url=base + _query(params, page="last"),
            previous_url=page.has_previous
            and base + _query(params, before=page.previous_cursor or "", n=str(number - 1)),
            next_url=page.has_next
            and base + _query(params, after=page.next_cursor or "", n=str(number + 1)),
            page_number=number,
            page_count=count,
            page_count_capped=capped,
            csv_url=reverse("portal:payments_csv") + _query(params),
        )
        if context["show_balance"]:
            statement = payment_statement(customer=customer, start=filters.start, end=filters.end)
            context.update(
                statement=statement,
                chart=balance_chart_svg(
                    statement=statement, currency=customer.currency, chart_id="balance-chart"
                ),
            )
    template = (
        "portal/_payments_fragment.html"
        if request.GET.get("fragment") == "1"
        else "portal/payments.html"
    )
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@customer_required
@view_payments_required
@require_GET
def payments_csv(request: HttpRequest, customer: Customer) -> HttpResponseBase:
    defaults = PortalDefaults.current()
    if not customer.flag("show_payments", defaults):
        return refuse(request, _("The payments list is not available for this account."))
    form = PaymentFilterForm(request.GET)
    time_zone = timezone.get_current_timezone()
    filters = form.filters(
        time_zone=time_zone,
        hide_pending_bank_transfers=not customer.flag("show_pending_bank_payments", defaults),
    )
    return payments_csv_response(
        queryset=payment_list_for_customer(customer=customer, filters=filters),
        sort=form.sort_order(),
        time_zone=time_zone,
        currency=customer.currency,
        filename=f"payments-{customer.slug}-{timezone.localdate().isoformat()}.csv",
    )


def _polled_ids(text: str) -> list[int]:
    ids = []
    for part in text.split(",")[:MAX_POLLED_IDS]:
        part = part.strip()
        if part.isascii() and part.isdigit() and 0 < len(part) <= 18:
            ids.append(int(part))
    return ids


@customer_required
@view_payments_required
@require_GET
def payments_updates(request: HttpRequest, customer: Customer) -> JsonResponse:
    """Current status of the pending rows a page shows, and the balance (money as strings)."""
    defaults = PortalDefaults.current()
    statuses: dict[int, str] = {}
    if customer.flag("show_payments", defaults):
        statuses = payment_statuses_for_customer(
            customer=customer, ids=_polled_ids(request.GET.get("ids", ""))
        )
    data: dict[str, Any] = {
        "payments": {str(pk): status for pk, status in statuses.items()},
        "currency": customer.currency,
    }
    if customer.flag("show_balance", defaults):
        data["balance"] = plain_amount(customer.balance, customer.currency)
        data["balance_display"] = format_money(customer.balance, customer.currency)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def preferences(request: HttpRequest) -> HttpResponse:
    """The time zone times are shown in: a text field that suggests every IANA name as you type
    (a datalist; works without a script), empty for the provider's."""
    assert request.user.is_authenticated  # @login_required
    form = TimeZoneForm(
        initial={
            "time_zone": request.user.time_zone,
            "next": reverse("portal:preferences"),
        }
    )
    return render(
        request,
        "portal/preferences.html",
        {
            "form": form,
            "nav": "preferences",
            "time_zones": time_zone_names(),
            "provider_zone": settings.TIME_ZONE,
        },
    )


@login_required
@require_POST
def set_time_zone(request: HttpRequest) -> HttpResponse:
    """Store the user's time zone (empty: the provider's) and go back where they were."""
    form = TimeZoneForm(request.POST)
    user = request.user
    assert user.is_authenticated  # @login_required
    fallback = reverse("backoffice:index" if user.is_staff else "portal:dashboard")
    target = next_url_local(request, request.POST.get("next", "")) or fallback
    if form.is_valid():
        user.time_zone = form.cleaned_data["time_zone"]
        user.save(update_fields=["time_zone"])
        messages.success(
            request,
            _("Times are now shown in %(zone)s.")
            % {"zone": form.cleaned_data["time_zone"] or settings.TIME_ZONE},
        )
    else:
        messages.error(request, _("That time zone is not known; nothing was changed."))
    return redirect(target)
