// DOM helpers. Every user-supplied string reaches the page through textContent or an
// attribute set with setAttribute: never innerHTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
  } else if (child instanceof Node) {
    el.appendChild(child);
  } else {
    el.appendChild(document.createTextNode(String(child)));
  }
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key in el && typeof value !== "string" && key !== "list") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

/** An element with attributes (on* listeners, text, class, properties) and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element with attributes and children. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") el.textContent = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

/** A short human time: "14:05" today, "3 Mar 2025, 14:05" otherwise. */
export function timeText(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date();
  return d.toDateString() === today.toDateString() ? timeOnly.format(d) : dateTime.format(d);
}

export function shortDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : dateOnly.format(d);
}

/** A <time> element showing timeText(iso). */
export function timeEl(iso) {
  return h("time", { datetime: iso, title: iso, text: timeText(iso) });
}

let toastBox = null;

/** A transient notice at the bottom of the screen. */
export function toast(title, body = "", kind = "info") {
  toastBox = toastBox || document.getElementById("toasts");
  const el = h(
    "div",
    { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("strong", { text: title }),
    body ? h("span", { text: body }) : null,
  );
  el.addEventListener("click", () => el.remove());
  toastBox.appendChild(el);
  while (toastBox.children.length > 4) toastBox.firstChild.remove();
  setTimeout(() => el.classList.add("leaving"), 5200);
  setTimeout(() => el.remove(), 5600);
}

let lightbox = null;

/** Show an image full screen; Escape, a click or the close button dismiss it. */
export function openLightbox(url, caption) {
  closeLightbox();
  const close = h("button", { type: "button", class: "lightbox-close", "aria-label": "Close", text: "×" });
  lightbox = h(
    "div",
    { class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": caption || "Photo" },
    h("img", { src: url, alt: caption || "Photo" }),
    caption ? h("p", { class: "lightbox-caption", text: caption }) : null,
    close,
  );
  lightbox.addEventListener("click", closeLightbox);
  document.body.appendChild(lightbox);
  document.addEventListener("keydown", onLightboxKey);
  close.focus();
}

function onLightboxKey(event) {
  if (event.key === "Escape") closeLightbox();
}

export function closeLightbox() {
  if (lightbox) lightbox.remove();
  lightbox = null;
  document.removeEventListener("keydown", onLightboxKey);
}

/** A thumbnail button for an image File that opens its large variant; null for other files. */
export function thumb(file, caption = "") {
  const v = file?.variants || {};
  if (!v.thumbnail) return null;
  const big = (v.large || v.medium || v.thumbnail).url;
  return h(
    "button",
    {
      type: "button",
      class: "thumb",
      "data-file-id": file.id,
      title: caption || "Open photo",
      onclick: (e) => {
        e.stopPropagation();
        openLightbox(big, caption);
      },
    },
    h("img", {
      src: v.thumbnail.url,
      alt: caption || "Photo",
      loading: "lazy",
      width: v.thumbnail.width,
      height: v.thumbnail.height,
    }),
  );
}

/** A titled card section. */
export function card(title, cls, ...children) {
  return h("section", { class: `card ${cls || ""}` }, h("h2", { text: title }), ...children);
}

/** An empty-state line. */
export function empty(text) {
  return h("p", { class: "empty muted", text });
}

/** A labelled form field. */
export function field(label, input) {
  return h("label", { class: "field" }, h("span", { text: label }), input);
}

/** The <option>s of a select of people, after a placeholder with an empty value. */
export function personOptions(users, placeholder) {
  return [h("option", { value: "", text: placeholder }), ...users.map((u) => h("option", { value: String(u.id), text: `${u.display_name} (@${u.username})` }))];
}

/** A form's error line, hidden until formError() shows a message in it. */
export function errorLine() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

/** The form's error line: shows the message, or hides itself when there is none. */
export function formError(el, message) {
  el.textContent = message || "";
  el.hidden = !message;
}

/** A number with at most one decimal, without trailing zeros. */
export function num(value) {
  if (value === null || value === undefined) return "";
  return String(Math.round(value * 10) / 10);
}

/**
 * Tabs for phones: a bar of buttons that sets data-tab on root; CSS shows the matching
 * [data-pane] children. On wide screens every pane shows and the bar hides.
 */
export function tabs(root, panes, onChange = () => {}) {
  const buttons = panes.map(({ id, label }) =>
    h("button", {
      type: "button",
      class: "tab",
      role: "tab",
      "data-tab": id,
      text: label,
      onclick: () => select(id),
    }),
  );
  const bar = h("nav", { class: "tabs", role: "tablist" }, buttons);
  function select(id) {
    root.dataset.tab = id;
    for (const b of buttons) b.setAttribute("aria-selected", String(b.dataset.tab === id));
    onChange(id);
  }
  function badge(id, count) {
    const b = buttons.find((x) => x.dataset.tab === id);
    if (b) b.dataset.badge = count ? String(count) : "";
  }
  select(panes[0].id);
  return { bar, select, badge };
}

const ICONS = {
  clock: [["circle", { cx: 12, cy: 12, r: 8 }], ["polyline", { points: "12 7.5 12 12 15 14" }]],
  alert: [["path", { d: "M12 3.5 21.5 20h-19z" }], ["path", { d: "M12 10v4.5M12 17.4v.1" }]],
  camera: [["path", { d: "M4 8h3.2l1.8-2.6h6l1.8 2.6H20v11H4z" }], ["circle", { cx: 12, cy: 13, r: 3.6 }]],
  meal: [["circle", { cx: 12, cy: 12, r: 5.5 }], ["path", { d: "M3 4v5a2 2 0 0 0 2 2v9M5 4v5M21 4c-1.6 0-2.5 2-2.5 5s1 3 2.5 3v8" }]],
  chart: [["path", { d: "M4 19h16" }], ["polyline", { points: "4 15 9 10 13 13 20 6" }]],
  doc: [["path", { d: "M6 3h8l4 4v14H6z" }], ["path", { d: "M14 3v4h4M9 12h6M9 16h6" }]],
  download: [["path", { d: "M12 4v11M7 10l5 5 5-5M5 20h14" }]],
};

/** A small line icon (stroke in the current text colour). */
export function icon(name) {
  return s(
    "svg",
    { viewBox: "0 0 24 24", class: `icon icon-${name}`, "aria-hidden": "true", fill: "none", stroke: "currentColor", "stroke-width": 1.8, "stroke-linecap": "round", "stroke-linejoin": "round" },
    ICONS[name].map(([tag, attrs]) => s(tag, attrs)),
  );
}

/**
 * An action that asks first: the button makes way for "question [yes] [Cancel]" in place (no
 * browser dialog), and only yes runs action().
 */
export function confirmButton({ label, question, yes, cls = "danger", action }) {
  const box = h("span", { class: "confirm" });
  const ask = () => {
    const yesButton = h("button", { type: "button", class: `btn small ${cls}`, text: yes, onclick: () => action() });
    const no = h("button", { type: "button", class: "btn small ghost", text: "Cancel", onclick: () => fill(box, button) });
    fill(box, h("span", { class: "confirm-question", text: question }), h("span", { class: "confirm-actions" }, yesButton, no));
    yesButton.focus();
  };
  const button = h("button", { type: "button", class: `btn small ${cls}`, text: label, onclick: ask });
  return fill(box, button);
}
