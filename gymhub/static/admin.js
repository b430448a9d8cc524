// The admin's screen: people, trainer assignments, storage, announcements.

import { api, bytes } from "./api.js";
import { card, empty, fill, formError, h, tabs, toast, when } from "./dom.js";
import { paths } from "./paths.js";

function field(label, input) {
  return h("label", { class: "field" }, h("span", { text: label }), input);
}

function options(users, placeholder) {
  return [h("option", { value: "", text: placeholder }), ...users.map((u) => h("option", { value: String(u.id), text: `${u.display_name} (@${u.username})` }))];
}

export async function adminView(ctx) {
  let users = [];
  const assignments = new Map();

  // --- people --------------------------------------------------------------------------
  const uName = h("input", { name: "username", required: true, maxLength: 64, autocomplete: "off", autocapitalize: "none", spellcheck: false });
  const uDisplay = h("input", { name: "display_name", maxLength: 100, autocomplete: "off" });
  const uPass = h("input", { name: "password", type: "password", required: true, minLength: 8, autocomplete: "new-password" });
  const uRole = h("select", { name: "role" }, ["client", "trainer", "admin"].map((r) => h("option", { value: r, text: r })));
  const uError = h("p", { class: "form-error", role: "alert", hidden: true });
  const createForm = h(
    "form",
    { class: "stack", id: "create-user", onsubmit: (e) => createUser(e) },
    h("div", { class: "row2" }, field("Username", uName), field("Display name", uDisplay)),
    h("div", { class: "row2" }, field("Password (8+)", uPass), field("Role", uRole)),
    uError,
    h("button", { type: "submit", class: "btn primary", text: "Create account" }),
  );
  const table = h("div", { class: "table-wrap" });

  async function createUser(e) {
    e.preventDefault();
    formError(uError, "");
    const body = { username: uName.value.trim(), password: uPass.value, role: uRole.value };
    if (uDisplay.value.trim()) body.display_name = uDisplay.value.trim();
    try {
      const u = await api("POST", paths.users, body);
      createForm.reset();
      toast("Account created", `${u.display_name} (${u.role})`, "success");
      await load();
    } catch (err) {
      formError(uError, err.message);
    }
  }

  async function setDisabled(u, disabled) {
    try {
      await api("PATCH", paths.user(u.id), { disabled });
      toast(disabled ? "Account disabled" : "Account enabled", u.display_name, "success");
      await load();
    } catch (err) {
      toast("Could not change the account", err.message, "error");
    }
  }

  function renderUsers() {
    const rows = users.map((u) =>
      h(
        "tr",
        { class: u.disabled ? "disabled" : "" },
        h("td", {}, h("strong", { text: u.display_name }), h("div", { class: "muted", text: `@${u.username}` })),
        h("td", {}, h("span", { class: `role role-${u.role}`, text: u.role })),
        h("td", { class: "muted", text: when(u.created_at) }),
        h(
          "td",
          {},
          u.id === ctx.me.id
            ? h("span", { class: "muted", text: "you" })
            : h("button", {
                type: "button",
                class: `btn small ${u.disabled ? "" : "danger"}`,
                text: u.disabled ? "Enable" : "Disable",
                onclick: () => setDisabled(u, !u.disabled),
              }),
        ),
      ),
    );
    fill(
      table,
      h(
        "table",
        { class: "users" },
        h("thead", {}, h("tr", {}, ["Person", "Role", "Since", ""].map((t) => h("th", { text: t })))),
        h("tbody", {}, rows),
      ),
    );
  }

  // --- assignments ---------------------------------------------------------------------
  const aTrainer = h("select", { name: "trainer", "aria-label": "Trainer" });
  const aClient = h("select", { name: "client", "aria-label": "Client" });
  const aError = h("p", { class: "form-error", role: "alert", hidden: true });
  const assignForm = h(
    "form",
    { class: "stack", onsubmit: (e) => assign(e) },
    h("div", { class: "row2" }, field("Trainer", aTrainer), field("Client", aClient)),
    aError,
    h("button", { type: "submit", class: "btn primary", text: "Assign" }),
  );
  const assignList = h("div", { class: "assignments" });

  async function assign(e) {
    e.preventDefault();
    formError(aError, "");
    if (!aTrainer.value || !aClient.value) {
      formError(aError, "Choose a trainer and a client.");
      return;
    }
    try {
      await api("PUT", paths.assignment(aTrainer.value, aClient.value));
      await load();
    } catch (err) {
      formError(aError, err.message);
    }
  }

  async function unassign(t, c) {
    try {
      await api("DELETE", paths.assignment(t.id, c.id));
      await load();
    } catch (err) {
      toast("Could not remove the assignment", err.message, "error");
    }
  }

  function renderAssignments() {
    const trainers = users.filter((u) => u.role === "trainer");
    const clientsAll = users.filter((u) => u.role === "client");
    fill(aTrainer, options(trainers, "Choose a trainer"));
    fill(aClient, options(clientsAll, "Choose a client"));
    fill(
      assignList,
      trainers.length
        ? trainers.map((t) => {
            const mine = assignments.get(t.id) || [];
            return h(
              "div",
              { class: "assign-group" },
              h("strong", { text: t.display_name }),
              mine.length
                ? h(
                    "ul",
                    { class: "chips" },
                    mine.map((c) =>
                      h(
                        "li",
                        { class: "chip" },
                        c.display_name,
                        h("button", { type: "button", class: "chip-x", "aria-label": `Remove ${c.display_name}`, text: "×", onclick: () => unassign(t, c) }),
                      ),
                    ),
                  )
                : h("span", { class: "muted", text: " no clients" }),
            );
          })
        : empty("No trainers yet."),
    );
  }

  // --- storage and announcements ------------------------------------------------------------
  const stats = h("div", { class: "stats-box" });
  async function loadStats() {
    try {
      const st = await api("GET", paths.mediaStats);
      const rows = Object.entries(st.by_category || {}).map(([cat, v]) =>
        h("tr", {}, h("td", { text: cat.replace("_", " ") }), h("td", { text: String(v.files) }), h("td", { text: bytes(v.bytes) })),
      );
      const disk = st.disk || {};
      fill(
        stats,
        h("div", { class: "kpis" },
          h("div", { class: "kpi" }, h("span", { class: "kpi-value", text: String(st.total_files) }), h("span", { class: "muted", text: "files" })),
          h("div", { class: "kpi" }, h("span", { class: "kpi-value", text: bytes(st.total_bytes) }), h("span", { class: "muted", text: "stored" })),
          h("div", { class: "kpi" }, h("span", { class: "kpi-value", text: bytes(disk.free_bytes) }), h("span", { class: "muted", text: "disk free" })),
        ),
        h("table", { class: "compact" }, h("tbody", {}, rows)),
        h("p", { class: "muted", text: `Variants: ${bytes(st.variant_bytes)} · disk ${bytes(disk.total_bytes)}` }),
      );
    } catch (err) {
      fill(stats, empty(`Storage statistics are unavailable: ${err.message}`));
    }
  }

  const nUser = h("select", { name: "user", "aria-label": "Recipient" });
  const nMessage = h("input", { name: "message", maxLength: 2000, placeholder: "e.g. The gym closes at 18:00 today" });
  const nError = h("p", { class: "form-error", role: "alert", hidden: true });
  const notifyForm = h(
    "form",
    { class: "stack", onsubmit: (e) => sendSystem(e) },
    field("To", nUser),
    field("Message", nMessage),
    nError,
    h("button", { type: "submit", class: "btn primary", text: "Send notification" }),
  );

  async function sendSystem(e) {
    e.preventDefault();
    formError(nError, "");
    if (!nUser.value) {
      formError(nError, "Choose a recipient.");
      return;
    }
    const body = nMessage.value.trim() ? { message: nMessage.value.trim() } : {};
    try {
      const res = await api("POST", paths.testNotification(nUser.value), body);
      toast("Notification sent", `Delivered to ${res.delivered_to} open connection(s).`, "success");
      nMessage.value = "";
    } catch (err) {
      formError(nError, err.message);
    }
  }

  // --- layout ---------------------------------------------------------------------------
  const root = h("div", { class: "view admin-view" });
  const t = tabs(root, [
    { id: "people", label: "People" },
    { id: "assign", label: "Assignments" },
    { id: "storage", label: "Storage" },
    { id: "feed", label: "Feed" },
  ]);
  const panes = [
    [card("People", "people-card", createForm, table), "people"],
    [card("Trainer assignments", "assign-card", assignForm, assignList), "assign"],
    [card("Storage", "storage-card", stats), "storage"],
    [card("Send a notification", "notify-card", notifyForm), "storage"],
    [ctx.feed.el, "feed"],
  ];
  panes.forEach(([el, id]) => el.setAttribute("data-pane", id));
  root.append(...panes.map(([el]) => el));
  fill(ctx.root, h("div", { class: "greeting" }, h("h1", { text: "Administration" })), t.bar, root);

  async function load() {
    users = (await api("GET", paths.users)).users;
    ctx.addPeople(users);
    const trainers = users.filter((u) => u.role === "trainer");
    const lists = await Promise.all(trainers.map((tr) => api("GET", paths.trainerClients(tr.id))));
    assignments.clear();
    trainers.forEach((tr, i) => assignments.set(tr.id, lists[i].users));
    renderUsers();
    renderAssignments();
    const chosen = nUser.value;
    fill(nUser, options(users.filter((u) => !u.disabled), "Choose a person"));
    nUser.value = chosen;
  }

  await Promise.all([load(), loadStats()]);
  return {
    onEvent(n) {
      if (n.type === "FILE_UPLOADED" || n.type === "FILE_DELETED") loadStats();
    },
  };
}
