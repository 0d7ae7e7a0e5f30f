// Paydesk back office: names the admin's autocomplete boxes (select2) after their field's label,
// so a screen reader says "Customer" (axe-core: an ARIA input field needs an accessible name).
// select2 builds its box after jQuery's ready, so this watches for it rather than guess when.
// A list's table that is wider than the window scrolls inside its box: the box is then a named
// region a keyboard can focus and scroll (axe-core: scrollable-region-focusable).
"use strict";
(() => {
  const nameBoxes = () => {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const label = document.querySelector(`label[for="${select.id}"]`);
      if (!label) return;
      const name = label.textContent.replace(/:\s*$/, "").trim();
      select.parentElement
        .querySelectorAll(".select2-selection[role=combobox], .select2-selection__rendered")
        .forEach((box) => {
          if (box.getAttribute("aria-label") !== name) box.setAttribute("aria-label", name);
        });
    });
  };
  const scrollableResults = () => {
    const title = document.querySelector("#content h1");
    document.querySelectorAll("#changelist .results").forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", title ? title.textContent.trim() : "Results");
      } else {
        ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
      }
    });
  };
  document.addEventListener("DOMContentLoaded", () => {
    scrollableResults();
    window.addEventListener("resize", scrollableResults);
    if (!document.querySelector("select.admin-autocomplete")) return;
    nameBoxes();
    new MutationObserver(nameBoxes).observe(document.body, { childList: true, subtree: true });
  });
})();
