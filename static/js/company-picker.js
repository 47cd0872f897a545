// The new-deal form's company picker: type part of a company's name or USCC, choose one of
// the suggestions from GET /companies/lookup?q=…, and its USCC fills the form's USCC field.
// Without JavaScript the picker stays hidden and the USCC (or a new company) is typed.
(function () {
  "use strict";
  const picker = document.getElementById("company-picker");
  if (!picker) return;
  const input = document.getElementById("company-search");
  const list = document.getElementById("company-suggestions");
  const status = document.getElementById("company-search-status");
  const target = document.getElementById(picker.dataset.target);
  if (!input || !list || !status || !target) return;
  const MIN = 2;
  const MAX = 100;
  let timer = null;
  let latest = 0; // answers to older requests are dropped
  let active = -1;

  picker.hidden = false;

  function options() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }

  function close() {
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function say(text) {
    status.textContent = text || "";
  }

  function choose(company) {
    target.value = company.uscc;
    target.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = company.name;
    say(picker.dataset.msgChosen.replace("%(name)s", company.name + " " + company.uscc));
    close();
    target.focus();
  }

  function option(company, index) {
    const item = document.createElement("button");
    item.type = "button";
    item.id = "company-option-" + index;
    item.className = "list-group-item list-group-item-action company-option";
    item.setAttribute("role", "option");
    item.dataset.uscc = company.uscc;
    const name = document.createElement("span");
    name.textContent = company.name;
    const details = document.createElement("small");
    details.className = "text-muted ms-2";
    details.textContent = [company.uscc, company.district].filter(Boolean).join(" · ");
    item.append(name, details);
    item.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
    item.addEventListener("click", () => choose(company));
    return item;
  }

  function show(companies) {
    close();
    if (!companies.length) {
      say(picker.dataset.msgNone);
      return;
    }
    say("");
    list.append(...companies.map(option));
    input.setAttribute("aria-expanded", "true");
    list.companies = companies;
  }

  async function search(q, serial) {
    try {
      const response = await fetch(
        picker.dataset.lookupUrl + "?q=" + encodeURIComponent(q),
        { headers: { Accept: "application/json" }, credentials: "same-origin" },
      );
      const body = await response.json().catch(() => ({}));
      if (serial !== latest) return;
      if (!response.ok) {
        close();
        say(body.error || picker.dataset.msgFailed);
        return;
      }
      show(body.companies || []);
    } catch (error) {
      if (serial === latest) {
        close();
        say(picker.dataset.msgFailed);
      }
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    latest += 1;
    if (q.length < MIN) {
      close();
      say(q ? picker.dataset.msgShort : "");
      return;
    }
    const serial = latest;
    timer = setTimeout(() => search(q.slice(0, MAX), serial), 250);
  });

  function highlight(index) {
    const items = options();
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.classList.toggle("active", i === active));
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault(); // the search box chooses; it never submits the deal form
      const shown = list.companies && options().length ? list.companies : [];
      if (active >= 0) choose(shown[active]);
      else if (shown.length === 1) choose(shown[0]);
    } else if (event.key === "Escape") {
      close();
    }
  });

  input.addEventListener("blur", () => setTimeout(close, 150));
})();
