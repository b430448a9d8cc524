// The admin's People panel: create accounts, list everyone, disable or enable an account.

import { accessLogButton } from "./access-log.js";
import { api } from "./api.js";
import { card, confirmButton, errorLine, fill, field, formError, h, toast, timeText } from "./dom.js";
import { paths } from "./paths.js";
import { resetCodeButton } from "./reset-code.js";
import { explain } from "./say.js";

function createForm(onCreated) {
  const name = h("input", { name: "username", required: true, maxLength: 64, autocomplete: "off", autocapitalize: "none", spellcheck: false });
  const display = h("input", { name: "display_name", maxLength: 100, autocomplete: "off" });
  const pass = h("input", { name: "password", type: "password", required: true, minLength: 8, autocomplete: "new-password" });
  const role = h("select", { name: "role" }, ["client", "trainer", "admin"].map((r) => h("option", { value: r, text: r })));
  const error = errorLine();
  const form = h(
    "form",
    { class: "stack", id: "create-user", onsubmit: (e) => submit(e) },
    h("div", { class: "row2" }, field("Username", name), field("Display name", display)),
    h("div", { class: "row2" }, field("Password (at least 8 characters)", pass), field("Role", role)),
    error,
    h("button", { type: "submit", class: "btn primary", text: "Create account" }),
  );

  // What the last attempt was told no longer holds once anything is changed.
  form.addEventListener("input", () => formError(error, ""));

  async function submit(e) {
    e.preventDefault();
    formError(error, "");
    if (pass.value.length < 8) {
      formError(error, "The password must be at least 8 characters long.");
      return;
    }
    const body = { username: name.value.trim(), password: pass.value, role: role.value };
    if (display.value.trim()) body.display_name = display.value.trim();
    try {
      const u = await api("POST", paths.users, body);
      form.reset();
      toast("Account created", `${u.display_name} (${u.role})`, "success");
      await onCreated();
    } catch (err) {
      formError(error, explain(err, { conflict: `The username “${body.username}” is taken. Choose another one.` }));
    }
  }

  return form;
}

function userRow(u, me, setDisabled) {
  return h(
    "tr",
    { class: u.disabled ? "disabled" : "" },
    h("td", {}, h("strong", { text: u.display_name }), h("div", { class: "muted", text: `@${u.username}${u.disabled ? " · disabled" : ""}` }), accessLogButton(u)),
    h("td", {}, h("span", { class: `role role-${u.role}`, text: u.role })),
    h("td", { class: "muted since", text: timeText(u.created_at) }),
    h(
      "td",
      { class: "actions" },
      u.id === me.id
        ? h("span", { class: "muted", text: "you" })
        : h(
            "span",
            { class: "row-actions" },
            resetCodeButton(u),
            u.disabled
              ? h("button", { type: "button", class: "btn small", text: "Enable", onclick: () => setDisabled(u, false) })
              : confirmButton({ label: "Disable", question: `Disable ${u.display_name}? They are signed out at once.`, yes: "Disable", action: () => setDisabled(u, true) }),
          ),
    ),
  );
}

/** The panel; onChange() reloads the admin's data after an account changes. */
export function peoplePanel(ctx, onChange) {
  const table = h("div", { class: "table-wrap" });

  async function setDisabled(u, disabled) {
    try {
      await api("PATCH", paths.user(u.id), { disabled });
      toast(disabled ? "Account disabled" : "Account enabled", u.display_name, "success");
      await onChange();
    } catch (err) {
      toast("Could not change the account", explain(err), "error");
    }
  }

  function render(users) {
    fill(
      table,
      h(
        "table",
        { class: "users" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { text: "Person" }), h("th", { text: "Role" }), h("th", { class: "since", text: "Since" }), h("th")),
        ),
        h("tbody", {}, users.map((u) => userRow(u, ctx.me, setDisabled))),
      ),
    );
  }

  return { el: card("People", "people-card", createForm(onChange), table), render };
}
