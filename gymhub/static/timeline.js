// Meals and progress entries as one timeline, newest first, with their photos.

import { commentsFor } from "./comments.js";
import { itemActions } from "./item-actions.js";
import { empty, h, icon, thumb, timeEl } from "./dom.js";
import { entryStats } from "./units.js";

function photos(files, caption) {
  const thumbs = (files || []).map((f) => thumb(f, caption)).filter(Boolean);
  return thumbs.length ? h("div", { class: "thumbs" }, thumbs) : null;
}

/** One meal: name, time, notes and photo thumbnails. */
export function mealItem(meal) {
  return h(
    "li",
    { class: "tl-item meal", "data-meal-id": meal.id },
    h("span", { class: "tl-icon" }, icon("meal")),
    h(
      "div",
      { class: "tl-body" },
      h("div", { class: "tl-head" }, h("strong", { class: "meal-name", text: meal.meal_name }), timeEl(meal.eaten_at)),
      meal.notes ? h("p", { class: "tl-notes", text: meal.notes }) : null,
      photos(meal.photos, meal.meal_name),
      commentsFor("meal", meal),
    ),
    itemActions("meal", meal),
  );
}

/** One progress entry: weight, body fat, notes and photos. */
export function progressItem(entry) {
  const stats = entryStats(entry).map((text) => h("span", { class: "stat", text }));
  return h(
    "li",
    { class: "tl-item progress", "data-progress-id": entry.id },
    h("span", { class: "tl-icon" }, icon("chart")),
    h(
      "div",
      { class: "tl-body" },
      h("div", { class: "tl-head" }, h("strong", { text: "Progress" }), timeEl(entry.recorded_at)),
      stats.length ? h("div", { class: "stats" }, stats) : null,
      entry.notes ? h("p", { class: "tl-notes", text: entry.notes }) : null,
      photos(entry.photos, "Progress photo"),
      commentsFor("progress", entry),
    ),
    itemActions("progress", entry),
  );
}

/** Meals and entries merged, newest first. */
export function timeline(meals, entries) {
  const items = [
    ...meals.map((m) => ({ at: m.eaten_at, el: () => mealItem(m) })),
    ...entries.map((e) => ({ at: e.recorded_at, el: () => progressItem(e) })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  if (!items.length) return empty("No meals or progress logged yet.");
  return h("ol", { class: "timeline", "data-testid": "timeline" }, items.map((i) => i.el()));
}

/** A grid of image thumbnails, newest first; tile(file, thumbnail) may dress each (the owner's privacy switch). */
export function gallery(files, tile = (_file, el) => el) {
  const thumbs = files
    .map((f) => [f, thumb(f, f.category === "meal_photos" ? "Meal photo" : "Progress photo")])
    .filter(([, el]) => el)
    .map(([f, el]) => tile(f, el));
  if (!thumbs.length) return empty("No photos yet.");
  return h("div", { class: "gallery", "data-testid": "gallery" }, thumbs);
}
