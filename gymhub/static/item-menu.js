// The menu, edit forms and Undo of item-actions.js, loaded the first time someone opens a
// menu: a phone's first screen fetches only the "⋯" buttons.

import { api } from "./api.js";
import { errorLine, field, fill, formError, h, toast } from "./dom.js";
import { isoFrom, localValue } from "./inputs.js";
import { pendingDeletes, state } from "./item-actions.js";
import { paths } from "./paths.js";
import { checkNumber, explain } from "./say.js";
import { lengthRange, lengthUnit, lengthValue, MEASUREMENTS, parseLength, parseWeight, weightRange, weightUnit, weightValue } from "./units.js";

// --- the menu: a short list under "⋯"; a question before a delete, no browser dialog ---

let openMenu = null;

function closeOpen() {
  if (openMenu) openMenu();
  openMenu = null;
}

document.addEventListener("click", (e) => {
  if (openMenu && !e.target.closest?.(".actions-menu")) closeOpen();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") closeOpen();
});

function choose(popup, item) {
  if (!item.question) {
    closeOpen();
    item.run();
    return;
  }
  const run = () => {
    closeOpen();
    item.run();
  };
  const yes = h("button", { type: "button", class: "btn small danger", role: "menuitem", text: item.text, onclick: run });
  const no = h("button", { type: "button", class: "btn small ghost", role: "menuitem", text: "Cancel", onclick: () => closeOpen() });
  fill(popup, h("p", { class: "actions-question", text: item.question }), h("div", { class: "actions-confirm" }, yes, no));
  yes.focus();
}

/** Opens (or closes) the list of items [{text, run, danger?, question?}] under el's trigger. */
export function toggle(el, trigger, items) {
  let popup = el.querySelector(".actions-popup");
  if (popup && !popup.hidden) return closeOpen();
  closeOpen();
  if (!popup) {
    popup = h("div", { class: "actions-popup", role: "menu" });
    el.appendChild(popup);
  }
  const button = (item) => {
    const pick = (e) => {
      e.stopPropagation();
      choose(popup, item);
    };
    return h("button", { type: "button", role: "menuitem", class: `actions-item${item.danger ? " danger" : ""}`, text: item.text, onclick: pick });
  };
  fill(popup, items.map(button));
  popup.hidden = false;
  trigger.setAttribute("aria-expanded", "true");
  openMenu = () => {
    popup.hidden = true;
    trigger.setAttribute("aria-expanded", "false");
  };
  popup.scrollIntoView({ block: "nearest" });
  popup.querySelector("button")?.focus({ preventScroll: true });
}

// --- deleting with a way back: nothing is sent before the toast runs out; a reload cancels ---

export const UNDO_MS = 5000;

/**
 * Hides what hide() hides, shows an Undo toast, and after UNDO_MS calls send(); restore() on
 * Undo or when send() fails (with the reason in a toast). done() after a successful send.
 */
export function deleteWithUndo({ key, title, hide, restore, send, done = () => {} }) {
  pendingDeletes.add(key);
  hide();
  const box = document.getElementById("toasts");
  let timer = null;
  const undo = h("button", { type: "button", class: "btn small undo-button", text: "Undo" });
  const el = h("div", { class: "toast undo-toast", role: "status", "data-testid": "undo-toast" }, h("strong", { text: title }), undo);
  const finish = () => el.remove();
  undo.addEventListener("click", () => {
    clearTimeout(timer);
    pendingDeletes.delete(key);
    finish();
    restore();
  });
  box.appendChild(el);
  timer = setTimeout(async () => {
    finish();
    try {
      await send();
      done();
    } catch (err) {
      restore();
      toast("Not deleted", explain(err), "error");
    } finally {
      pendingDeletes.delete(key);
    }
  }, UNDO_MS);
}

// --- meals and progress entries ---

// What each kind shows in its edit form: [field, label, input attributes]. A label may be a
// function (it names the person's units); `measure` marks a weight or a length, shown and typed
// in those units and sent in kg or cm, a length being one of the entry's measurements.
const KINDS = {
  meal: {
    noun: "meal",
    path: (id) => paths.meal(id),
    at: "eaten_at",
    fields: [
      ["meal_name", "Meal", { type: "text", required: true, maxLength: 200 }],
      ["eaten_at", "When", { type: "datetime-local" }],
      ["notes", "Notes", { tag: "textarea", rows: 2, maxLength: 2000 }],
    ],
  },
  progress: {
    noun: "progress entry",
    path: (id) => paths.progressEntry(id),
    at: "recorded_at",
    fields: [
      ["weight_kg", () => `Weight (${weightUnit()})`, { measure: "weight" }],
      ["body_fat_pct", "Body fat (%)", { type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", unit: "%" }],
      ...MEASUREMENTS.map(([key, name]) => [key, () => `${name} (${lengthUnit()})`, { measure: "length", name }]),
      ["recorded_at", "When", { type: "datetime-local" }],
      ["notes", "Notes", { tag: "textarea", rows: 2, maxLength: 2000 }],
    ],
  },
};

const labelOf = (label) => (typeof label === "function" ? label() : label);

/** A weight or a length in the person's units, its first text kept to tell an edit. */
function measureInput(item, name, label, measure) {
  const kg = measure === "weight";
  const v = kg ? weightValue(item[name]) : lengthValue(item.measurements?.[name]);
  const el = h("input", { name, type: "text", inputMode: "decimal", autocomplete: "off", "aria-label": label });
  el.placeholder = kg ? weightRange() : lengthRange();
  el.value = v === null ? "" : String(v);
  el.dataset.initial = el.value;
  return el;
}

function input(item, [name, label, attrs]) {
  if (attrs.measure) return measureInput(item, name, labelOf(label), attrs.measure);
  const { tag = "input", unit, ...rest } = attrs;
  const el = h(tag, { name, ...rest, "aria-label": labelOf(label) });
  const v = item[name];
  if (v !== null && v !== undefined) el.value = rest.type === "datetime-local" ? localValue(new Date(v)) : String(v);
  if (unit) el.dataset.unit = unit;
  return el;
}

/** The weight and measurements typed: {weight?, measurements?} of what changed, or a problem.
 * Untouched texts keep their stored kg or cm exactly; measurements go whole, as the API wants. */
function measured(spec, item, inputs) {
  const out = {};
  let lengthsChanged = false;
  const lengths = {};
  for (const [name, , attrs] of spec.fields) {
    if (!attrs.measure) continue;
    const el = inputs[name];
    const touched = el.value.trim() !== el.dataset.initial;
    const stored = attrs.measure === "weight" ? item[name] : item.measurements?.[name];
    const { value, problem } = touched
      ? attrs.measure === "weight" ? parseWeight(el.value) : parseLength(el.value, attrs.name)
      : { value: stored ?? null };
    if (problem) return { problem, focus: el };
    if (attrs.measure === "weight") {
      if (touched) out.weight = value;
    } else {
      lengthsChanged ||= touched;
      if (value !== null) lengths[name] = value;
    }
  }
  if (lengthsChanged) out.measurements = lengths;
  return out;
}

/** The PATCH body from the form: only what changed; a sentence when something is wrong. */
function changes(spec, item, inputs) {
  const m = measured(spec, item, inputs);
  if (m.problem) return m;
  const body = {};
  if (m.weight !== undefined) body.weight_kg = m.weight;
  if (m.measurements) body.measurements = m.measurements;
  for (const [name, label, attrs] of spec.fields) {
    const el = inputs[name];
    if (attrs.measure) continue;
    if (attrs.type === "number") {
      const problem = checkNumber(el, label.replace(/ \(.*\)$/, ""), attrs.unit);
      if (problem) return { problem, focus: el };
      const v = el.value === "" ? null : Number(el.value);
      if (v !== (item[name] ?? null)) body[name] = v;
    } else if (attrs.type === "datetime-local") {
      if (!el.value || el.value === localValue(new Date(item[name]))) continue;
      const at = isoFrom(el, "The time");
      if (at?.error) return { problem: at.error, focus: el };
      body[name] = at;
    } else {
      const v = el.value.trim();
      if (attrs.required && !v) return { problem: `${label} cannot be empty.`, focus: el };
      if (v !== (item[name] ?? "")) body[name] = v || null;
    }
  }
  return { body };
}

/** The form's fields, the measurements side by side in a grid as in the create form. */
function fieldsOf(spec, inputs) {
  const out = [];
  let grid = null;
  for (const [name, label, attrs] of spec.fields) {
    const el = field(labelOf(label), inputs[name]);
    if (attrs.measure !== "length") {
      grid = null;
      out.push(el);
      continue;
    }
    if (!grid) {
      grid = h("div", { class: "measure-grid" });
      out.push(grid);
    }
    grid.appendChild(el);
  }
  return out;
}

function editForm(kind, item, li, close) {
  const spec = KINDS[kind];
  const inputs = {};
  for (const f of spec.fields) inputs[f[0]] = input(item, f);
  const error = errorLine();
  const save = h("button", { type: "submit", class: "btn primary small", text: "Save" });
  const form = h(
    "form",
    { class: "stack item-edit", novalidate: true, "data-testid": "item-edit" },
    fieldsOf(spec, inputs),
    error,
    h("div", { class: "item-edit-buttons" }, save, h("button", { type: "button", class: "btn ghost small", text: "Cancel", onclick: close })),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { body, problem, focus } = changes(spec, item, inputs);
    if (problem) {
      formError(error, problem);
      focus.focus();
      return;
    }
    if (!Object.keys(body).length) return close();
    save.disabled = true;
    try {
      await api("PATCH", spec.path(item.id), body);
      toast("Saved", `Your ${spec.noun} is updated.`, "success");
      close();
      state.onChanged();
    } catch (err) {
      formError(error, `Not saved. ${explain(err)}`);
    } finally {
      save.disabled = false;
    }
  });
  li.classList.add("editing");
  li.appendChild(form);
  inputs[spec.fields[0][0]].focus();
  return form;
}

function remove(kind, item, key) {
  const spec = KINDS[kind];
  const mark = (on) => {
    for (const el of document.querySelectorAll(`[data-action-key="${key}"]`)) el.toggleAttribute("data-pending", on);
  };
  deleteWithUndo({
    key,
    title: `${spec.noun[0].toUpperCase()}${spec.noun.slice(1)} deleted`,
    hide: () => mark(true),
    restore: () => mark(false),
    send: () => api("DELETE", spec.path(item.id)),
    done: () => state.onChanged(),
  });
}

/** The items of a meal's or entry's menu (el: its actions element). */
export function itemItems(el, kind, item) {
  const noun = KINDS[kind].noun;
  const edit = () => {
    const li = el.closest("li");
    if (!li || li.querySelector(".item-edit")) return;
    const form = editForm(kind, item, li, () => {
      form.remove();
      li.classList.remove("editing");
    });
  };
  const own = item.client_id === state.me?.id;
  const photos = item.photos?.length ? " and its photos" : "";
  return [
    own && { text: "Edit", run: edit },
    { text: "Delete", danger: true, question: `Delete this ${noun}${photos}?`, run: () => remove(kind, item, `${kind}:${item.id}`) },
  ].filter(Boolean);
}

// --- one's own messages: edit within 24 hours, delete for both sides ---

const EDIT_WINDOW_MS = 24 * 60 * 60 * 1000;

function editable(m) {
  return Date.now() - new Date(m.created_at).getTime() < EDIT_WINDOW_MS;
}

function messageEditForm(m, row, onSaved) {
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

/** The items of the menu of one's own message m shown as row. */
export function messageItems(m, row, onChanged) {
  const mark = (on) => row.toggleAttribute("data-pending", on);
  const items = [];
  if (editable(m)) items.push({ text: "Edit", run: () => row.querySelector(".message-edit") || messageEditForm(m, row, onChanged) });
  const run = () =>
    deleteWithUndo({
      key: `message:${m.id}`,
      title: "Message deleted",
      hide: () => mark(true),
      restore: () => mark(false),
      send: () => api("DELETE", paths.message(m.id)),
      done: () => onChanged({ ...m, body: null, deleted_at: new Date().toISOString() }),
    });
  items.push({ text: "Delete", danger: true, question: "Delete this message for both of you?", run });
  return items;
}
