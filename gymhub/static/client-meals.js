// The client's Meals panel: complete a meal with its photos in one request, see recent meals.
// One request (multipart) means all or nothing: a refused photo leaves no meal behind, the form
// keeps what was typed, and a retry of the same content reuses its Idempotency-Key.

import { apiWithHeaders } from "./api.js";
import { card, empty, errorLine, fill, field, formError, h, toast } from "./dom.js";
import { Attempt, dateTimeInput, filesSignature, isoFrom } from "./inputs.js";
import { paths } from "./paths.js";
import { DRAWABLE, PhotoPicker, UploadBar } from "./picker.js";
import { pendingList, sendOrKeep } from "./queue-view.js";
import { explain } from "./say.js";
import { mealItem } from "./timeline.js";

const MAX_PHOTOS = 6;

// The meal shows the moment "Complete meal" is pressed (issue #18): its photos straight from the
// device (object URLs) while the request runs, swapped for the server's meal once the server's
// thumbnails are in the browser's cache, so the picture never blinks empty in between. Kept in
// this module: one more module would cost the first load a round trip on a slow link.

// On a weak signal the swap does not wait longer than this for the server's thumbnails.
const WAIT_MS = 3000;

/** Fetches and decodes the thumbnails of the server's photos; settles after WAIT_MS at most. */
function thumbnailsReady(photos) {
  const loads = (photos || [])
    .map((p) => p.variants?.thumbnail?.url)
    .filter(Boolean)
    .map((url) => {
      const img = new Image();
      img.src = url;
      return img.decode().catch(() => {});
    });
  return Promise.race([Promise.all(loads), new Promise((resolve) => setTimeout(resolve, WAIT_MS))]);
}

/** A meal being sent, drawn from the form's fields and files; `id` is set when the server answers. */
class MealDraft {
  constructor(fields, files) {
    this.id = null;
    this.urls = [];
    const photos = files
      .filter((f) => DRAWABLE.has(f.type))
      .map((f, n) => {
        const url = URL.createObjectURL(f);
        this.urls.push(url);
        return { id: `local-${n}`, variants: { thumbnail: { url }, large: { url } } };
      });
    const eatenAt = fields.eaten_at || new Date().toISOString();
    this.el = mealItem({ ...fields, eaten_at: eatenAt, photos });
    this.el.removeAttribute("data-meal-id");
    this.el.classList.add("draft");
    this.el.querySelector(".tl-body").append(h("span", { class: "draft-state muted", text: "Sending…" }));
  }

  /** The photos came from this device: their object URLs are let go once the draft is gone. */
  drop() {
    this.el.remove();
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }
}

/** The client's Recent meals: the server's meals, newest first, after the drafts being sent. */
class RecentMeals {
  constructor() {
    this.el = h("ol", { class: "timeline meal-list" });
    this.shown = [];
    this.drafts = [];
  }

  /** Shows a draft of the meal now being sent (null when it has no photos to show). */
  draft(fields, files) {
    if (!files.length) return null;
    const draft = new MealDraft(fields, files);
    this.drafts.push(draft);
    this.show(this.shown);
    return draft;
  }

  /** The draft went nowhere (refused, cancelled) or waits in the outbox's own list. */
  drop(draft) {
    if (!draft) return;
    this.drafts = this.drafts.filter((d) => d !== draft);
    this.show(this.shown);
    draft.drop();
  }

  /** The server's meal in place of its draft, once the server's thumbnails are loaded. */
  settle(draft, meal) {
    if (draft) draft.id = meal.id;
    const swap = () => {
      this.drafts = this.drafts.filter((d) => d !== draft);
      this.show([meal, ...this.shown.filter((m) => m.id !== meal.id)]);
      draft?.drop();
    };
    if (draft) thumbnailsReady(meal.photos).then(swap);
    else swap();
  }

  show(meals) {
    this.shown = meals;
    const ids = new Set(meals.map((m) => m.id));
    const sending = this.drafts.filter((d) => !ids.has(d.id)).map((d) => d.el);
    if (!meals.length && !sending.length) fill(this.el, h("li", {}, empty("No meals logged yet.")));
    else fill(this.el, sending, meals.map(mealItem));
  }
}

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
