// An announcement: the admin to everyone, trainers or clients; a trainer to all their clients.
// Each recipient gets a SYSTEM notification (a toast and a feed item).

import { api } from "./api.js";
import { card, errorLine, field, formError, h, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

/** The card; audiences: [[value, label], ...] of the announcement's `audience`. */
export function announcePanel(_ctx, audiences, title = "Announcement", collapsed = false) {
  const heading = h("input", { type: "text", maxLength: 200, placeholder: "Optional, e.g. Holiday hours", id: `announce-title-${audiences[0][0]}` });
  const message = h("textarea", { rows: 3, maxLength: 2000, required: true, placeholder: "What everyone should know…", id: `announce-message-${audiences[0][0]}` });
  const audience = h("select", { id: `announce-audience-${audiences[0][0]}` }, audiences.map(([v, text]) => h("option", { value: v, text })));
  const error = errorLine();
  const result = h("p", { class: "muted announce-result", role: "status" });
  const button = h("button", { type: "submit", class: "btn primary", text: "Send announcement" });
  const form = h(
    "form",
    { class: "stack announce-form", novalidate: true, onsubmit: (e) => send(e) },
    audiences.length > 1 ? field("To", audience) : h("p", { class: "muted", text: `To: ${audiences[0][1].toLowerCase()}` }),
    field("Title", heading),
    field("Message", message),
    error,
    button,
    result,
  );

  async function send(e) {
    e.preventDefault();
    const text = message.value.trim();
    if (!text) {
      formError(error, "Write the announcement first.");
      return;
    }
    formError(error, "");
    button.disabled = true;
    try {
      const body = { message: text, audience: audience.value };
      if (heading.value.trim()) body.title = heading.value.trim();
      const { recipients } = await api("POST", paths.announcements, body);
      result.textContent = recipients === 1 ? "Sent to 1 person." : `Sent to ${recipients} people.`;
      toast("Announcement sent", result.textContent, "success");
      form.reset();
    } catch (err) {
      formError(error, `The announcement was not sent. ${explain(err)}`);
    } finally {
      button.disabled = false;
    }
  }

  if (!collapsed) return { el: card(title, "announce-card", form) };
  // On the trainer's list it stays one line until opened.
  const summary = h("summary", {}, h("h2", { text: title }));
  return { el: h("details", { class: "card announce-card" }, summary, form) };
}
