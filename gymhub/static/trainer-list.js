// The trainer's client list: a row per assigned client with the count of unread notifications
// about them. Per client, the highest notification id looked at is kept in localStorage.

import { clientOf, isNews } from "./feed.js";
import { avatar } from "./avatar.js";
import { fill, h } from "./dom.js";

function row(c, count, active, onOpen) {
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: `client-row${active ? " active" : ""}`,
        "data-client-id": c.id,
        onclick: () => onOpen(c),
      },
      avatar(c),
      h("span", { class: "client-names" }, h("strong", { text: c.display_name }), h("span", { class: "muted", text: `@${c.username}` })),
      count ? h("span", { class: "badge", "aria-label": `${count} unread`, text: String(count) }) : null,
    ),
  );
}

/** The list; onOpen(client) when a row is chosen. */
export function clientList(ctx, onOpen) {
  const seenKey = `gymhub.seen.${ctx.me.id}`;
  // Per client, the highest notification id the trainer has looked at (ids only, no data).
  const seen = JSON.parse(localStorage.getItem(seenKey) || "{}");
  const unread = new Map();
  const el = h("ul", { class: "client-list", "data-testid": "clients" });

  return {
    el,
    /** Counts the unread notifications about each client not yet looked at. */
    countUnread(notifications) {
      unread.clear();
      for (const n of notifications) {
        const c = clientOf(n, ctx.me.id);
        if (c === null || n.read || !isNews(n, ctx.me) || n.id <= (seen[c] || 0)) continue;
        unread.set(c, (unread.get(c) || 0) + 1);
      }
    },
    markSeen(clientId) {
      seen[clientId] = ctx.live.lastId;
      localStorage.setItem(seenKey, JSON.stringify(seen));
      unread.delete(clientId);
    },
    addUnread(clientId) {
      unread.set(clientId, (unread.get(clientId) || 0) + 1);
    },
    clearUnread() {
      unread.clear();
    },
    render(clients, open) {
      if (!clients.length) {
        fill(el, h("li", { class: "empty muted", text: "No clients are assigned to you yet." }));
        return;
      }
      fill(
        el,
        clients.map((c) => row(c, unread.get(c.id) || 0, open && open.id === c.id, onOpen)),
      );
    },
  };
}
