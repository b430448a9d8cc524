// The trainer's client list, from the dashboard: a row per client with last activity, meals and
// days logged this week, latest weight and its 30-day change, unread messages and comments;
// least active first, searchable by name. Per client, the highest notification id looked at is
// kept in localStorage for the badge of unread events.

import { ago, idleDays } from "./dashboard.js";
import { clientOf, isNews } from "./feed.js";
import { avatar } from "./avatar.js";
import { fill, h } from "./dom.js";
import { fmtWeight, fmtWeightDelta } from "./units.js";

// A client with nothing for this many days is marked as one to check on.
const QUIET_DAYS = 3;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function facts(r) {
  const weight = r.last_weight_kg === null ? "No weight yet" : fmtWeight(r.last_weight_kg);
  const change = r.weight_change_30d_kg === null ? "" : ` (${fmtWeightDelta(r.weight_change_30d_kg)} in 30 days)`;
  return [
    h("span", { class: "fact", "data-fact": "activity", text: `Active ${ago(r.last_activity_at)}` }),
    h("span", { class: "fact", "data-fact": "meals", text: `${plural(r.meals_7d, "meal")} · ${r.days_logged_7d}/7 days logged` }),
    h("span", { class: "fact", "data-fact": "weight", text: `${weight}${change}` }),
  ];
}

function unreadChips(r) {
  const chips = [];
  if (r.unread_messages) chips.push(h("span", { class: "pill-count", "data-fact": "unread-messages", text: plural(r.unread_messages, "message") }));
  if (r.unread_comments) chips.push(h("span", { class: "pill-count", "data-fact": "unread-comments", text: plural(r.unread_comments, "comment") }));
  return chips;
}

function row(r, count, active, onOpen) {
  const c = r.user;
  const quiet = idleDays(r) >= QUIET_DAYS;
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: `client-row${active ? " active" : ""}${quiet ? " quiet" : ""}`,
        "data-client-id": c.id,
        onclick: () => onOpen(c),
      },
      avatar(c),
      h(
        "span",
        { class: "client-names" },
        h("span", { class: "client-title" }, h("strong", { text: c.display_name }), quiet ? h("span", { class: "quiet-tag", text: "Check in" }) : null),
        h("span", { class: "client-facts muted" }, facts(r)),
        h("span", { class: "client-unread" }, unreadChips(r)),
      ),
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
  const ul = h("ul", { class: "client-list", "data-testid": "clients" });
  const search = h("input", { type: "search", class: "client-search", placeholder: "Search by name", "aria-label": "Search clients by name", oninput: () => draw() });
  const el = h("div", { class: "client-list-box" }, search, ul);
  let last = { rows: [], open: null };

  function draw() {
    const { rows, open } = last;
    if (!rows.length) {
      fill(ul, h("li", { class: "empty muted", text: "No clients are assigned to you yet." }));
      return;
    }
    const q = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || r.user.display_name.toLowerCase().includes(q) || r.user.username.toLowerCase().includes(q));
    if (!shown.length) {
      fill(ul, h("li", { class: "empty muted", text: `No client's name contains “${search.value.trim()}”.` }));
      return;
    }
    fill(ul, shown.map((r) => row(r, unread.get(r.user.id) || 0, open && open.id === r.user.id, onOpen)));
  }

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
    /** rows: the dashboard's, least active first. */
    render(rows, open) {
      last = { rows, open };
      draw();
    },
  };
}
