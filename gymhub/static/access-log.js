// The access log in people's words: "Coach Maya viewed 4 of your progress photos today", one
// line per viewer and day. The client reads their own (privacy.js); the admin opens anyone's
// from People (accessLogButton).

import { api } from "./api.js";
import { empty, fill, h } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

const PAGE = 100;
const NOUNS = {
  meal_photos: ["meal photo", "meal photos"],
  progress_photos: ["progress photo", "progress photos"],
  profile_photos: ["profile photo", "profile photos"],
  documents: ["document", "documents"],
};
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dayName = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const dayYear = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });

/** How a viewer is named: trainers as "Coach Maya" (unless their name says so already). */
export function viewerName(user) {
  const name = user.display_name || user.username;
  if (user.role === "trainer" && !/^coach\b/i.test(name)) return `Coach ${name}`;
  if (user.role === "admin") return `${name} (the gym's admin)`;
  return name;
}

function localDay(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** "today", "yesterday", "on Monday 3 March", "on 3 March 2024": the local day of a time. */
export function dayWords(iso) {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (localDay(iso) === localDay(today)) return "today";
  if (localDay(iso) === localDay(yesterday)) return "yesterday";
  return `on ${(d.getFullYear() === today.getFullYear() ? dayName : dayYear).format(d)}`;
}

/** Entries (one per viewer, file and UTC day) grouped by viewer and local day, latest first. */
export function groupEntries(entries) {
  const groups = new Map();
  for (const e of entries) {
    const key = `${e.viewer.id}:${localDay(e.last_at)}`;
    const g = groups.get(key) || { viewer: e.viewer, files: new Map(), views: 0, first: e.first_at, last: e.last_at };
    groups.set(key, g);
    const seen = g.files.get(e.category) || new Set();
    g.files.set(e.category, seen.add(e.file_id));
    g.views += e.count;
    if (e.first_at < g.first) g.first = e.first_at;
    if (e.last_at > g.last) g.last = e.last_at;
  }
  return [...groups.values()].sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
}

function filesWords(files, whose) {
  const parts = [...files.entries()].map(([category, ids]) => {
    const [one, many] = NOUNS[category] || ["file", "files"];
    if (category === "profile_photos" && ids.size === 1) return `${whose} ${one}`;
    return ids.size === 1 ? `1 of ${whose} ${many}` : `${ids.size} of ${whose} ${many}`;
  });
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0];
}

/** "Coach Maya viewed 4 of your progress photos today"; whose is "your" or "Sam's". */
export function sentence(group, whose = "your") {
  return `${viewerName(group.viewer)} viewed ${filesWords(group.files, whose)} ${dayWords(group.last)}`;
}

function detail(group) {
  const views = group.views === 1 ? "1 view" : `${group.views} views`;
  const first = timeOnly.format(new Date(group.first));
  const last = timeOnly.format(new Date(group.last));
  return first === last ? `${views}, at ${last}` : `${views}, between ${first} and ${last}`;
}

function groupItem(group, whose) {
  return h(
    "li",
    { class: "access-item", "data-viewer-id": group.viewer.id },
    h("span", { class: "access-sentence", text: `${sentence(group, whose)}.` }),
    h("span", { class: "access-detail muted", text: detail(group) }),
  );
}

/**
 * The log of one owner, newest first, with "Show older" while the server has more.
 * path(params) names the log's address (paths.myAccessLog, or the admin's per user).
 */
export function accessLogList(path, whose = "your", nobody = "Nobody else has opened your photos or documents yet.") {
  const list = h("ul", { class: "access-list", "data-testid": "access-log" });
  const status = h("div", { class: "muted access-status", role: "status" });
  const more = h("button", { type: "button", class: "btn small", text: "Show older", hidden: true, onclick: () => next() });
  const el = h("div", { class: "access-log" }, list, status, more);
  let entries = [];
  let before = null;

  function render() {
    const groups = groupEntries(entries);
    fill(list, groups.map((g) => groupItem(g, whose)));
    fill(status, groups.length ? null : empty(nobody));
  }

  async function fetchPage(from) {
    more.disabled = true;
    try {
      const page = await api("GET", path({ limit: PAGE, before: from }));
      entries = from === null ? page.entries : [...entries, ...page.entries];
      before = page.next_before;
      more.hidden = before === null;
      render();
    } catch (err) {
      fill(status, h("span", { class: "form-error", text: `The access log could not load. ${explain(err)}` }));
    } finally {
      more.disabled = false;
    }
  }

  const next = () => fetchPage(before);
  return { el, reload: () => fetchPage(null) };
}

/** The admin's "Access log" button for one user: opens that user's log in a dialog. */
export function accessLogButton(user) {
  return h("button", { type: "button", class: "btn small ghost access-log-open", text: "Access log", onclick: () => openAccessLog(user) });
}

function openAccessLog(user) {
  const whose = `${user.display_name}'s`;
  const log = accessLogList((params) => paths.userAccessLog(user.id, params), whose, `Nobody else has opened ${whose} photos or documents yet.`);
  const close = h("button", { type: "button", class: "btn small", text: "Close", onclick: () => dialog.close() });
  const dialog = h(
    "dialog",
    { class: "access-dialog card", "aria-label": `Access log of ${user.display_name}` },
    h("div", { class: "card-head" }, h("h2", { text: `Who opened ${whose} files` }), close),
    h("p", { class: "muted", text: "Each line counts the views of their photos and documents by someone else, per person and day." }),
    log.el,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  log.reload();
}
