/*
 * Make Payment: show only the chosen method's fields, and a live quote as the customer types.
 *
 * The quote comes from the server (checkout:quote, JSON with money as strings): this file never
 * computes an amount. The page works without it ("Show quote" re-renders the page with the
 * quote); the server checks everything again on Pay. No inline script; nothing else.
 */
(function () {
  "use strict";

  var form = document.getElementById("pay-form");
  if (!form || !window.fetch) {
    return;
  }
  var quoteUrl = form.getAttribute("data-quote-url");
  var select = form.querySelector("select[name='method']");
  var quoteBody = document.getElementById("quote-body");
  var sections = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-method]"));
  // What only a method with an amount has: the minimum payment, the quote and its button.
  var minimum = form.querySelector(".pay-minimum");
  var quoteButton = form.querySelector("button[value='quote']");
  // The submit button says what it does for the chosen method ("Redeem voucher": nothing is paid).
  var payButton = form.querySelector("[data-pay-button]");
  var timer = null;
  var sequence = 0;
  var LABELS = [
    ["amount", "Amount"],
    ["surcharge", "Surcharge"],
    ["total_charged", "Total charged"],
    ["credit", "Credited to your account"],
    ["bonus", "Voucher bonus"],
    ["balance_rise", "Your balance rises by"],
    ["fx_rate", "Exchange rate"],
  ];

  function chosenSection() {
    var method = select ? select.value : "";
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].getAttribute("data-method") === method) {
        return sections[i];
      }
    }
    return null;
  }

  function showChosen() {
    var chosen = chosenSection();
    sections.forEach(function (section) {
      section.hidden = section !== chosen;
    });
    // A method that takes no amount (a voucher) has no minimum and nothing to quote; a quote
    // shown for the method chosen before must not stay beside it.
    var quoted = !chosen || chosen.getAttribute("data-takes-amount") === "1";
    if (minimum) {
      minimum.hidden = !quoted;
    }
    if (quoteButton) {
      quoteButton.hidden = !quoted;
    }
    if (payButton) {
      payButton.textContent =
        (chosen && chosen.getAttribute("data-submit-label")) ||
        payButton.getAttribute("data-default-label");
    }
    if (!quoted) {
      showMessage("Nothing to quote for a voucher: redeem it to see what it gives.");
    }
  }

  function clearErrors(section) {
    Array.prototype.forEach.call(section.querySelectorAll("[data-field-error]"), function (p) {
      p.textContent = "";
    });
    Array.prototype.forEach.call(section.querySelectorAll(".field"), clearServerError);
    clearFormErrors(section);
  }

  // An error the server rendered with the page (Pay or Show quote refused) is about what was
  // sent then: it goes as soon as the customer changes that field, or a quote succeeds.
  function clearServerError(fieldBox) {
    if (!fieldBox) {
      return;
    }
    fieldBox.classList.remove("field-error");
    Array.prototype.forEach.call(fieldBox.querySelectorAll("ul.errorlist"), function (list) {
      list.remove();
    });
    Array.prototype.forEach.call(fieldBox.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
    });
  }

  function clearFormErrors(section) {
    Array.prototype.forEach.call(section.querySelectorAll(".form-errors"), function (box) {
      box.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll(":scope > .form-errors"), function (box) {
      box.remove();
    });
  }

  function edited(event) {
    var target = event.target;
    if (target && target.closest) {
      clearServerError(target.closest(".field"));
      var live = target.closest(".field") && target.closest(".field").querySelector("[data-field-error]");
      if (live) {
        live.textContent = "";
      }
    }
  }

  function showMessage(text) {
    quoteBody.textContent = "";
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    quoteBody.appendChild(p);
  }

  function showQuote(quote) {
    quoteBody.textContent = "";
    var list = document.createElement("dl");
    list.className = "quote-figures";
    LABELS.forEach(function (pair) {
      var text = quote.display[pair[0]];
      if (!text) {
        return;
      }
      var term = document.createElement("dt");
      // Nothing is charged to a payer who sends a bank transfer: the total is what they send.
      term.textContent =
        pair[0] === "total_charged" && quote.method === "bank_transfer" ? "Total to transfer" : pair[1];
      var value = document.createElement("dd");
      value.setAttribute("data-quote", pair[0]);
      value.textContent = text;
      list.appendChild(term);
      list.appendChild(value);
    });
    quoteBody.appendChild(list);
  }

  function field(section, name) {
    return section.querySelector("[name='" + section.getAttribute("data-method") + "-" + name + "']");
  }

  function requestQuote() {
    var section = chosenSection();
    if (!section || section.getAttribute("data-takes-amount") !== "1") {
      return;
    }
    var amount = field(section, "amount");
    var currency = field(section, "currency");
    var quoted = section.querySelector("[data-quoted-credit]");
    if (!amount || !amount.value.trim()) {
      showMessage("Enter an amount to see the quote.");
      return;
    }
    var params = new URLSearchParams({
      // A saved method's section (data-method: its pm_…) is quoted as the method it pays by.
      method: section.getAttribute("data-quote-method") || section.getAttribute("data-method"),
      amount: amount.value.trim(),
      currency: currency ? currency.value : "",
    });
    var mine = ++sequence;
    fetch(quoteUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (mine !== sequence) {
          return; // an older answer arriving late
        }
        clearErrors(section);
        if (data.ok) {
          showQuote(data.quote);
          if (quoted) {
            quoted.value = data.quote.credit;
          }
          return;
        }
        if (quoted) {
          quoted.value = "";
        }
        showMessage("No quote yet: see the message next to the field.");
        Object.keys(data.errors).forEach(function (name) {
          var target = section.querySelector("[data-field-error='" + name + "']");
          if (target) {
            target.textContent = data.errors[name];
          } else {
            showMessage(data.errors[name]);
          }
        });
      })
      .catch(function () {
        showMessage("The quote could not be fetched; press Show quote.");
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(requestQuote, 300);
  }

  if (select) {
    select.addEventListener("change", function () {
      showChosen();
      later();
    });
  }
  sections.forEach(function (section) {
    section.addEventListener("input", edited);
    section.addEventListener("input", later);
    section.addEventListener("change", later);
  });
  showChosen();
})();
