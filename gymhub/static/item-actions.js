// The actions on what one logged or wrote: a "⋯" menu on each meal, progress entry and own
// message (Edit, Delete). This module draws the buttons; item-menu.js (loaded on the first
// click) holds the menu, the edit forms in place and the delete that waits out an Undo toast.
// timeline.js appends itemActions(kind, item) to each item; the client's screen says who is
// signed in and what to reload through configureItemActions(); widgets.js draws messageRow().

import { h, timeEl } from "./dom.js";

export const state = { me: null, onChanged: () => {} };

/** Keys ("meal:12") whose DELETE waits for its toast: a re-render keeps them hidden. */
export const pendingDeletes = new Set();

const NOUNS = { meal: "meal", progress: "progress entry" };

/** Who is signed in, and what to call after an edit or delete went through. */
export function configureItemActions({ me, onChanged }) {
  state.me = me;
  state.onChanged = onChanged || (() => {});
}

/** The "⋯" button of one menu; items(mod) lists its actions once item-menu.js is loaded. */
function menuButton(label, key, items) {
  const trigger = h("button", { type: "button", class: "actions-trigger", "aria-label": label, title: label, "aria-haspopup": "menu", "aria-expanded": "false", text: "⋯" });
  const el = h("div", { class: "actions-menu item-actions", "data-action-key": key }, trigger);
  trigger.addEventListener("click", async (e) => {
    e.stopPropagation();
    const mod = await import("./item-menu.js");
    mod.toggle(el, trigger, items(mod, el));
  });
  return el;
}

/** The actions element of one meal or entry; null when the viewer may not change it. */
export function itemActions(kind, item) {
  const me = state.me;
  if (!me || !NOUNS[kind]) return null;
  if (item.client_id !== me.id && me.role !== "admin") return null;
  const key = `${kind}:${item.id}`;
  const el = menuButton(`Actions for this ${NOUNS[kind]}`, key, (mod, box) => mod.itemItems(box, kind, item));
  if (pendingDeletes.has(key)) el.setAttribute("data-pending", "");
  return el;
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
  if (mine && !deleted) {
    const key = `message:${m.id}`;
    row.appendChild(menuButton("Actions for this message", key, (mod) => mod.messageItems(m, row, onChanged)));
    if (pendingDeletes.has(key)) row.setAttribute("data-pending", "");
  }
  return row;
}
