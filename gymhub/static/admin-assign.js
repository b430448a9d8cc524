// The admin's Assignments panel: which trainer coaches which client.

import { api } from "./api.js";
import { card, empty, errorLine, fill, field, formError, h, personOptions, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

function group(trainer, clients, unassign) {
  return h(
    "div",
    { class: "assign-group" },
    h("strong", { text: trainer.display_name }),
    clients.length
      ? h(
          "ul",
          { class: "chips" },
          clients.map((c) =>
            h(
              "li",
              { class: "chip" },
              c.display_name,
              h("button", { type: "button", class: "chip-x", "aria-label": `Remove ${c.display_name}`, text: "×", onclick: () => unassign(trainer, c) }),
            ),
          ),
        )
      : h("span", { class: "muted", text: " no clients" }),
  );
}

/** The panel; onChange() reloads the admin's data after an assignment changes. */
export function assignPanel(onChange) {
  const trainer = h("select", { name: "trainer", "aria-label": "Trainer" });
  const client = h("select", { name: "client", "aria-label": "Client" });
  const error = errorLine();
  const form = h(
    "form",
    { class: "stack", onsubmit: (e) => assign(e) },
    h("div", { class: "row2" }, field("Trainer", trainer), field("Client", client)),
    error,
    h("button", { type: "submit", class: "btn primary", text: "Assign" }),
  );
  const list = h("div", { class: "assignments" });

  async function assign(e) {
    e.preventDefault();
    formError(error, "");
    if (!trainer.value || !client.value) {
      formError(error, "Choose a trainer and a client.");
      return;
    }
    try {
      await api("PUT", paths.assignment(trainer.value, client.value));
      await onChange();
    } catch (err) {
      formError(error, explain(err));
    }
  }

  async function unassign(t, c) {
    try {
      await api("DELETE", paths.assignment(t.id, c.id));
      await onChange();
    } catch (err) {
      toast("Could not remove the assignment", explain(err), "error");
    }
  }

  /** users: everyone; assignments: trainer id → that trainer's clients. */
  function render(users, assignments) {
    const trainers = users.filter((u) => u.role === "trainer");
    fill(trainer, personOptions(trainers, "Choose a trainer"));
    fill(client, personOptions(users.filter((u) => u.role === "client"), "Choose a client"));
    fill(list, trainers.length ? trainers.map((t) => group(t, assignments.get(t.id) || [], unassign)) : empty("No trainers yet."));
  }

  return { el: card("Trainer assignments", "assign-card", form, list), render };
}
