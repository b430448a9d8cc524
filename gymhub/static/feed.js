// The notification feed shared by every view, and the words for each notification type.

import { api } from "./api.js";
import { paths } from "./paths.js";
import { empty, fill, h, num, thumb, timeEl } from "./dom.js";
import { fmtWeight } from "./units.js";

const SHOWN = 60;
const PAGE = 200;
const MAX_PAGES = 5;

/** The client a notification is about, or null (SYSTEM and admin-only events). */
export function clientOf(n, meId = null) {
  const d = n.data || {};
  switch (n.type) {
    case "MEAL_COMPLETED":
    case "MEAL_UPDATED":
      return d.meal ? d.meal.client_id : null;
    case "MEAL_DELETED":
    case "PROGRESS_DELETED":
      return d.client_id ?? null;
    case "PROGRESS_UPDATED":
      return d.entry ? d.entry.client_id : null;
    case "FILE_UPLOADED":
    case "FILE_DELETED":
      return d.owner_id ?? null;
    case "MESSAGE":
    case "MESSAGE_UPDATED":
      if (!d.message) return null;
      return d.message.sender_id === meId ? d.message.recipient_id : d.message.sender_id;
    default:
      return null;
  }
}

/** Title, text and optional file of a notification, in the viewer's words. */
export function describe(n, ctx) {
  const d = n.data || {};
  const name = (id) => (id === ctx.me.id ? "You" : ctx.name(id));
  switch (n.type) {
    case "MEAL_COMPLETED":
      // A meal sent with its photos arrives as this one notification: show its first photo.
      return { title: "Meal logged", text: `${name(d.meal.client_id)}: ${d.meal.meal_name}`, file: (d.meal.photos || [])[0] };
    case "PROGRESS_UPDATED": {
      const e = d.entry;
      const parts = [];
      if (e.weight_kg !== null && e.weight_kg !== undefined) parts.push(fmtWeight(e.weight_kg));
      if (e.body_fat_pct !== null && e.body_fat_pct !== undefined) parts.push(`${num(e.body_fat_pct)} % body fat`);
      if (!parts.length && e.photos && e.photos.length) parts.push(`${e.photos.length} photo(s)`);
      return { title: d.action === "updated" ? "Progress corrected" : "Progress update", text: `${name(e.client_id)}: ${parts.join(", ") || "new entry"}` };
    }
    case "FILE_UPLOADED": {
      const f = d.file || {};
      const what = f.category === "documents" ? "New document" : "New photo";
      const label = f.category === "documents" ? ` (${f.original_name || "document"})` : "";
      return { title: what, text: `${name(d.owner_id)}${label}`, file: f };
    }
    case "FILE_DELETED":
      return { title: "File deleted", text: `${name(d.deleted_by)} deleted a file of ${name(d.owner_id)}` };
    case "MESSAGE": {
      const m = d.message;
      const who = m.sender_id === ctx.me.id ? `You → ${ctx.name(m.recipient_id)}` : ctx.name(m.sender_id);
      return { title: `Message · ${who}`, text: m.body };
    }
    case "COMMENT": {
      const c = d.comment;
      const on = { meal: "a meal", progress: "a progress entry", file: "a photo" }[c.target] || "an item";
      return { title: `Comment on ${on} · ${name(c.author_id)}`, text: c.body };
    }
    case "SYSTEM":
      return { title: d.title || "Announcement", text: d.message || "" };
    case "MEAL_UPDATED":
      return { title: "Meal corrected", text: `${name(d.meal.client_id)}: ${d.meal.meal_name}` };
    case "MEAL_DELETED":
      return { title: "Meal deleted", text: name(d.client_id) };
    case "PROGRESS_DELETED":
      return { title: "Progress entry deleted", text: name(d.client_id) };
    case "MESSAGE_UPDATED": {
      const m = d.message;
      return { title: m.deleted_at ? "Message deleted" : `Message edited · ${ctx.name(m.sender_id)}`, text: m.body || "" };
    }
    default:
      return { title: n.type, text: "" };
  }
}

/** Whether a notification is news to the viewer (not their own action). */
export function isNews(n, me) {
  const d = n.data || {};
  switch (n.type) {
    case "MEAL_COMPLETED":
    case "MEAL_UPDATED":
      return d.meal && d.meal.client_id !== me.id;
    case "MEAL_DELETED":
    case "PROGRESS_DELETED":
      return d.client_id !== me.id;
    case "PROGRESS_UPDATED":
      return d.entry && d.entry.client_id !== me.id;
    case "FILE_UPLOADED":
      return d.uploaded_by !== me.id;
    case "FILE_DELETED":
      return d.deleted_by !== me.id;
    case "MESSAGE":
    case "MESSAGE_UPDATED":
      return d.message && d.message.sender_id !== me.id;
    case "COMMENT":
      return d.comment && d.comment.author_id !== me.id;
    default:
      return true;
  }
}

/** Every stored notification of the viewer, oldest first (the server keeps at most 1,000). */
export async function loadNotifications() {
  const all = [];
  let since = 0;
  let unread = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const res = await api("GET", paths.notifications({ since, limit: PAGE }));
    all.push(...res.notifications);
    unread = res.unread;
    if (res.notifications.length < PAGE) break;
    since = res.notifications[res.notifications.length - 1].id;
  }
  return { notifications: all, unread };
}

/** The feed card: newest first, unread ones marked, "mark all read" acknowledges them. */
export class Feed {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.list = h("ol", { class: "feed-list", "data-testid": "feed" });
    this.markBtn = h("button", {
      type: "button",
      class: "btn ghost small",
      text: "Mark all read",
      onclick: () => this.markAllRead(),
    });
    this.el = h(
      "section",
      { class: "card feed" },
      h("div", { class: "card-head" }, h("h2", { text: "Live feed" }), this.markBtn),
      this.list,
    );
  }

  set(notifications) {
    this.items = notifications.slice(-SHOWN);
    this.render();
  }

  add(n) {
    this.items.push(n);
    if (this.items.length > SHOWN) this.items.shift();
    this.list.prepend(this.row(n));
    while (this.list.children.length > SHOWN) this.list.lastChild.remove();
    this.list.querySelector(".empty")?.remove();
    this.markBtn.disabled = !this.items.some((i) => this.unread(i));
  }

  /** One's own actions are never unread. */
  unread(n) {
    return !n.read && isNews(n, this.ctx.me);
  }

  row(n) {
    const { title, text, file } = describe(n, this.ctx);
    return h(
      "li",
      { class: `feed-item type-${n.type.toLowerCase()}${this.unread(n) ? " unread" : ""}`, "data-id": n.id },
      h("div", { class: "feed-head" }, h("strong", { text: title }), timeEl(n.created_at)),
      text ? h("p", { class: "feed-text", text }) : null,
      file ? thumb(file, text) : null,
    );
  }

  render() {
    fill(this.list, ...this.items.slice().reverse().map((n) => this.row(n)));
    if (!this.items.length) this.list.appendChild(h("li", { class: "empty muted", text: "Nothing yet." }));
    this.markBtn.disabled = !this.items.some((i) => this.unread(i));
  }

  async markAllRead() {
    const upTo = this.ctx.live.lastId;
    if (!upTo) return;
    await api("POST", paths.notificationsRead, { up_to: upTo });
    for (const i of this.items) i.read = true;
    this.render();
    this.ctx.onAllRead?.();
  }
}

export { empty };
