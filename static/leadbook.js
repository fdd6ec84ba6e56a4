/* Leadbook staff pages: small enhancements on top of pages that work without JavaScript.
   - `js` class on <html> (hides the no-JS "Switch"/"Filter" buttons)
   - select[data-autosubmit] submits its form on change (workspace switcher)
   - input[data-select-all="name"] toggles every checkbox of that name (lead list)
   - pipeline board: drag a card to a column, or focus a card and press ←/→
   - button[data-copy="#id"] copies that field's value (secrets shown once)
   - call queue: focus moves to the next lead after an outcome is recorded */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
    if (target.matches("input[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      var form = target.form || document;
      form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // --- copy buttons ------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var box = button.closest(".secret-box") || document;
    var status = box.querySelector(".copy-status");
    function say(text) {
      if (status) status.textContent = text;
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say("Copied."); },
        function () { say("Selected: press Ctrl+C (⌘C) to copy."); }
      );
    } else {
      say("Selected: press Ctrl+C (⌘C) to copy.");
    }
  });

  // --- pipeline board ---------------------------------------------------------------
  var focusAfterSwap = null;

  function board() {
    return document.getElementById("board");
  }

  function moveLead(leadId, stageId) {
    var el = board();
    if (!el || !window.htmx) return;
    focusAfterSwap = leadId;
    window.htmx.ajax("POST", el.getAttribute("data-move-url"), {
      source: el,
      target: "#board",
      swap: "outerHTML",
      values: { lead: leadId, stage: stageId, query: el.getAttribute("data-query") || "" },
      headers: { "X-CSRFToken": csrfToken() },
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".card[draggable='true']");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.getAttribute("data-lead"));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".card");
    if (card) card.classList.remove("dragging");
    document.querySelectorAll(".column.drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest("#board .column");
    if (!column || !column.getAttribute("data-stage")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".column.drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest("#board .column");
    if (!column || !column.getAttribute("data-stage")) return;
    event.preventDefault();
    var leadId = event.dataTransfer.getData("text/plain");
    var from = document.querySelector('.card[data-lead="' + leadId + '"]');
    if (!leadId || (from && from.closest(".column") === column)) return;
    moveLead(leadId, column.getAttribute("data-stage"));
  });

  document.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!card.matches || !card.matches(".card[draggable='true']")) return;
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var columns = Array.prototype.slice.call(document.querySelectorAll("#board .column[data-stage]:not([data-stage=\"\"])"));
    var index = columns.indexOf(card.closest(".column"));
    var next = columns[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (!next) return;
    event.preventDefault();
    moveLead(card.getAttribute("data-lead"), next.getAttribute("data-stage"));
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    // Call queue: after an outcome, the next lead's name takes the focus (keyboard and
    // screen-reader users land on who to call next).
    var swapped = event.detail && (event.detail.target || event.detail.elt);
    if (swapped && swapped.id === "queue-card") {
      var title = document.getElementById("queue-title");
      if (title) title.focus();
    }
    if (!focusAfterSwap) return;
    var card = document.querySelector('.card[data-lead="' + focusAfterSwap + '"]');
    focusAfterSwap = null;
    if (card) card.focus();
  });
})();
