// One message of a conversation as a row, with the sender's actions: edit within 24 hours
// (in place) and delete (asked first, then an Undo toast). A deleted message reads
// "Message deleted" for both sides.

import { api } from "./api.js";
import { errorLine, formError, h, timeEl } from "./dom.js";
import { actionsMenu } from "./menu.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { deleteWithUndo, pendingDeletes } from "./undo.js";

const EDIT_WINDOW_MS = 24 * 60 * 60 * 1000;

function editable(m) {
  return Date.now() - new Date(m.created_at).getTime() < EDIT_WINDOW_MS;
}

function editForm(m, row, onSaved) {
  const text = h("textarea", { name: "body", rows: 2, maxLength: 5000, required: true, "aria-label": "Edit your message" });
  text.value = m.body;
  const error = errorLine();
  const bodyEl = row.querySelector(".message-body");
  const close = () => {
    form.remove();
    bodyEl.hidden = false;
  };
  const form = h(
    "form",
    { class: "message-edit stack", novalidate: true, "data-testid": "message-edit" },
    text,
    error,
    h(
      "div",
      { class: "item-edit-buttons" },
      h("button", { type: "submit", class: "btn primary small", text: "Save" }),
      h("button", { type: "button", class: "btn ghost small", text: "Cancel", onclick: close }),
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body) return formError(error, "Write something, or delete the message instead.");
    if (body === m.body) return close();
    try {
      onSaved(await api("PATCH", paths.message(m.id), { body }));
    } catch (err) {
      formError(error, `Not saved. ${explain(err, { forbidden: "" })}`);
    }
  });
  bodyEl.hidden = true;
  bodyEl.after(form);
  text.focus();
}

function actions(m, row, onChanged) {
  const key = `message:${m.id}`;
  const mark = (on) => row.toggleAttribute("data-pending", on);
  const items = [];
  if (editable(m)) items.push({ text: "Edit", run: () => row.querySelector(".message-edit") || editForm(m, row, onChanged) });
  items.push({
    text: "Delete",
    danger: true,
    question: "Delete this message for both of you?",
    run: () =>
      deleteWithUndo({
        key,
        title: "Message deleted",
        hide: () => mark(true),
        restore: () => mark(false),
        send: () => api("DELETE", paths.message(m.id)),
        done: () => onChanged({ ...m, body: null, deleted_at: new Date().toISOString() }),
      }),
  });
  if (pendingDeletes.has(key)) mark(true);
  return actionsMenu({ label: "Actions for this message", items });
}

/** The row of message m; onChanged(message) after the sender edited or deleted it. */
export function messageRow(m, mine, onChanged) {
  const deleted = Boolean(m.deleted_at);
  const row = h(
    "li",
    { class: `message ${mine ? "mine" : "theirs"}${deleted ? " deleted" : ""}`, "data-id": m.id },
    h("p", { class: "message-body", text: deleted ? "Message deleted" : m.body }),
    h("span", { class: "message-meta muted" }, timeEl(m.created_at), m.edited_at && !deleted ? h("span", { class: "edited", text: " · edited" }) : null),
  );
  if (mine && !deleted) row.appendChild(actions(m, row, onChanged));
  return row;
}
