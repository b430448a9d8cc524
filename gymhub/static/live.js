// The live connection: one WebSocket authenticated by the session cookie, reconnected with
// exponential backoff and jitter, replaying with `since` so nothing is missed while a phone slept.

import { paths } from "./paths.js";

const TYPES = new Set([
  "FILE_UPLOADED",
  "FILE_DELETED",
  "MEAL_COMPLETED",
  "PROGRESS_UPDATED",
  "MESSAGE",
  "SYSTEM",
  "MEAL_UPDATED",
  "MEAL_DELETED",
  "PROGRESS_DELETED",
  "MESSAGE_UPDATED",
  "COMMENT",
]);
const PING_EVERY_MS = 25000;
const PONG_WAIT_MS = 10000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8000;
const REVOKED = 4401;

export class Live {
  /**
   * onEvent(envelope, {replayed}) for each notification, once, in id order;
   * onState("connecting" | "live" | "reconnecting" | "offline"); onRevoked() on close code 4401.
   */
  constructor(userId, { onEvent, onState, onRevoked, onWelcome }) {
    this.key = `gymhub.lastId.${userId}`;
    this.lastId = Number(sessionStorage.getItem(this.key)) || 0;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onRevoked = onRevoked;
    this.onWelcome = onWelcome || (() => {});
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stopped = true;
    this.replayUpTo = 0;
    this.wake = () => this.reconnectNow();
  }

  /** Remember a notification id already shown (from the notifications list). */
  seen(id) {
    if (id > this.lastId) {
      this.lastId = id;
      sessionStorage.setItem(this.key, String(id));
    }
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", this.wake);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.wake);
    document.removeEventListener("visibilitychange", this.wake);
    clearTimeout(this.retryTimer);
    this.clearPing();
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, "signed out");
      this.ws = null;
    }
    this.setState("offline");
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    const url = location.origin.replace(/^http/, "ws") + paths.ws({ since: this.lastId });
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearPing();
      if (e.code === REVOKED) {
        this.stop();
        this.onRevoked();
        return;
      }
      this.scheduleRetry();
    };
    ws.onerror = () => {};
  }

  receive(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "welcome") {
      this.attempt = 0;
      this.replayUpTo = Number(msg.last_id) || 0;
      this.setState("live");
      this.startPing();
      this.onWelcome(msg);
      return;
    }
    if (msg.type === "pong") {
      clearTimeout(this.pongTimer);
      return;
    }
    if (msg.type === "error") {
      console.warn("gymhub live:", msg.code, msg.message);
      return;
    }
    if (TYPES.has(msg.type) && Number.isInteger(msg.id)) {
      // The server sends each notification once, in id order; anything at or below the
      // highest id seen was already shown (e.g. by the first notifications list).
      if (msg.id <= this.lastId) return;
      this.seen(msg.id);
      this.onEvent(msg, { replayed: msg.id <= this.replayUpTo });
    }
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  startPing() {
    this.clearPing();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      clearTimeout(this.pongTimer);
      // A socket that stops answering (a phone that slept, a dead Wi-Fi) is closed and retried.
      this.pongTimer = setTimeout(() => {
        if (this.ws) this.ws.close(4000, "no pong");
      }, PONG_WAIT_MS);
    }, PING_EVERY_MS);
  }

  clearPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  scheduleRetry() {
    if (this.stopped) return;
    this.setState("reconnecting");
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    // Full jitter in the upper half: phones woken together do not reconnect in step.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Back online or visible again: try at once instead of waiting out the backoff. */
  reconnectNow() {
    if (this.stopped || document.visibilityState === "hidden") return;
    if (this.ws === null) {
      this.attempt = Math.min(this.attempt, 1);
      this.connect();
    }
  }
}
