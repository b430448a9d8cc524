// Reusable pieces: the conversation and the progress chart (files: picker.js).

import { api } from "./api.js";
import { avatar } from "./avatar.js";
import { empty, fill, h, s, shortDate } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { messageRow } from "./item-actions.js";
import { pendingList, sendOrQueue } from "./queue-view.js";
import { fmtLength, fmtLengthDelta, fmtWeight, fmtWeightDelta, fromCm, fromKg, MEASUREMENTS, round1 } from "./units.js";

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

// The progress chart: weight, body fat or one measurement over time as inline SVG, in the
// user's units; buttons choose the series (only those with data show).

const W = 320;
const H = 140;
const PAD = { l: 40, r: 10, t: 12, b: 22 };

/** The series that can be drawn: value(entry) in API units, shown(v) and delta(d) as text. */
function seriesList() {
  const pct = (v) => `${round1(v)} %`;
  const pctDelta = (d) => `${d > 0 ? "+" : d < 0 ? "−" : "±"}${round1(Math.abs(d))} %`;
  return [
    { id: "weight", label: "Weight", value: (e) => e.weight_kg, axis: fromKg, shown: fmtWeight, delta: fmtWeightDelta },
    { id: "fat", label: "Body fat", value: (e) => e.body_fat_pct, axis: (v) => v, shown: pct, delta: pctDelta },
    ...MEASUREMENTS.map(([key, label]) => ({ id: key, label, value: (e) => e.measurements?.[key], axis: fromCm, shown: fmtLength, delta: fmtLengthDelta })),
  ];
}

function pointsOf(entries, series) {
  return entries
    .map((e) => ({ t: new Date(e.recorded_at).getTime(), v: series.value(e), at: e.recorded_at }))
    .filter((p) => p.v !== null && p.v !== undefined && !Number.isNaN(p.t))
    .sort((a, b) => a.t - b.t);
}

function scales(points, series) {
  const vs = points.map((p) => series.axis(p.v));
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi - lo < 2) {
    lo -= 1;
    hi += 1;
  }
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const x = (t) => PAD.l + (t1 === t0 ? (W - PAD.l - PAD.r) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r));
  const y = (v) => PAD.t + (1 - (series.axis(v) - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  return { x, y, lo, hi, t0, t1 };
}

function svgOf(points, series) {
  const { x, y, lo, hi, t0, t1 } = scales(points, series);
  const yAxis = (a) => PAD.t + (1 - (a - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const line = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const first = points[0];
  const last = points[points.length - 1];
  return s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${series.label} from ${series.shown(first.v)} to ${series.shown(last.v)}` },
    s("line", { x1: PAD.l, x2: W - PAD.r, y1: yAxis(hi), y2: yAxis(hi), class: "grid" }),
    s("line", { x1: PAD.l, x2: W - PAD.r, y1: yAxis(lo), y2: yAxis(lo), class: "grid" }),
    s("text", { x: PAD.l - 6, y: yAxis(hi) + 4, class: "axis", "text-anchor": "end", text: round1(hi) }),
    s("text", { x: PAD.l - 6, y: yAxis(lo) + 4, class: "axis", "text-anchor": "end", text: round1(lo) }),
    s("text", { x: PAD.l, y: H - 6, class: "axis", text: shortDate(first.at) }),
    s("text", { x: W - PAD.r, y: H - 6, class: "axis", "text-anchor": "end", text: shortDate(last.at) }),
    s("polygon", { points: `${x(t0).toFixed(1)},${H - PAD.b} ${line} ${x(t1).toFixed(1)},${H - PAD.b}`, class: "area" }),
    s("polyline", { points: line, class: "line" }),
    ...points.map((p) => s("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3, class: "dot" }, s("title", { text: `${series.shown(p.v)} · ${shortDate(p.at)}` }))),
  );
}

function figure(points, series) {
  const first = points[0];
  const last = points[points.length - 1];
  return h(
    "figure",
    { class: "chart-box", "data-series": series.id },
    svgOf(points, series),
    h(
      "figcaption",
      { class: "muted" },
      h("strong", { text: `${series.label} ${series.shown(last.v)}` }),
      points.length > 1 ? ` · ${series.delta(last.v - first.v)} since ${shortDate(first.at)}` : "",
    ),
  );
}

/** The chart with its series buttons; entries in any order. */
export function weightChart(entries) {
  const all = seriesList()
    .map((series) => ({ series, points: pointsOf(entries, series) }))
    .filter((x) => x.points.length);
  if (!all.length) return empty("No weight or measurements recorded yet.");
  const box = h("div", { class: "chart-show" });
  const buttons = all.map(({ series }) =>
    h("button", { type: "button", class: "chip", "data-series": series.id, "aria-pressed": "false", text: series.label, onclick: () => pick(series.id) }),
  );
  function pick(id) {
    const chosen = all.find((x) => x.series.id === id) || all[0];
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.series === chosen.series.id));
    fill(box, figure(chosen.points, chosen.series));
  }
  pick(all[0].series.id);
  return h("div", { class: "progress-chart" }, all.length > 1 ? h("div", { class: "chips", role: "group", "aria-label": "What to chart" }, buttons) : null, box);
}
