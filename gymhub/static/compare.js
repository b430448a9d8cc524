// Before and after: two dates' photos of the same pose side by side or under a draggable
// slider (pointer and keyboard), with both dates' numbers and their difference in the user's
// units. Phone first; only the two `large` variants on show are loaded.

import { commentsFor } from "./comments.js";
import { fill, h, shortDate, timeText } from "./dom.js";
import { fmtLength, fmtLengthDelta, fmtWeight, fmtWeightDelta, MEASUREMENTS, round1 } from "./units.js";

const POSE_NAMES = { front: "Front", side: "Side", back: "Back", other: "Other" };
const dayText = (iso) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(new Date(iso));

let overlay = null;

/** Entries with at least one photo that has a large variant, oldest first. */
function withPhotos(entries) {
  return entries
    .map((e) => ({ ...e, photos: (e.photos || []).filter((p) => p.variants?.large || p.variants?.medium) }))
    .filter((e) => e.photos.length)
    .sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : a.recorded_at > b.recorded_at ? 1 : a.id - b.id));
}

const poseOf = (p) => p.pose || "other";
const photoOf = (entry, pose) => entry.photos.find((p) => poseOf(p) === pose) || null;

/** The date of an entry; with its time only when another entry has the same date. */
function optionText(list, i) {
  const day = dayText(list[i].recorded_at);
  return list.some((e, j) => j !== i && dayText(e.recorded_at) === day) ? timeText(list[i].recorded_at) : day;
}

function dateSelect(list, chosen, label, onchange) {
  return h(
    "label",
    { class: "field" },
    h("span", { text: label }),
    h("select", { onchange: (e) => onchange(Number(e.target.value)) }, list.map((_e, i) => h("option", { value: i, text: optionText(list, i), selected: i === chosen }))),
  );
}

function picture(photo, alt) {
  const v = photo.variants.large || photo.variants.medium;
  return h("img", { src: v.url, alt, width: v.width, height: v.height, draggable: false });
}

function side(entry, photo, tag) {
  const caption = `${tag} · ${dayText(entry.recorded_at)}`;
  return h(
    "figure",
    { class: "compare-side", "data-entry-id": entry.id },
    photo ? picture(photo, caption) : h("div", { class: "compare-missing muted", text: "No photo of this pose" }),
    h("figcaption", {}, h("strong", { text: tag }), ` ${dayText(entry.recorded_at)}`),
    photo ? commentsFor("file", photo) : null,
  );
}

/** The before/after slider: the before photo is clipped at the handle's position. */
function slider(a, b, pa, pb) {
  const handle = h("div", { class: "compare-handle", role: "slider", tabindex: 0, "aria-label": "Before and after", "aria-valuemin": 0, "aria-valuemax": 100 });
  const top = h("div", { class: "compare-top" }, picture(pa, `Before · ${dayText(a.recorded_at)}`));
  const box = h("div", { class: "compare-slider", "data-testid": "compare-slider" }, picture(pb, `After · ${dayText(b.recorded_at)}`), top, handle);
  const set = (v) => {
    const pos = Math.max(0, Math.min(100, v));
    box.style.setProperty("--pos", `${pos}%`);
    handle.setAttribute("aria-valuenow", String(Math.round(pos)));
    handle.setAttribute("aria-valuetext", `${Math.round(pos)} % before`);
  };
  const fromPointer = (e) => {
    const r = box.getBoundingClientRect();
    set(((e.clientX - r.left) / r.width) * 100);
  };
  box.addEventListener("pointerdown", (e) => {
    box.setPointerCapture(e.pointerId);
    fromPointer(e);
    handle.focus();
  });
  box.addEventListener("pointermove", (e) => {
    if (box.hasPointerCapture(e.pointerId)) fromPointer(e);
  });
  handle.addEventListener("keydown", (e) => {
    const now = Number(handle.getAttribute("aria-valuenow"));
    const step = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -20, PageUp: 20 }[e.key];
    if (step !== undefined) set(now + step);
    else if (e.key === "Home") set(0);
    else if (e.key === "End") set(100);
    else return;
    e.preventDefault();
  });
  set(50);
  return h("div", { class: "compare-slider-wrap" }, box, h("div", { class: "compare-labels muted" }, h("span", { text: `◀ ${shortDate(a.recorded_at)}` }), h("span", { text: `${shortDate(b.recorded_at)} ▶` })));
}

function statRows(a, b) {
  const pct = (v) => (v === null || v === undefined ? "" : `${round1(v)} %`);
  const pctDelta = (d) => `${d > 0 ? "+" : d < 0 ? "−" : "±"}${round1(Math.abs(d))} %`;
  const rows = [
    ["Weight", a.weight_kg, b.weight_kg, fmtWeight, fmtWeightDelta],
    ["Body fat", a.body_fat_pct, b.body_fat_pct, pct, pctDelta],
    ...MEASUREMENTS.map(([k, label]) => [label, a.measurements?.[k], b.measurements?.[k], fmtLength, fmtLengthDelta]),
  ].filter(([, x, y]) => (x ?? null) !== null || (y ?? null) !== null);
  if (!rows.length) return h("p", { class: "muted", text: "No weight or measurements on these dates." });
  return h(
    "table",
    { class: "compare-stats", "data-testid": "compare-stats" },
    h("thead", {}, h("tr", {}, h("th", { text: "" }), h("th", { text: shortDate(a.recorded_at) }), h("th", { text: shortDate(b.recorded_at) }), h("th", { text: "Change" }))),
    h(
      "tbody",
      {},
      rows.map(([label, x, y, show, delta]) =>
        h("tr", { "data-stat": label }, h("th", { text: label }), h("td", { text: show(x) || "–" }), h("td", { text: show(y) || "–" }), h("td", { class: "delta", text: (x ?? null) !== null && (y ?? null) !== null ? delta(y - x) : "–" })),
      ),
    ),
  );
}

/** The poses both dates have, else every pose either has. */
function posesOf(a, b) {
  const pa = new Set(a.photos.map(poseOf));
  const both = [...new Set(b.photos.map(poseOf))].filter((p) => pa.has(p));
  const any = [...new Set([...a.photos, ...b.photos].map(poseOf))];
  const order = Object.keys(POSE_NAMES);
  return (both.length ? both : any).sort((x, y) => order.indexOf(x) - order.indexOf(y));
}

function closeCompare() {
  overlay?.remove();
  overlay = null;
  document.removeEventListener("keydown", onKey);
}

function onKey(e) {
  if (e.key === "Escape" && !e.target.closest?.(".compare-handle, textarea, select")) closeCompare();
}

/** The comparison of one client's entries (any order), full screen. */
export function openCompare(_viewer, entries, title = "Compare progress") {
  closeCompare();
  const list = withPhotos(entries);
  const state = { a: 0, b: Math.max(0, list.length - 1), pose: null, mode: "slider" };
  const body = h("div", { class: "compare-body" });
  const close = h("button", { type: "button", class: "btn ghost small", text: "Close", onclick: closeCompare });
  overlay = h(
    "div",
    { class: "compare", role: "dialog", "aria-modal": "true", "aria-label": title, "data-testid": "compare" },
    h("div", { class: "compare-inner" }, h("div", { class: "compare-head" }, h("h2", { text: title }), close), body),
  );
  document.body.appendChild(overlay);
  document.addEventListener("keydown", onKey);
  draw(body, list, state);
  close.focus();
}

function draw(body, list, state) {
  if (list.length < 2) {
    fill(body, h("p", { class: "empty muted", text: "Compare needs photos on two different entries. Add photos to another progress entry first." }));
    return;
  }
  const redraw = () => draw(body, list, state);
  const a = list[state.a];
  const b = list[state.b];
  const poses = posesOf(a, b);
  if (!poses.includes(state.pose)) state.pose = poses[0];
  const chips = poses.map((p) => h("button", { type: "button", class: "chip", "aria-pressed": String(p === state.pose), "data-pose": p, text: POSE_NAMES[p], onclick: () => Object.assign(state, { pose: p }) && redraw() }));
  const modes = [
    ["slider", "Slider"],
    ["side", "Side by side"],
  ].map(([m, text]) => h("button", { type: "button", class: "chip", "aria-pressed": String(m === state.mode), "data-mode": m, text, onclick: () => Object.assign(state, { mode: m }) && redraw() }));
  const pa = photoOf(a, state.pose);
  const pb = photoOf(b, state.pose);
  const view = state.mode === "slider" && pa && pb ? slider(a, b, pa, pb) : h("div", { class: "compare-pair" }, side(a, pa, "Before"), side(b, pb, "After"));
  fill(
    body,
    h(
      "div",
      { class: "compare-dates" },
      dateSelect(list, state.a, "Before", (i) => Object.assign(state, { a: i }) && redraw()),
      dateSelect(list, state.b, "After", (i) => Object.assign(state, { b: i }) && redraw()),
    ),
    h("div", { class: "chips", role: "group", "aria-label": "Pose" }, chips, h("span", { class: "chip-gap" }), modes),
    h("div", { class: "compare-main" }, view, statRows(a, b)),
  );
}
