// The admin's screen: people, trainer assignments, storage, announcements. Each card is a
// panel of its own module; this one lays them out and loads the data they share.

import { assignPanel } from "./admin-assign.js";
import { announcePanel } from "./announce.js";
import { peoplePanel } from "./admin-people.js";
import { notifyPanel, storagePanel } from "./admin-storage.js";
import { api } from "./api.js";
import { fill, h, tabs } from "./dom.js";
import { paths } from "./paths.js";

const ADMIN_AUDIENCES = [
  ["all", "Everyone"],
  ["trainers", "All trainers"],
  ["clients", "All clients"],
];

function layout(ctx, panes) {
  const root = h("div", { class: "view admin-view" });
  const t = tabs(root, [
    { id: "people", label: "People" },
    { id: "assign", label: "Assignments" },
    { id: "storage", label: "Storage" },
    { id: "feed", label: "Feed" },
  ]);
  for (const [el, id] of panes) el.setAttribute("data-pane", id);
  root.append(...panes.map(([el]) => el));
  fill(ctx.root, h("div", { class: "greeting" }, h("h1", { text: "Administration" })), t.bar, root);
}

export async function adminView(ctx) {
  const people = peoplePanel(ctx, () => load());
  const assign = assignPanel(() => load());
  const storage = storagePanel();
  const notify = notifyPanel();
  layout(ctx, [
    [people.el, "people"],
    [assign.el, "assign"],
    [storage.el, "storage"],
    [notify.el, "storage"],
    [announcePanel(ctx, ADMIN_AUDIENCES, "Announcement").el, "feed"],
    [ctx.feed.el, "feed"],
  ]);

  async function load() {
    const { users } = await api("GET", paths.users);
    ctx.addPeople(users);
    const trainers = users.filter((u) => u.role === "trainer");
    const lists = await Promise.all(trainers.map((tr) => api("GET", paths.trainerClients(tr.id))));
    const assignments = new Map(trainers.map((tr, i) => [tr.id, lists[i].users]));
    people.render(users);
    assign.render(users, assignments);
    notify.setPeople(users);
  }

  await Promise.all([load(), storage.load()]);
  return {
    onEvent(n) {
      if (n.type === "FILE_UPLOADED" || n.type === "FILE_DELETED") storage.load();
    },
  };
}
