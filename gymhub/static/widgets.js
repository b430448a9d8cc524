// Reusable pieces: the conversation and the weight chart (files: picker.js).

import { api } from "./api.js";
import { avatar } from "./avatar.js";
import { empty, fill, h, num, s, shortDate } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { messageRow } from "./message-actions.js";
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
    const who = h("div", { class: "conv-peer" }, avatar(peer, "avatar-small"), h("strong", { text: peer.display_name }));
    this.el = h("div", { class: "conversation" }, who, this.list, queued, this.error, this.form);
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

  /** Adds m in id order, or redraws it in place when it was edited or deleted. */
  add(m) {
    if (!this.involves(m)) return;
    const mine = m.sender_id === this.ctx.me.id;
    const row = messageRow(m, mine, (changed) => this.add(changed));
    const shown = this.list.querySelector(`li[data-id="${m.id}"]`);
    if (shown) {
      shown.replaceWith(row);
      return;
    }
    if (this.ids.has(m.id)) return;
    this.ids.add(m.id);
    this.list.querySelector(".empty")?.remove();
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

/** A small line chart of weight over time as inline SVG; entries in any order. */
export function weightChart(entries) {
  const points = entries
    .filter((e) => e.weight_kg !== null && e.weight_kg !== undefined)
    .map((e) => ({ t: new Date(e.recorded_at).getTime(), w: e.weight_kg, at: e.recorded_at }))
    .filter((p) => !Number.isNaN(p.t))
    .sort((a, b) => a.t - b.t);
  if (points.length === 0) return empty("No weight recorded yet.");
  const W = 320;
  const H = 140;
  const pad = { l: 36, r: 10, t: 12, b: 22 };
  const ws = points.map((p) => p.w);
  let lo = Math.min(...ws);
  let hi = Math.max(...ws);
  if (hi - lo < 2) {
    lo -= 1;
    hi += 1;
  }
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const x = (t) => pad.l + (t1 === t0 ? (W - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r));
  const y = (w) => pad.t + (1 - (w - lo) / (hi - lo)) * (H - pad.t - pad.b);
  const line = points.map((p) => `${x(p.t).toFixed(1)},${y(p.w).toFixed(1)}`).join(" ");
  const area = `${x(t0).toFixed(1)},${H - pad.b} ${line} ${x(t1).toFixed(1)},${H - pad.b}`;
  const last = points[points.length - 1];
  const first = points[0];
  const delta = last.w - first.w;
  const svg = s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `Weight from ${num(first.w)} to ${num(last.w)} kg` },
    s("line", { x1: pad.l, x2: W - pad.r, y1: y(hi), y2: y(hi), class: "grid" }),
    s("line", { x1: pad.l, x2: W - pad.r, y1: y(lo), y2: y(lo), class: "grid" }),
    s("text", { x: pad.l - 6, y: y(hi) + 4, class: "axis", "text-anchor": "end", text: num(hi) }),
    s("text", { x: pad.l - 6, y: y(lo) + 4, class: "axis", "text-anchor": "end", text: num(lo) }),
    s("text", { x: pad.l, y: H - 6, class: "axis", text: shortDate(first.at) }),
    s("text", { x: W - pad.r, y: H - 6, class: "axis", "text-anchor": "end", text: shortDate(last.at) }),
    s("polygon", { points: area, class: "area" }),
    s("polyline", { points: line, class: "line" }),
    ...points.map((p) => s("circle", { cx: x(p.t).toFixed(1), cy: y(p.w).toFixed(1), r: 3, class: "dot" }, s("title", { text: `${num(p.w)} kg · ${shortDate(p.at)}` }))),
  );
  const sign = delta > 0 ? "+" : "";
  return h(
    "figure",
    { class: "chart-box" },
    svg,
    h(
      "figcaption",
      { class: "muted" },
      h("strong", { text: `${num(last.w)} kg` }),
      points.length > 1 ? ` · ${sign}${num(delta)} kg since ${shortDate(first.at)}` : "",
    ),
  );
}
