// The actions of a meal or progress entry in a timeline: a small menu (Edit, Delete), the edit
// form in place of the item, and a delete that asks first and then waits out an Undo toast.
// timeline.js appends itemActions(kind, item) to each item; the client's screen says who is
// signed in and what to reload through configureItemActions().

import { api } from "./api.js";
import { errorLine, field, formError, h, toast } from "./dom.js";
import { isoFrom, localValue } from "./inputs.js";
import { paths } from "./paths.js";
import { checkNumber, explain } from "./say.js";
import { deleteWithUndo, pendingDeletes } from "./undo.js";
import { actionsMenu } from "./menu.js";

const state = { me: null, onChanged: () => {} };

// What each kind shows in its edit form: [field, label, input attributes]. Only what the
// create form has today; measurements may be added here later.
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
      ["weight_kg", "Weight (kg)", { type: "number", inputMode: "decimal", min: 20, max: 400, step: "0.1", unit: "kg" }],
      ["body_fat_pct", "Body fat (%)", { type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", unit: "%" }],
      ["recorded_at", "When", { type: "datetime-local" }],
      ["notes", "Notes", { tag: "textarea", rows: 2, maxLength: 2000 }],
    ],
  },
};

/** Who is signed in, and what to call after an edit or delete went through. */
export function configureItemActions({ me, onChanged }) {
  state.me = me;
  state.onChanged = onChanged || (() => {});
}

function input(item, [name, label, attrs]) {
  const { tag = "input", unit, ...rest } = attrs;
  const el = h(tag, { name, ...rest, "aria-label": label });
  const v = item[name];
  if (v !== null && v !== undefined) el.value = rest.type === "datetime-local" ? localValue(new Date(v)) : String(v);
  if (unit) el.dataset.unit = unit;
  return el;
}

/** The PATCH body from the form: only what changed; a sentence when something is wrong. */
function changes(spec, item, inputs) {
  const body = {};
  for (const [name, label, attrs] of spec.fields) {
    const el = inputs[name];
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

function editForm(kind, item, li, close) {
  const spec = KINDS[kind];
  const inputs = {};
  for (const f of spec.fields) inputs[f[0]] = input(item, f);
  const error = errorLine();
  const save = h("button", { type: "submit", class: "btn primary small", text: "Save" });
  const form = h(
    "form",
    { class: "stack item-edit", novalidate: true, "data-testid": "item-edit" },
    spec.fields.map(([name, label]) => field(label, inputs[name])),
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

/** The actions element of one meal or entry; null when the viewer may not change it. */
export function itemActions(kind, item) {
  const me = state.me;
  if (!me || !KINDS[kind]) return null;
  const own = item.client_id === me.id;
  if (!own && me.role !== "admin") return null;
  const key = `${kind}:${item.id}`;
  const noun = KINDS[kind].noun;
  let form = null;
  const el = actionsMenu({
    label: `Actions for this ${noun}`,
    items: [
      own && {
        text: "Edit",
        run: () => {
          const li = el.closest("li");
          if (!li || form) return;
          form = editForm(kind, item, li, () => {
            form?.remove();
            form = null;
            li.classList.remove("editing");
          });
        },
      },
      { text: "Delete", danger: true, question: `Delete this ${noun}${item.photos?.length ? " and its photos" : ""}?`, run: () => remove(kind, item, key) },
    ].filter(Boolean),
  });
  el.dataset.actionKey = key;
  if (pendingDeletes.has(key)) el.setAttribute("data-pending", "");
  return el;
}
