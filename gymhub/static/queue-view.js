// What the outbox looks like: items waiting to send in the timeline and the conversation, a
// counter in the top bar ("3 waiting to send"), a refused item with the server's reason and a
// way to fix or discard it, and the setting that shrinks photos before they are sent.

import { bytes } from "./api.js";
import { $, fill, h, icon, num, toast, timeText } from "./dom.js";
import { outbox } from "./outbox.js";
import { allowShrink, shrinkAllowed } from "./resize.js";
import { explain } from "./say.js";

// Which photos a queued write carries, for the sentence of a refusal.
const PHOTO_CATEGORY = { meal: "meal_photos", progress: "progress_photos" };

const QUEUED_FIELDS = {
  meal: [
    ["meal_name", "Meal", "text"],
    ["notes", "Notes", "area"],
  ],
  progress: [
    ["weight_kg", "Weight (kg)", "number"],
    ["body_fat_pct", "Body fat (%)", "number"],
    ["notes", "Notes", "area"],
  ],
  message: [["body", "Message", "area"]],
  comment: [["body", "Comment", "area"]],
};

function summary(item) {
  const b = item.body;
  if (item.kind === "meal") return b.meal_name;
  if (item.kind === "progress") {
    const parts = [];
    if (b.weight_kg !== undefined) parts.push(`${num(b.weight_kg)} kg`);
    if (b.body_fat_pct !== undefined) parts.push(`${num(b.body_fat_pct)} % fat`);
    return parts.join(" · ") || "Progress";
  }
  return b.body;
}

function queueStatus(item) {
  if (item.state === "refused") return h("p", { class: "queue-reason", role: "alert", text: `Not sent: ${explain(item.error, { category: PHOTO_CATEGORY[item.kind] })}` });
  const text = outbox.sending?.seq === item.seq ? "Sending…" : "Waiting to send";
  return h("span", { class: "queue-state" }, icon("clock"), text);
}

function photoStrip(files, urls, onRemove) {
  if (!files.length) return null;
  return h(
    "div",
    { class: "thumbs" },
    files.map((f, i) => {
      const url = URL.createObjectURL(f.blob);
      urls.push(url);
      return h(
        "figure",
        { class: "queue-photo" },
        h("img", { src: url, alt: f.name, title: `${f.name} · ${bytes(f.blob.size)}` }),
        onRemove ? h("button", { type: "button", class: "preview-remove", "aria-label": `Remove ${f.name}`, text: "×", onclick: () => onRemove(i) }) : null,
      );
    }),
  );
}

function input(item, [name, label, type]) {
  const value = item.body[name] ?? "";
  const attrs = { name, value: String(value), "aria-label": label };
  const el = type === "area" ? h("textarea", { ...attrs, rows: 2 }) : h("input", { ...attrs, type, step: "any" });
  return h("label", {}, label, el);
}

/** The fix form of a refused item: its fields and photos, editable; sending again uses a new key. */
function fixForm(item, urls, done) {
  let files = item.files.slice();
  const photos = h("div", {});
  const drawPhotos = () => fill(photos, photoStrip(files, urls, (i) => {
    files = files.filter((_, j) => j !== i);
    drawPhotos();
  }));
  drawPhotos();
  const form = h(
    "form",
    { class: "queue-fix stack", novalidate: true },
    QUEUED_FIELDS[item.kind].map((f) => input(item, f)),
    photos,
    h("div", { class: "queue-actions" }, h("button", { type: "submit", class: "btn primary small", text: "Send again" }), h("button", { type: "button", class: "btn ghost small", text: "Cancel", onclick: done })),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { ...item.body };
    for (const [name, , type] of QUEUED_FIELDS[item.kind]) {
      const v = form.elements[name].value.trim();
      if (v === "") delete body[name];
      else body[name] = type === "number" ? Number(v) : v;
    }
    outbox.retry(item, body, files);
    done();
  });
  return form;
}

function row(item, urls, editing, redraw) {
  const refusedNow = item.state === "refused";
  const actions = refusedNow
    ? h(
        "div",
        { class: "queue-actions" },
        h("button", { type: "button", class: "btn small", text: "Fix", onclick: () => redraw(item.seq) }),
        h("button", { type: "button", class: "btn ghost small", text: "Try again", onclick: () => outbox.retry(item) }),
        h("button", { type: "button", class: "btn ghost small danger", text: "Discard", onclick: () => outbox.discard(item) }),
      )
    : null;
  return h(
    "li",
    { class: `tl-item queued ${item.kind}${refusedNow ? " refused" : ""}`, "data-queue-key": item.key, "data-state": item.state },
    h("span", { class: "tl-icon" }, icon(refusedNow ? "alert" : "clock")),
    h(
      "div",
      { class: "tl-body" },
      h("div", { class: "tl-head" }, h("strong", { text: summary(item) }), h("time", { datetime: item.created_at, text: timeText(item.created_at) })),
      item.kind !== "message" && item.body.notes ? h("p", { class: "tl-notes", text: item.body.notes }) : null,
      editing === item.seq ? fixForm(item, urls, () => redraw(null)) : photoStrip(item.files, urls),
      queueStatus(item),
      editing === item.seq ? null : actions,
    ),
  );
}

/** A live list of the queued items of one kind (those passing keep()), for a timeline. */
export function pendingList(kind, keep = () => true) {
  const el = h("ol", { class: "timeline queue-list", "data-queue": kind, hidden: true });
  let urls = [];
  let editing = null;
  function draw() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
    const items = outbox.list(kind).filter(keep);
    if (editing !== null && !items.some((i) => i.seq === editing && i.state === "refused")) editing = null;
    el.hidden = !items.length;
    fill(el, items.map((i) => row(i, urls, editing, (seq) => {
      editing = seq;
      draw();
    })));
  }
  outbox.addEventListener("change", () => {
    // Not while the user types into a fix form.
    if (editing === null || !el.contains(document.activeElement)) draw();
  });
  draw();
  return el;
}

/** The top bar's counter; a tap sends at once instead of waiting out the pause. */
export function watchCounter() {
  const pill = $("#outbox-count");
  if (!pill) return;
  pill.addEventListener("click", () => outbox.flush());
  outbox.addEventListener("change", () => {
    const all = outbox.list();
    const bad = all.filter((i) => i.state === "refused").length;
    const waiting = all.length - bad;
    const parts = [];
    if (waiting) parts.push(`${waiting} waiting to send`);
    if (bad) parts.push(`${bad} not sent`);
    pill.hidden = !parts.length;
    pill.dataset.state = bad ? "refused" : "waiting";
    $(".outbox-label", pill).textContent = parts.join(" · ");
    pill.title = bad ? "Some items were refused: see them in their lists" : "Tap to try sending now";
  });
}

/**
 * What a form calls to save a write: the answer when it went through, null when it waits on the
 * device (a toast says so); throws ApiError when the server refused it (the form shows why).
 */
export async function sendOrQueue(kind, body, files = []) {
  const result = await outbox.submit(kind, body, files);
  if (result.refused) throw result.refused;
  if (result.waiting) {
    toast("Saved on this device", "It will be sent when the connection returns.", "info");
    return null;
  }
  return result.sent;
}

/**
 * A form's write: send() now; when cut off (a basement, a tunnel) the device keeps it under the
 * form's key and sends it when the server answers, so a request that did arrive is not stored
 * twice. The answer, or null when it waits on the device.
 */
export async function sendOrKeep(kind, body, files, key, send) {
  // Known to be offline: nothing reached the server, so the outbox takes a key of its own and
  // may shrink the photos for the weak signal to come.
  if (navigator.onLine === false) return keep(kind, body, files, null);
  try {
    return await send();
  } catch (err) {
    if (err.code !== "network") throw err;
    return keep(kind, body, files, key);
  }
}

async function keep(kind, body, files, key) {
  await outbox.add(kind, body, files, key);
  toast("Saved on this device", "It will be sent when the connection returns.", "info");
  return null;
}

/** The setting: shrink large photos before sending (on by default). */
export function photoSetting() {
  const box = h("input", { type: "checkbox", id: "shrink-photos", checked: shrinkAllowed(), onchange: () => allowShrink(box.checked) });
  return h(
    "label",
    { class: "setting" },
    box,
    h("span", {}, h("strong", { text: "Shrink large photos before sending" }), h("span", { class: "muted", text: " Photos over 2,560 px are made smaller on this device: faster on a weak signal." })),
  );
}
