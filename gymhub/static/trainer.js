// The trainer's screen: assigned clients with unread counts, one client's timeline, live.

import { api } from "./api.js";
import { card, empty, fill, h, toast } from "./dom.js";
import { clientOf } from "./feed.js";
import { paths } from "./paths.js";
import { gallery, timeline } from "./timeline.js";
import { Conversation, weightChart } from "./widgets.js";

export async function trainerView(ctx) {
  const me = ctx.me;
  const seenKey = `gymhub.seen.${me.id}`;
  // Per client, the highest notification id the trainer has looked at (ids only, no data).
  const seen = JSON.parse(localStorage.getItem(seenKey) || "{}");
  const unread = new Map();
  let clients = [];
  let open = null;
  let conversation = null;

  const list = h("ul", { class: "client-list", "data-testid": "clients" });
  const detail = h("div", { class: "client-detail" });
  const root = h("div", { class: "view trainer-view", "data-open": "list" });
  const aside = h("div", { class: "trainer-aside" }, card("Your clients", "clients-card", list), ctx.feed.el);
  fill(ctx.root, root);
  root.append(aside, detail);

  function countUnread(notifications) {
    unread.clear();
    for (const n of notifications) {
      const c = clientOf(n);
      if (c === null || n.read || n.id <= (seen[c] || 0)) continue;
      unread.set(c, (unread.get(c) || 0) + 1);
    }
  }

  function markSeen(clientId) {
    seen[clientId] = ctx.live.lastId;
    localStorage.setItem(seenKey, JSON.stringify(seen));
    unread.delete(clientId);
  }

  function renderList() {
    if (!clients.length) {
      fill(list, h("li", { class: "empty muted", text: "No clients are assigned to you yet." }));
      return;
    }
    fill(
      list,
      clients.map((c) => {
        const count = unread.get(c.id) || 0;
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `client-row${open && open.id === c.id ? " active" : ""}`,
              "data-client-id": c.id,
              onclick: () => openClient(c),
            },
            h("span", { class: "avatar", "aria-hidden": "true", text: (c.display_name || "?").slice(0, 1).toUpperCase() }),
            h("span", { class: "client-names" }, h("strong", { text: c.display_name }), h("span", { class: "muted", text: `@${c.username}` })),
            count ? h("span", { class: "badge", "aria-label": `${count} unread`, text: String(count) }) : null,
          ),
        );
      }),
    );
  }

  const chartBox = h("div", { class: "chart-wrap" });
  const timelineBox = h("div", { class: "timeline-wrap" });
  const photosBox = h("div", { class: "gallery-wrap" });
  const convBox = h("div", { class: "conv-wrap" });

  async function openClient(c) {
    open = c;
    markSeen(c.id);
    renderList();
    root.dataset.open = "client";
    const back = h("button", { type: "button", class: "btn ghost small back", text: "‹ Clients", onclick: () => closeClient() });
    conversation = new Conversation(ctx, c);
    fill(convBox, conversation.el);
    fill(
      detail,
      h("div", { class: "detail-head" }, back, h("h1", { text: c.display_name }), h("span", { class: "muted", text: `@${c.username}` })),
      h(
        "div",
        { class: "detail-grid" },
        h(
          "div",
          { class: "col" },
          card("Weight", "chart-card", chartBox),
          card("Messages", "messages-card", convBox),
          card("Photos", "photos-card", photosBox),
        ),
        h("div", { class: "col" }, card("Timeline", "timeline-card", timelineBox)),
      ),
    );
    await Promise.all([loadClient(c), conversation.load()]);
  }

  function closeClient() {
    open = null;
    conversation = null;
    root.dataset.open = "list";
    fill(detail, emptyDetail());
    renderList();
  }

  function emptyDetail() {
    return h("div", { class: "card placeholder" }, empty("Choose a client to see their meals, progress, photos and messages."));
  }

  async function loadClient(c) {
    const [meals, progress, files] = await Promise.all([
      api("GET", paths.meals({ client_id: c.id, limit: 30 })),
      api("GET", paths.progress({ client_id: c.id, limit: 100 })),
      api("GET", paths.files({ owner_id: c.id, limit: 60 })),
    ]);
    if (open !== c) return;
    fill(chartBox, weightChart(progress.entries));
    fill(timelineBox, timeline(meals.meals, progress.entries.slice(0, 30)));
    fill(photosBox, gallery(files.files.filter((f) => f.category !== "documents")));
  }

  let refreshTimer = null;
  function refreshOpen() {
    clearTimeout(refreshTimer);
    const c = open;
    refreshTimer = setTimeout(() => {
      if (c && open === c) loadClient(c).catch((err) => toast("Could not refresh", err.message, "error"));
    }, 200);
  }

  async function loadClients() {
    clients = (await api("GET", paths.users)).users.filter((u) => u.role === "client");
    ctx.addPeople(clients);
    if (open && !clients.some((c) => c.id === open.id)) closeClient();
    renderList();
  }

  countUnread(ctx.notifications);
  await loadClients();
  fill(detail, emptyDetail());
  if (clients.length && window.matchMedia("(min-width: 900px)").matches) await openClient(clients[0]);

  return {
    onEvent(n) {
      const c = clientOf(n);
      if (c === null || c === me.id) return;
      if (!clients.some((x) => x.id === c)) {
        // A newly assigned client: fetch the list again.
        loadClients().catch(() => {});
      }
      if (open && open.id === c) {
        markSeen(c);
        if (n.type === "MESSAGE") conversation?.add(n.data.message);
        else refreshOpen();
      } else if (!n.read) {
        unread.set(c, (unread.get(c) || 0) + 1);
      }
      renderList();
    },
    onAllRead() {
      unread.clear();
      renderList();
    },
  };
}
