// The trainer's view of one client: progress chart, comparison, messages, photos and the timeline.

import { api } from "./api.js";
import { documentsPanel } from "./documents.js";
import { card, empty, fill, h, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { gallery, mealItem, timeline } from "./timeline.js";
import { onUnitsChange } from "./units.js";
import { Conversation, weightChart } from "./widgets.js";

/** Asks for the photos' thumbnails now, so the <img>s drawn next find them on the way. */
function askForThumbnails(photos) {
  for (const p of photos || []) {
    const url = p.variants?.thumbnail?.url;
    if (url) new Image().src = url;
  }
}

/** A meal from its MEAL_COMPLETED put into the timeline in time order, replacing an older copy. */
function placeMeal(box, meal) {
  askForThumbnails(meal.photos);
  const list = box.querySelector(".timeline");
  if (!list) {
    fill(box, timeline([meal], []));
    return;
  }
  list.querySelector(`[data-meal-id="${Number(meal.id)}"]`)?.remove();
  const later = (li) => (li.querySelector(".tl-head time")?.getAttribute("datetime") || "") <= meal.eaten_at;
  list.insertBefore(mealItem(meal), [...list.children].find(later) || null);
}

function placeholder() {
  return h("div", { class: "card placeholder" }, empty("Choose a client to see their meals, progress, photos and messages."));
}

function head(c, onBack) {
  const back = h("button", { type: "button", class: "btn ghost small back", text: "‹ Clients", onclick: () => onBack() });
  return h("div", { class: "detail-head" }, back, h("h1", { text: c.display_name }), h("span", { class: "muted", text: `@${c.username}` }));
}

/** "Compare photos": before and after of the shown client's entries (got() gives both). */
function compareAction(ctx, got) {
  const open = async () => {
    const [c, entries] = got();
    const { openCompare } = await import("./compare.js");
    openCompare(ctx.me, entries, `${c?.display_name ?? ""}: before and after`);
  };
  return h("button", { type: "button", class: "btn small", text: "Compare photos", hidden: true, "data-testid": "open-compare", onclick: open });
}

/** The detail pane; onBack() when its back button (phones) is pressed. */
export function clientDetail(ctx, onBack) {
  const el = h("div", { class: "client-detail" });
  const [chartBox, timelineBox, photosBox, convBox] = ["chart", "timeline", "gallery", "conv"].map((k) => h("div", { class: `${k}-wrap` }));
  let [shown, documents, conversation, refreshTimer, entries] = [null, null, null, null, []];
  const compareButton = compareAction(ctx, () => [shown, entries]);
  onUnitsChange(() => shown && load(shown).catch(() => {}));

  async function load(c) {
    const [meals, progress, files] = await Promise.all([
      api("GET", paths.meals({ client_id: c.id, limit: 30 })),
      api("GET", paths.progress({ client_id: c.id, limit: 100 })),
      api("GET", paths.files({ owner_id: c.id, limit: 60 })),
    ]);
    if (shown !== c) return;
    entries = progress.entries;
    compareButton.hidden = !entries.some((e) => (e.photos || []).length);
    fill(chartBox, weightChart(entries));
    fill(timelineBox, timeline(meals.meals, progress.entries.slice(0, 30)));
    fill(photosBox, gallery(files.files.filter((f) => f.category !== "documents")));
  }

  async function show(c) {
    shown = c;
    conversation = new Conversation(ctx, c);
    documents = documentsPanel(ctx, c);
    fill(convBox, conversation.el);
    const left = h(
      "div",
      { class: "col" },
      card("Progress", "chart-card", chartBox, h("div", { class: "card-actions" }, compareButton)),
      card("Messages", "messages-card", convBox),
      card("Photos", "photos-card", photosBox),
      documents.el,
    );
    const right = h("div", { class: "col" }, card("Timeline", "timeline-card", timelineBox));
    fill(el, head(c, onBack), h("div", { class: "detail-grid" }, left, right));
    await Promise.all([load(c), conversation.load(), documents.reload()]);
  }

  function clear() {
    shown = null;
    conversation = null;
    documents = null;
    fill(el, placeholder());
  }

  /** Loads the shown client's data again, at most once per 200 ms; a meal shows at once. */
  function refresh(n) {
    if (n && documents?.concerns(n)) {
      documents.reload().catch(() => {});
      return;
    }
    // The notification carries the meal and its photos: no need to wait for the lists.
    if (n?.type === "MEAL_COMPLETED" && shown && n.data?.meal?.client_id === shown.id) placeMeal(timelineBox, n.data.meal);
    clearTimeout(refreshTimer);
    const c = shown;
    refreshTimer = setTimeout(() => {
      if (c && shown === c) load(c).catch((err) => toast("Could not refresh", explain(err), "error"));
    }, 200);
  }

  return { el, show, clear, refresh, addMessage: (m) => conversation?.add(m) };
}
