// The trainer's screen: assigned clients with unread counts, one client's timeline, live.
// The list and the detail are panels of their own modules; this one ties them together.

import { api } from "./api.js";
import { card, fill, h } from "./dom.js";
import { clientOf, isNews } from "./feed.js";
import { paths } from "./paths.js";
import { clientDetail } from "./trainer-detail.js";
import { clientList } from "./trainer-list.js";

export async function trainerView(ctx) {
  let clients = [];
  let open = null;
  const list = clientList(ctx, (c) => openClient(c));
  const detail = clientDetail(ctx, () => closeClient());
  const root = h("div", { class: "view trainer-view", "data-open": "list" });
  const aside = h("div", { class: "trainer-aside" }, card("Your clients", "clients-card", list.el), ctx.feed.el);
  fill(ctx.root, root);
  root.append(aside, detail.el);

  const renderList = () => list.render(clients, open);
  async function openClient(c) {
    open = c;
    list.markSeen(c.id);
    renderList();
    root.dataset.open = "client";
    await detail.show(c);
  }

  function closeClient() {
    open = null;
    root.dataset.open = "list";
    detail.clear();
    renderList();
  }

  async function loadClients() {
    clients = (await api("GET", paths.users)).users.filter((u) => u.role === "client");
    ctx.addPeople(clients);
    if (open && !clients.some((c) => c.id === open.id)) closeClient();
    renderList();
  }

  list.countUnread(ctx.notifications);
  await loadClients();
  detail.clear();
  if (clients.length && window.matchMedia("(min-width: 900px)").matches) await openClient(clients[0]);

  // The admin ended an assignment: the client leaves the list and the open detail at once.
  function dropClient(clientId) {
    clients = clients.filter((x) => x.id !== clientId);
    if (open?.id === clientId) closeClient();
    else renderList();
  }

  return {
    onEvent(n) {
      if (n.type === "SYSTEM" && n.data?.event === "unassigned") return dropClient(n.data.client_id);
      const c = clientOf(n, ctx.me.id);
      if (c === null || c === ctx.me.id) return;
      if (!clients.some((x) => x.id === c)) {
        // A newly assigned client: fetch the list again.
        loadClients().catch(() => {});
      }
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
