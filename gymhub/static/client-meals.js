// The client's Meals panel: complete a meal with its photos in one request, see recent meals.
// One request (multipart) means all or nothing: a refused photo leaves no meal behind, the form
// keeps what was typed, and a retry of the same content reuses its Idempotency-Key.

import { apiWithHeaders } from "./api.js";
import { card, errorLine, field, formError, h, toast } from "./dom.js";
import { Attempt, dateTimeInput, filesSignature, isoFrom } from "./inputs.js";
import { paths } from "./paths.js";
import { RecentMeals } from "./meal-draft.js";
import { PhotoPicker, UploadBar } from "./picker.js";
import { pendingList, sendOrKeep } from "./queue-view.js";
import { explain } from "./say.js";

const MAX_PHOTOS = 6;

/** The form's parts; onsubmit(event) on submission. */
function mealForm(onsubmit) {
  const parts = {
    name: h("input", { id: "meal-name", name: "meal_name", required: true, maxLength: 200, placeholder: "e.g. Oatmeal with berries", autocomplete: "off" }),
    notes: h("textarea", { id: "meal-notes", name: "notes", rows: 2, maxLength: 2000, placeholder: "Optional notes" }),
    eatenAt: dateTimeInput("meal-eaten-at", "eaten_at"),
    photo: new PhotoPicker({ category: "meal_photos", multiple: true, max: MAX_PHOTOS, label: "Add photos of the meal" }),
    bar: new UploadBar(),
    error: errorLine(),
    submitButton: h("button", { type: "submit", class: "btn primary wide", text: "Complete meal" }),
  };
  parts.form = h(
    "form",
    { id: "meal-form", class: "stack", novalidate: true, onsubmit },
    field("Meal", parts.name),
    field("When (leave empty for now)", parts.eatenAt),
    field("Notes", parts.notes),
    parts.photo.el,
    parts.bar.el,
    parts.error,
    parts.submitButton,
  );
  return parts;
}

/** The meal's fields, or a sentence saying what to fix. */
function readMeal({ name, eatenAt, notes }) {
  const mealName = name.value.trim();
  if (!mealName) return { problem: "Give the meal a name.", focus: name };
  const at = isoFrom(eatenAt, "The time of the meal");
  if (at?.error) return { problem: at.error, focus: eatenAt };
  const fields = { meal_name: mealName };
  if (at) fields.eaten_at = at;
  if (notes.value.trim()) fields.notes = notes.value.trim();
  return { fields };
}

/** The panel; onSaved() refreshes the client's lists; show(meals) lists the recent meals. */
export function mealsPanel(onSaved) {
  const { name, notes, eatenAt, photo, bar, error, submitButton, form } = mealForm((e) => submit(e));
  const recent = new RecentMeals();
  const attempt = new Attempt();

  /** Sends the meal: JSON without photos, multipart with them; the server's Meal. */
  function send(fields, files, key) {
    const headers = { "Idempotency-Key": key };
    if (!files.length) return apiWithHeaders("POST", paths.meals(), fields, headers);
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    for (const f of files) body.append("file", f, f.name || "photo.jpg");
    return bar.send("POST", paths.meals(), body, { headers });
  }

  function busy(on) {
    submitButton.disabled = on;
    submitButton.textContent = on ? "Saving…" : "Complete meal";
    photo.lock(on);
  }

  async function submit(e) {
    e.preventDefault();
    const { fields, problem, focus } = readMeal({ name, eatenAt, notes });
    if (problem) {
      formError(error, problem);
      focus.focus();
      return;
    }
    formError(error, "");
    busy(true);
    const files = photo.files.slice();
    // The meal shows at once with its photos from the device; the server's replaces it.
    const draft = recent.draft(fields, files);
    try {
      const key = attempt.keyFor(`${JSON.stringify(fields)}#${filesSignature(files)}`);
      const meal = await sendOrKeep("meal", fields, files, key, () => send(fields, files, key));
      attempt.done();
      form.reset();
      photo.reset();
      if (meal) {
        recent.settle(draft, meal);
        toast("Meal completed", meal.meal_name, "success");
      } else recent.drop(draft);
      onSaved();
    } catch (err) {
      recent.drop(draft);
      // Nothing was stored (all or nothing): everything typed and chosen stays for a retry.
      const why = explain(err, { category: "meal_photos" });
      formError(error, err.code === "aborted" ? why : `The meal was not saved. ${why}`);
    } finally {
      busy(false);
    }
  }

  return { el: card("Complete a meal", "meal-card", form, h("h3", { text: "Recent meals" }), pendingList("meal"), recent.el), show: (meals) => recent.show(meals) };
}
