// Drag a card to another column: the move goes through the same gates as the deal page's
// form; a refusal is shown on the card, which stays where it was.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || board.dataset.canMove !== "true") return;
  let dragged = null;

  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".board-card");
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.dealId);
  });

  board.querySelectorAll(".board-column").forEach((column) => {
    column.addEventListener("dragover", (event) => {
      event.preventDefault();
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", () => column.classList.remove("drop-target"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop-target");
      if (dragged && dragged.closest(".board-column") !== column) {
        move(dragged, column.dataset.stage, {});
      }
    });
  });

  async function move(card, stage, extra) {
    // the column the card was in: a move made meanwhile by someone else is refused
    const body = Object.assign({ to_stage: stage, from_stage: card.closest(".board-column").dataset.stage }, extra);
    if (stage === "passed" && !body.pass_reason) {
      const reason = window.prompt(board.dataset.msgReason);
      if (!reason) return;
      body.pass_reason = reason;
    }
    showError(card, "");
    let response;
    try {
      response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": board.dataset.csrf },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (error) {
      showError(card, board.dataset.msgFailed);
      return;
    }
    const result = await response.json().catch(() => ({ ok: false, errors: [board.dataset.msgFailed] }));
    if (result.ok) {
      window.location.reload();
      return;
    }
    if (result.overridable && !body.override_reason) {
      const reason = window.prompt(result.errors.join("\n") + "\n\n" + board.dataset.msgOverride);
      if (reason) {
        move(card, stage, Object.assign(extra, { override_reason: reason, pass_reason: body.pass_reason }));
        return;
      }
    }
    showError(card, (result.errors || []).join(" "));
  }

  function showError(card, text) {
    card.querySelector(".card-error").textContent = text;
    card.classList.toggle("refused", Boolean(text));
  }
})();
