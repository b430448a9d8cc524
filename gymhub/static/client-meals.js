// The client's Meals panel: complete a meal (with an optional photo), see recent meals.

import { card, empty, errorLine, fill, field, formError, h, toast } from "./dom.js";
import { pendingList, sendOrQueue } from "./queue-view.js";
import { mealItem } from "./timeline.js";
import { PhotoPicker, UploadBar } from "./widgets.js";

/** The panel; onSaved() refreshes the client's lists; show(meals) lists the recent meals. */
export function mealsPanel(onSaved) {
  const name = h("input", { id: "meal-name", name: "meal_name", required: true, maxLength: 200, placeholder: "e.g. Oatmeal with berries", autocomplete: "off" });
  const notes = h("textarea", { id: "meal-notes", name: "notes", rows: 2, maxLength: 2000, placeholder: "Optional notes" });
  const photo = new PhotoPicker({ label: "Add a photo of the meal" });
  const bar = new UploadBar();
  const error = errorLine();
  const submitButton = h("button", { type: "submit", class: "btn primary wide", text: "Complete meal" });
  const form = h(
    "form",
    { id: "meal-form", class: "stack", novalidate: true, onsubmit: (e) => submit(e) },
    field("Meal", name),
    field("Notes", notes),
    photo.el,
    bar.el,
    error,
    submitButton,
  );
  const list = h("div", { class: "meal-list" });

  /** The meal with its photo in one request (through the outbox); false when it waits on the device. */
  async function save(mealName) {
    const body = { meal_name: mealName };
    if (notes.value.trim()) body.notes = notes.value.trim();
    return (await sendOrQueue("meal", body, photo.files)) !== null;
  }

  async function submit(e) {
    e.preventDefault();
    const mealName = name.value.trim();
    if (!mealName) {
      formError(error, "Give the meal a name.");
      name.focus();
      return;
    }
    formError(error, "");
    submitButton.disabled = true;
    try {
      const sent = await save(mealName);
      form.reset();
      photo.reset();
      if (sent) toast("Meal completed", mealName, "success");
      onSaved();
    } catch (err) {
      formError(error, err.message);
    } finally {
      submitButton.disabled = false;
    }
  }

  function show(meals) {
    fill(list, meals.length ? h("ol", { class: "timeline" }, meals.map(mealItem)) : empty("No meals logged yet."));
  }

  return { el: card("Complete a meal", "meal-card", form, h("h3", { text: "Recent meals" }), pendingList("meal"), list), show };
}
