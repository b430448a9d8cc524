// The client's own meal shown the moment "Complete meal" is pressed: its photos straight from the
// device (object URLs) while the request runs, swapped for the server's meal once the server's
// thumbnails are in the browser's cache, so the picture never blinks empty in between.

import { empty, fill, h } from "./dom.js";
import { mealItem } from "./timeline.js";

// What an <img> draws everywhere (HEIC only in Safari): other photos wait for the server's.
const DRAWABLE = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);
// On a weak signal the swap does not wait longer than this for the server's thumbnails.
const WAIT_MS = 3000;

/** Fetches and decodes the thumbnails of the server's photos; settles after WAIT_MS at most. */
export function thumbnailsReady(photos) {
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
export class MealDraft {
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
export class RecentMeals {
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
