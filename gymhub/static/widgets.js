// Reusable pieces: the conversation and the weight chart (files: picker.js).

import { api } from "./api.js";
import { fill, h, timeEl } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { pendingList, sendOrQueue } from "./queue-view.js";

/** The conversation with one person: messages oldest first, a box to write, live additions. */
export class Conversation {
  constructor(ctx, peer) {
    this.ctx = ctx;
    this.peer = peer;
    this.ids = new Set();
    this.list = h("ol", { class: "messages", "data-testid": "messages" });
    this.text = h("textarea", {
      name: "body",
      rows: 2,
      maxLength: 5000,
      required: true,
      placeholder: `Write to ${peer.display_name}…`,
      "aria-label": `Message to ${peer.display_name}`,
    });
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.form = h(
      "form",
      { class: "compose", onsubmit: (e) => this.submit(e) },
      this.text,
      h("button", { type: "submit", class: "btn primary", text: "Send" }),
    );
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) this.form.requestSubmit();
    });
    const queued = pendingList("message", (item) => item.body.recipient_id === peer.id);
    this.el = h("div", { class: "conversation" }, this.list, queued, this.error, this.form);
  }

  async load() {
    const res = await api("GET", paths.messages({ with: this.peer.id, limit: 100 }));
    const msgs = res.messages.slice().sort((a, b) => a.id - b.id);
    this.ids.clear();
    fill(this.list);
    for (const m of msgs) this.add(m);
    if (!msgs.length) this.list.appendChild(h("li", { class: "empty muted", text: "No messages yet. Say hello!" }));
  }

  involves(m) {
    const me = this.ctx.me.id;
    return (m.sender_id === me && m.recipient_id === this.peer.id) || (m.sender_id === this.peer.id && m.recipient_id === me);
  }

  add(m) {
    if (this.ids.has(m.id) || !this.involves(m)) return;
    this.ids.add(m.id);
    this.list.querySelector(".empty")?.remove();
    const mine = m.sender_id === this.ctx.me.id;
    const row = h(
      "li",
      { class: `message ${mine ? "mine" : "theirs"}`, "data-id": m.id },
      h("p", { class: "message-body", text: m.body }),
      h("span", { class: "message-meta muted" }, timeEl(m.created_at)),
    );
    // Keep id order even when a live message and a reload cross.
    const after = [...this.list.children].find((li) => Number(li.dataset.id) > m.id);
    this.list.insertBefore(row, after || null);
    this.list.scrollTop = this.list.scrollHeight;
    if (!mine && !m.read_at) api("POST", paths.messageRead(m.id)).catch(() => {});
  }

  async submit(e) {
    e.preventDefault();
    const body = this.text.value.trim();
    if (!body) return;
    const button = this.form.querySelector("button");
    button.disabled = true;
    this.error.hidden = true;
    try {
      const m = await sendOrQueue("message", { recipient_id: this.peer.id, body });
      if (m) this.add(m);
      this.text.value = "";
    } catch (err) {
      this.error.textContent = explain(err, { notFound: `${this.peer.display_name} can no longer receive your messages.` });
      this.error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }
}

// The chart of weight, body fat and measurements lives in chart.js (in the user's units).
export { progressChart as weightChart } from "./chart.js";
