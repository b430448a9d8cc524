// The trainer's dashboard (paths.trainerDashboard): one row per client, least active
// first, fetched again (debounced) when a notification may have changed a row.

import { api } from "./api.js";
import { paths } from "./paths.js";

const REFETCH_MS = 800;
// What a client does, or a change of the trainer's unread counts: every type but SYSTEM.
const RELEVANT = new Set(["MEAL_COMPLETED", "MEAL_UPDATED", "MEAL_DELETED", "PROGRESS_UPDATED", "PROGRESS_DELETED", "FILE_UPLOADED", "FILE_DELETED", "MESSAGE", "MESSAGE_UPDATED", "COMMENT"]);
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "5 minutes ago", "yesterday", "3 weeks ago"; "never" for null. */
export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const s = (new Date(iso).getTime() - now) / 1000;
  const steps = [
    [60, "second"],
    [3600, "minute", 60],
    [86400, "hour", 3600],
    [604800, "day", 86400],
    [2629800, "week", 604800],
    [31557600, "month", 2629800],
    [Number.POSITIVE_INFINITY, "year", 31557600],
  ];
  for (const [limit, unit, div = 1] of steps) {
    if (Math.abs(s) < limit) return unit === "second" ? "just now" : relative.format(Math.round(s / div), unit);
  }
  return "";
}

/** Days since the last activity (Infinity without one). */
export function idleDays(row, now = Date.now()) {
  return row.last_activity_at ? (now - new Date(row.last_activity_at).getTime()) / 86400000 : Number.POSITIVE_INFINITY;
}

export class Dashboard {
  /** onRows(rows) after every fetch. */
  constructor(trainerId, onRows) {
    this.trainerId = trainerId;
    this.onRows = onRows;
    this.rows = [];
    this.timer = null;
  }

  async load() {
    const { clients } = await api("GET", paths.trainerDashboard(this.trainerId));
    this.rows = clients;
    this.onRows(clients);
    return clients;
  }

  /** A notification arrived: fetch again once things calm down. */
  notice(n) {
    if (!RELEVANT.has(n.type)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load().catch(() => {}), REFETCH_MS);
  }
}
