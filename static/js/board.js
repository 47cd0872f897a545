// Move a card to another stage by dragging it, from its ⋯ menu, or from the keyboard (the card
// is focusable: Enter or Space opens the menu, arrow keys choose, Enter moves, Escape closes).
// Every way posts the same JSON move, through the same gates as the deal page's form; a
// refusal is shown on the card, which stays where it was.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || board.dataset.canMove !== "true") return;
  const FOCUS_KEY = "fundcrm.board.focus";
  const labels = {};
  board.querySelectorAll(".board-column").forEach((column) => {
    labels[column.dataset.stage] = column.dataset.label;
  });
  let dragged = null;
  let openMenu = null;

  // -- dragging ------------------------------------------------------------------------------

  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".board-card.movable");
    if (!dragged) return;
    closeMenu(false);
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

  // -- the menu --------------------------------------------------------------------------------

  board.addEventListener("click", (event) => {
    const button = event.target.closest(".card-move");
    if (button) {
      const card = button.closest(".board-card");
      if (openMenu && openMenu.card === card) closeMenu(true);
      else showMenu(card);
      return;
    }
    const item = event.target.closest(".move-menu [role=menuitem]");
    if (item) {
      const card = item.closest(".board-card");
      closeMenu(false);
      move(card, item.dataset.stage, {});
    }
  });

  document.addEventListener("click", (event) => {
    if (openMenu && !openMenu.card.contains(event.target)) closeMenu(false);
  });

  board.addEventListener("keydown", (event) => {
    if (openMenu && openMenu.element.contains(event.target)) {
      menuKey(event);
      return;
    }
    const card = event.target;
    if (card.classList && card.classList.contains("movable") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      showMenu(card);
    }
  });

  // The menu: the suggested stage first, then the other forward ones; below a divider and a
  // muted heading the stages back, then on hold and passed, so a quick click never moves a
  // deal backward.
  function showMenu(card) {
    closeMenu(false);
    const stagesOf = (key) => (card.dataset[key] || "").split(" ").filter(Boolean);
    const groups = [
      { stages: stagesOf("targets"), heading: null },
      { stages: stagesOf("back"), heading: board.dataset.msgBack },
      { stages: stagesOf("aside"), heading: board.dataset.msgAside },
    ].filter((group) => group.stages.length);
    if (!groups.length) return;
    const menu = document.createElement("div");
    menu.className = "move-menu list-group shadow";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", board.dataset.msgMenu);
    groups.forEach((group, index) => {
      if (index > 0) {
        const divider = document.createElement("div");
        divider.className = "move-menu-divider";
        divider.setAttribute("role", "separator");
        menu.appendChild(divider);
      }
      if (group.heading) {
        const heading = document.createElement("div");
        heading.className = "move-menu-heading small text-muted";
        heading.setAttribute("aria-hidden", "true");
        heading.textContent = group.heading;
        menu.appendChild(heading);
      }
      group.stages.forEach((stage) => menu.appendChild(menuItem(card, stage, group.heading)));
    });
    card.appendChild(menu);
    card.classList.add("menu-open");
    const button = card.querySelector(".card-move");
    if (button) button.setAttribute("aria-expanded", "true");
    openMenu = { card: card, element: menu };
    (menu.querySelector(".suggested") || menu.querySelector("[role=menuitem]")).focus();
  }

  function menuItem(card, stage, heading) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "list-group-item list-group-item-action py-1 small";
    item.setAttribute("role", "menuitem");
    item.tabIndex = -1;
    item.dataset.stage = stage;
    item.textContent = labels[stage] || stage;
    // a screen reader hears the group too: "Back to: 项目储备"
    if (heading) item.setAttribute("aria-label", heading + ": " + item.textContent);
    if (stage === card.dataset.suggested) item.classList.add("suggested");
    return item;
  }

  function closeMenu(refocus) {
    if (!openMenu) return;
    const card = openMenu.card;
    openMenu.element.remove();
    card.classList.remove("menu-open");
    const button = card.querySelector(".card-move");
    if (button) button.setAttribute("aria-expanded", "false");
    openMenu = null;
    if (refocus) card.focus();
  }

  function menuKey(event) {
    const items = Array.from(openMenu.element.querySelectorAll("[role=menuitem]"));
    const at = items.indexOf(document.activeElement);
    const go = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in go) {
      event.preventDefault();
      items[(go[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      closeMenu(true);
    }
    // Enter and Space press the focused item: its click handler moves the card.
  }

  // -- the move --------------------------------------------------------------------------------

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
      // the counts and sums change too: show the board again, the moved card in focus
      window.sessionStorage.setItem(FOCUS_KEY, card.id);
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
    showError(card, (result.errors || []).join(" "), result.request_url);
    card.focus();
  }

  // A move refused only by a mandate, for a user who may ask risk to override it: the link to
  // the request's form follows the refusal.
  function showError(card, text, requestUrl) {
    const box = card.querySelector(".card-error");
    box.textContent = text;
    if (requestUrl) {
      const link = document.createElement("a");
      link.href = requestUrl;
      link.className = "ms-1 request-override";
      link.textContent = board.dataset.msgRequest;
      box.append(link);
    }
    card.classList.toggle("refused", Boolean(text));
  }

  const focused = window.sessionStorage.getItem(FOCUS_KEY);
  if (focused) {
    window.sessionStorage.removeItem(FOCUS_KEY);
    const card = document.getElementById(focused);
    if (card) {
      card.focus();
      card.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }
})();
