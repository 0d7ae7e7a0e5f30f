"""The saved payment methods pages as a customer reads them (issue 14 polish), in a real browser
at 1280 and 390 px with axe-core: two cards of one brand and last four are told apart (expiry,
when added), a mandate shows its reference and never its Stripe id, Remove asks first, removing
the default asks which is next (and refuses to go on without), nothing is wider than the phone,
and the IBAN field of the processor's frame is shown whole."""

from __future__ import annotations

import pytest

from paydesk.methods.models import MethodSetup
from paydesk.methods.services import saved_methods_list
from tests.axe import assert_accessible
from tests.online.conftest import sign_in
from tests.online.stripe_support import save_card, save_sepa

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
def test_the_list_tells_methods_apart_and_shows_no_mandate_id(sandbox, online_customer, page, size):
    user = online_customer("card", "EUR", account="EUR")
    save_card(sandbox.url, user, exp_month="12", exp_year="2031")
    save_card(sandbox.url, user, exp_month="3", exp_year="2032")
    sepa = save_sepa(sandbox.url, user)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/billing/methods/")
    details = page.locator("[data-method-details]").all_inner_texts()
    # One card number saved with two expiries (a renewed card): each says so.
    assert details[0].startswith(
        "Visa, expires 12/2031, same card number as the one expiring 03/2032, added "
    )
    assert details[1].startswith(
        "Visa, expires 03/2032, same card number as the one expiring 12/2031, added "
    )
    assert details[2].startswith(f"Mandate reference {sepa.mandate_reference}, added ")
    assert ".." not in " ".join(details)
    body = page.content()
    assert sepa.mandate not in body and "mandate_" not in body
    assert _fits(page), f"the methods list is wider than the {size} window"
    assert_accessible(page, f"the payment methods list ({size})")
    assert page.console_errors == []


def test_remove_asks_first_and_the_default_asks_which_is_next(sandbox, online_customer, page):
    user = online_customer("card", "EUR", account="EUR")
    first = save_card(sandbox.url, user, exp_month="12", exp_year="2031")
    second = save_card(sandbox.url, user, exp_month="3", exp_year="2032")
    sepa = save_sepa(sandbox.url, user).payment_method
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/billing/methods/")
    default = page.locator(f"[data-method-id='{first}']")
    questions: list[str] = []

    def answer_no(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    # No next default chosen: the browser refuses to send the form, nothing is asked or removed.
    page.on("dialog", answer_no)
    default.get_by_role("button", name="Remove").click()
    assert questions == [] and len(saved_methods_list(customer=user.customer)) == 3

    # Chosen, then No to the question: still nothing removed.
    choice = default.get_by_label("Default from now on")
    options = choice.locator("option").all_inner_texts()
    assert options[1].startswith(
        "Card •••• 4242, Visa, expires 03/2032, same card number as "
        "the one expiring 12/2031, added "
    )
    assert options[2].startswith("SEPA Direct Debit •••• 3000, mandate reference ")
    choice.select_option(sepa)
    default.get_by_role("button", name="Remove").click()
    assert len(questions) == 1
    assert questions[0].startswith(
        "Remove Card •••• 4242, Visa, expires 12/2031, same card number "
        "as the one expiring 03/2032, added "
    )
    assert questions[0].endswith("The method you chose becomes the default.")
    assert len(saved_methods_list(customer=user.customer)) == 3

    # Yes: removed at Stripe, the chosen one is the default.
    page.remove_listener("dialog", answer_no)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        default.get_by_role("button", name="Remove").click()
    left = saved_methods_list(customer=user.customer)
    assert [m.id for m in left if m.is_default] == [sepa]
    assert first not in [m.id for m in left] and second in [m.id for m in left]
    assert page.get_by_text("The payment method is removed.").is_visible()
    assert page.console_errors == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("button", "field"),
    [("Add a card", "Card number"), ("Add a SEPA Direct Debit mandate", "IBAN")],
)
def test_the_processors_fields_are_shown_whole(sandbox, online_customer, page, size, button, field):
    user = online_customer("card", "EUR", account="EUR")
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/billing/methods/")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/billing/methods/setup/seti_*/")
    frame = page.locator("[data-setup-element] iframe")
    inner = page.frame_locator("[data-setup-element] iframe")
    inner.get_by_label(field).wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-setup-element] iframe').style.height.endsWith('px')"
    )
    # Every field of the frame (the IBAN; the card's number, expiry and CVC) ends inside it.
    bottom = inner.locator("body").evaluate(
        "(body) => Math.max(...[...body.querySelectorAll('input')].map("
        "(input) => input.getBoundingClientRect().bottom))"
    )
    assert bottom <= frame.bounding_box()["height"], "a field is cut by the processor's frame"
    assert _fits(page)
    assert_accessible(page, f"{button} ({size})")
    assert MethodSetup.objects.filter(customer=user.customer, completed_at=None).count() == 1
