// The client's screen: log meals (with a photo) and progress, see own photos, talk to trainers.
// Each card is a panel of its own module; this one lays them out and loads their data.

import { api } from "./api.js";
import { mealsPanel } from "./client-meals.js";
import { messagesPanel } from "./client-messages.js";
import { progressPanel } from "./client-progress.js";
import { card, fill, h, tabs, toast } from "./dom.js";
import { documentsPanel } from "./documents.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { photoTile, privacyPanel } from "./privacy.js";
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
  const progress = progressPanel(refresh, me);
  const galleryBox = h("div", { class: "gallery-wrap" });
  const messages = messagesPanel(ctx, users.filter((u) => u.role !== "client"));
  const documents = documentsPanel(ctx, me);
  const privacy = privacyPanel(ctx);
  ctx.privacy = privacy;
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
    progress.show(entries.entries);
    fill(galleryBox, gallery(files.files.filter((f) => f.category !== "documents"), photoTile));
  }

  await messages.start();
  await Promise.all([load(), documents.reload(), privacy.reload()]);

  return {
    /** A message in the conversation on screen needs no toast. */
    onScreen(n) {
      return n.type === "MESSAGE" && messages.showing(n.data?.message) && messages.el.checkVisibility();
    },
    onEvent(n) {
      if (n.type === "MESSAGE") {
        const m = n.data?.message;
        messages.receive(m);
        if (m.sender_id !== me.id && root.dataset.tab !== "messages") t.badge("messages", 1);
      } else if (n.type === "MESSAGE_UPDATED") {
        messages.update(n.data?.message);
      } else if (n.type === "SYSTEM" && n.data?.event === "unassigned") {
        messages.dropTrainer(n.data.trainer_id);
      } else if (documents.concerns(n)) {
        documents.reload().catch(() => {});
      } else if (n.type !== "SYSTEM" && n.type !== "COMMENT") {
        refresh();
      }
    },
  };
}
