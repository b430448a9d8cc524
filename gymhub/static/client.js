// The client's screen: log meals (with a photo) and progress, see own photos, talk to trainers.
// Each card is a panel of its own module; this one lays them out and loads their data.

import { api } from "./api.js";
import { mealsPanel } from "./client-meals.js";
import { card, fill, h, tabs, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { photoSetting } from "./queue-view.js";
import { configureItemActions } from "./item-actions.js";
import { gallery } from "./timeline.js";

function layout(ctx, root, panes) {
  let t = null;
  t = tabs(
    root,
    [
      { id: "meals", label: "Meals" },
      { id: "progress", label: "Progress" },
      { id: "photos", label: "Files" },
      { id: "messages", label: "Messages" },
      { id: "feed", label: "Feed" },
      { id: "privacy", label: "Privacy" },
    ],
    (id) => {
      if (id === "messages") t?.badge("messages", 0);
      if (id === "privacy") ctx.privacy?.reload();
    },
  );
  for (const [el, id] of panes) el.setAttribute("data-pane", id);
  const greeting = h(
    "div",
    { class: "greeting" },
    h("h1", { text: `Hi ${ctx.me.display_name}` }),
    h("p", { class: "muted", text: "Log what you eat and how you progress; your trainer sees it live." }),
  );
  fill(ctx.root, greeting, t.bar, root);
  root.append(...panes.map(([el]) => el));
  return t;
}

/**
 * A pane whose module loads once the first screen is drawn: on a weak signal the meal form comes
 * sooner. `make(module)` builds the panel from what `load()` imported; ready resolves to it once it has replaced its stand-in.
 */
function later(load, make) {
  const el = h("div", { class: "card placeholder" });
  const ready = load().then((module) => {
    const panel = make(module);
    panel.el.setAttribute("data-pane", el.getAttribute("data-pane"));
    el.replaceWith(panel.el);
    return panel;
  });
  return { el, ready };
}

export async function clientView(ctx) {
  const me = ctx.me;
  const { users } = await api("GET", paths.users);
  ctx.addPeople(users);

  let refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => load().catch((err) => toast("Could not refresh", explain(err), "error")), 250);
  }

  configureItemActions({ me, onChanged: refresh });
  const meals = mealsPanel(refresh);
  // Only the meal form is needed first; the rest comes once it is drawn.
  const progress = later(() => import("./client-progress.js"), (m) => m.progressPanel(refresh, me));
  const galleryBox = h("div", { class: "gallery-wrap" });
  const trainers = users.filter((u) => u.role !== "client");
  const messages = later(() => import("./client-messages.js"), (m) => m.messagesPanel(ctx, trainers));
  const documents = later(() => import("./documents.js"), (m) => m.documentsPanel(ctx, me));
  const privacy = later(() => import("./privacy.js"), (m) => ({ ...m.privacyPanel(ctx), photoTile: m.photoTile }));
  let docs = null;
  const root = h("div", { class: "view client-view" });
  const t = layout(ctx, root, [
    [meals.el, "meals"],
    [progress.el, "progress"],
    [card("My photos", "photos-card", galleryBox, photoSetting()), "photos"],
    [documents.el, "photos"],
    [messages.el, "messages"],
    [ctx.feed.el, "feed"],
    [privacy.el, "privacy"],
  ]);

  async function load() {
    const [mealList, entries, files] = await Promise.all([
      api("GET", paths.meals({ client_id: me.id, limit: 20 })),
      api("GET", paths.progress({ client_id: me.id, limit: 100 })),
      api("GET", paths.files({ owner_id: me.id, limit: 60 })),
    ]);
    meals.show(mealList.meals);
    (await progress.ready).show(entries.entries);
    const { photoTile } = await privacy.ready;
    fill(galleryBox, gallery(files.files.filter((f) => f.category !== "documents"), photoTile));
  }

  const conversations = await messages.ready;
  await conversations.start();
  const [, loadedDocs, loadedPrivacy] = await Promise.all([load(), documents.ready, privacy.ready]);
  docs = loadedDocs;
  ctx.privacy = loadedPrivacy;
  await Promise.all([docs.reload(), ctx.privacy.reload()]);

  return {
    /** A message in the conversation on screen needs no toast. */
    onScreen(n) {
      return n.type === "MESSAGE" && conversations.showing(n.data?.message) && conversations.el.checkVisibility();
    },
    onEvent(n) {
      if (n.type === "MESSAGE") {
        const m = n.data?.message;
        conversations.receive(m);
        if (m.sender_id !== me.id && root.dataset.tab !== "messages") t.badge("messages", 1);
      } else if (conversations.notice(n)) {
        // An edited or deleted message, or a trainer no longer assigned: the panel's own.
      } else if (docs?.concerns(n)) {
        docs.reload().catch(() => {});
      } else if (n.type !== "SYSTEM" && n.type !== "COMMENT") {
        refresh();
      }
    },
  };
}
