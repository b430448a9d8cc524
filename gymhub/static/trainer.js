// The trainer's screen: assigned clients with unread counts, one client's timeline, live.
// The list and the detail are panels of their own modules; this one ties them together.
// An "unassigned" SYSTEM notification drops that client from the rows and the open detail.

import { announcePanel } from "./announce.js";
import { card, fill, h } from "./dom.js";
import { clientOf, isNews } from "./feed.js";
import { Dashboard } from "./dashboard.js";
import { clientDetail } from "./trainer-detail.js";
import { clientList } from "./trainer-list.js";

export async function trainerView(ctx) {
  let clients = [];
  let rows = [];
  let open = null;
  const setRows = (r) => {
    rows = r;
    clients = r.map((x) => x.user);
    ctx.addPeople(clients);
    if (open && !clients.some((c) => c.id === open.id)) closeClient();
    renderList();
  };
  const dashboard = new Dashboard(ctx.me.id, setRows);
  const list = clientList(ctx, (c) => openClient(c));
  const detail = clientDetail(ctx, () => closeClient());
  const root = h("div", { class: "view trainer-view", "data-open": "list" });
  const announce = announcePanel(ctx, [["my_clients", "All my clients"]], "Message all my clients", true);
  const aside = h("div", { class: "trainer-aside" }, card("Your clients", "clients-card", list.el), announce.el, ctx.feed.el);
  fill(ctx.root, root);
  root.append(aside, detail.el);

  const renderList = () => list.render(rows, open);

  async function openClient(c) {
    open = c;
    list.markSeen(c.id);
    renderList();
    // Reading the conversation clears its unread messages on the dashboard.
    setTimeout(() => dashboard.notice({ type: "MESSAGE" }), 1500);
    root.dataset.open = "client";
    await detail.show(c);
  }

  function closeClient() {
    open = null;
    root.dataset.open = "list";
    detail.clear();
    renderList();
  }

  const loadClients = () => dashboard.load();

  list.countUnread(ctx.notifications);
  await loadClients();
  detail.clear();
  if (clients.length && window.matchMedia("(min-width: 900px)").matches) await openClient(clients[0]);

  return {
    onEvent(n) {
      if (n.data?.event === "unassigned") setRows(rows.filter((r) => r.user.id !== n.data.client_id));
      dashboard.notice(n);
      const c = clientOf(n, ctx.me.id);
      if (c === null || c === ctx.me.id) return;
      if (open && open.id === c) {
        list.markSeen(c);
        if (n.type === "MESSAGE" || n.type === "MESSAGE_UPDATED") detail.addMessage(n.data.message);
        else detail.refresh(n);
      } else if (!n.read && isNews(n, ctx.me)) {
        list.addUnread(c);
      }
      renderList();
    },
    /** The open client's events show in place: no toast for them. */
    onScreen(n) {
      return open !== null && clientOf(n, ctx.me.id) === open.id && detail.el.checkVisibility();
    },
    onAllRead() {
      list.clearUnread();
      renderList();
    },
  };
}
