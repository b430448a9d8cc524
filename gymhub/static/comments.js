// Feedback on a meal, a progress entry or a photo: a count on the item and a thread that opens
// under it. Comments are sent through the outbox (they survive a lost connection) and arrive
// live: a COMMENT notification updates every widget of its item on screen.

import { api } from "./api.js";
import { errorLine, fill, formError, h, s, timeEl } from "./dom.js";
import { paths } from "./paths.js";
import { sendOrQueue } from "./queue-view.js";
import { explain } from "./say.js";

// Widgets on screen by "target:id"; items are redrawn often, so dead ones are dropped lazily.
const widgets = new Map();
// Threads the person opened stay open when their item is drawn again.
const openKeys = new Set();
let context = null;

/** Names of authors; called once by the signed-in view. */
export function useComments(ctx) {
  context = ctx;
}

const keyOf = (target, id) => `${target}:${id}`;
const plural = (n) => (n === 1 ? "1 comment" : `${n} comments`);

function author(id) {
  if (!context) return "";
  return id === context.me.id ? "You" : context.name(id);
}

function commentRow(c) {
  const mine = context && c.author_id === context.me.id;
  return h(
    "li",
    { class: `comment${mine ? " mine" : ""}`, "data-comment-id": c.id },
    h("div", { class: "comment-head" }, h("strong", { text: author(c.author_id) }), timeEl(c.created_at)),
    h("p", { class: "comment-body", text: c.body }),
  );
}

/** A speech bubble drawn in the text colour (no emoji font needed). */
function bubble() {
  const attrs = { viewBox: "0 0 24 24", class: "icon", "aria-hidden": "true", fill: "none", stroke: "currentColor", "stroke-width": 1.8, "stroke-linejoin": "round" };
  return s("svg", attrs, s("path", { d: "M4 5h16v11H9l-5 4z" }));
}

class Thread {
  constructor(target, item) {
    this.target = target;
    this.id = item.id;
    this.key = keyOf(target, this.id);
    this.count = item.comment_count || 0;
    this.list = h("ol", { class: "comment-list" });
    this.text = h("textarea", { rows: 2, maxLength: 2000, placeholder: "Write a comment…", "aria-label": "Comment" });
    this.error = errorLine();
    this.form = h("form", { class: "comment-form", onsubmit: (e) => this.submit(e) }, this.text, h("button", { type: "submit", class: "btn small primary", text: "Send" }));
    this.box = h("div", { class: "comment-thread", hidden: true }, this.list, this.error, this.form);
    this.button = h("button", { type: "button", class: "comment-toggle", "aria-expanded": "false", onclick: (e) => this.toggle(e) });
    this.el = h("div", { class: "comments", "data-comments": this.key }, this.button, this.box);
    this.el.addEventListener("click", (e) => e.stopPropagation());
    this.label();
    if (openKeys.has(this.key)) this.open();
  }

  label() {
    fill(this.button, bubble(), h("span", { text: this.count ? plural(this.count) : "Comment" }));
    this.button.dataset.count = String(this.count);
  }

  toggle() {
    if (this.box.hidden) this.open();
    else this.close();
  }

  open() {
    openKeys.add(this.key);
    this.box.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.load().catch((err) => formError(this.error, `The comments could not be loaded. ${explain(err)}`));
  }

  close() {
    openKeys.delete(this.key);
    this.box.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }

  async load() {
    const { comments } = await api("GET", paths.comments({ target: this.target, target_id: this.id }));
    this.count = comments.length;
    this.label();
    if (this.box.hidden) return;
    fill(this.list, comments.length ? comments.map(commentRow) : h("li", { class: "empty muted", text: "No comments yet." }));
  }

  async submit(e) {
    e.preventDefault();
    const body = this.text.value.trim();
    if (!body) return;
    const button = this.form.querySelector("button");
    button.disabled = true;
    formError(this.error, "");
    try {
      const c = await sendOrQueue("comment", { target: this.target, target_id: this.id, body });
      this.text.value = "";
      if (c) await this.load();
    } catch (err) {
      formError(this.error, `The comment was not sent. ${explain(err, { notFound: "This item is no longer there." })}`);
    } finally {
      button.disabled = false;
    }
  }
}

function sweep() {
  for (const [key, set] of widgets) {
    for (const t of set) if (!t.el.isConnected) set.delete(t);
    if (!set.size) widgets.delete(key);
  }
}

/** The count and thread of an item (target "meal" | "progress" | "file"). */
export function commentsFor(target, item) {
  if (widgets.size > 500) sweep();
  const t = new Thread(target, item);
  const set = widgets.get(t.key) || new Set();
  set.add(t);
  widgets.set(t.key, set);
  return t.el;
}

/** A COMMENT notification: every widget of its item on screen reloads its count or thread. */
export function commentArrived(n) {
  const c = n.data?.comment;
  if (n.type !== "COMMENT" || !c) return;
  const key = keyOf(c.target, c.target_id);
  const set = widgets.get(key);
  if (!set) return;
  for (const t of [...set]) {
    if (!t.el.isConnected) {
      set.delete(t);
      continue;
    }
    // Someone else's feedback opens under its item, where it belongs.
    if (context && c.author_id !== context.me.id && t.box.hidden) t.open();
    else t.load().catch(() => {});
  }
}
