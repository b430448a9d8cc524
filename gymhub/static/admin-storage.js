// The admin's Storage tab: media statistics, and a SYSTEM notification to one person.

import { api, bytes } from "./api.js";
import { card, empty, errorLine, fill, field, formError, h, personOptions, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

function kpi(value, label) {
  return h("div", { class: "kpi" }, h("span", { class: "kpi-value", text: value }), h("span", { class: "muted", text: label }));
}

function statsContent(st) {
  const rows = Object.entries(st.by_category || {}).map(([cat, v]) =>
    h("tr", {}, h("td", { text: cat.replace("_", " ") }), h("td", { text: String(v.files) }), h("td", { text: bytes(v.bytes) })),
  );
  const disk = st.disk || {};
  return [
    h("div", { class: "kpis" }, kpi(String(st.total_files), "files"), kpi(bytes(st.total_bytes), "stored"), kpi(bytes(disk.free_bytes), "disk free")),
    h("table", { class: "compact" }, h("tbody", {}, rows)),
    h("p", { class: "muted", text: `Variants: ${bytes(st.variant_bytes)} · disk ${bytes(disk.total_bytes)}` }),
  ];
}

/** The storage statistics card; load() fetches them again. */
export function storagePanel() {
  const stats = h("div", { class: "stats-box" });
  async function load() {
    try {
      fill(stats, ...statsContent(await api("GET", paths.mediaStats)));
    } catch (err) {
      fill(stats, empty(`Storage statistics are unavailable: ${explain(err)}`));
    }
  }
  return { el: card("Storage", "storage-card", stats), load };
}

/** The "send a notification" card; setPeople(users) lists the enabled ones as recipients. */
export function notifyPanel() {
  const user = h("select", { name: "user", "aria-label": "Recipient" });
  const message = h("input", { name: "message", maxLength: 2000, placeholder: "e.g. The gym closes at 18:00 today" });
  const error = errorLine();
  const form = h(
    "form",
    { class: "stack", onsubmit: (e) => send(e) },
    field("To", user),
    field("Message", message),
    error,
    h("button", { type: "submit", class: "btn primary", text: "Send notification" }),
  );

  async function send(e) {
    e.preventDefault();
    formError(error, "");
    if (!user.value) {
      formError(error, "Choose a recipient.");
      return;
    }
    const body = message.value.trim() ? { message: message.value.trim() } : {};
    try {
      const res = await api("POST", paths.testNotification(user.value), body);
      toast("Notification sent", `Delivered to ${res.delivered_to} open connection(s).`, "success");
      message.value = "";
    } catch (err) {
      formError(error, explain(err, { notFound: "That person no longer exists." }));
    }
  }

  function setPeople(users) {
    const chosen = user.value;
    fill(user, personOptions(users.filter((u) => !u.disabled), "Choose a person"));
    user.value = chosen;
  }

  return { el: card("Send a notification", "notify-card", form), setPeople };
}
