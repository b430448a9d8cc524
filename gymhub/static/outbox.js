// The device's queue of writes (IndexedDB): meals with their photos, progress entries with
// photos, messages and comments. Each item carries an Idempotency-Key (a UUID) and is sent in
// order when the server answers, also after the page was closed and opened again; the server
// answers a replayed key with its first answer, so nothing is stored twice. A write the server
// refuses (a 4xx) stays on the device with its reason until the user fixes or discards it.

import { api, ApiError, postForm } from "./api.js";
import { paths } from "./paths.js";
import { shrinkPhoto } from "./resize.js";

const DB_NAME = "gymhub-outbox";
const STORE = "items";
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
// A form waits this long for its own item; past it the item is simply "waiting to send".
const FORM_WAIT_MS = 8000;

/** A random UUID, also where crypto.randomUUID is missing (plain http on a LAN address). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** A refusal the user must see (fix or discard); anything else is tried again later. */
function refused(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 507) return true;
  return err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status);
}

function formOf(fields, files) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && v !== null && v !== "") form.append(k, String(v));
  }
  for (const f of files) form.append("file", f.blob, f.name);
  return form;
}

/** The requests of one item, in order; photos of a progress entry are uploaded first. */
async function deliver(item, save) {
  const headers = { "Idempotency-Key": item.key };
  if (item.kind === "meal" && item.files.length) return postForm(paths.meals(), formOf(item.body, item.files), { headers });
  if (item.kind === "meal") return api("POST", paths.meals(), item.body, { headers });
  if (item.kind === "message") return api("POST", paths.messages(), item.body, { headers });
  if (item.kind === "comment") return api("POST", paths.comments(), item.body, { headers });
  for (const f of item.files) {
    if (f.id) continue;
    try {
      const stored = await postForm(paths.fileUpload({ category: "progress_photos" }), formOf({ pose: f.pose, visibility: f.visibility }, [f]), {
        headers: { "Idempotency-Key": `${item.key}:photo:${f.n}` },
      });
      f.id = stored.id;
    } catch (err) {
      if (err instanceof ApiError && err.status) err.message = `${f.name}: ${err.message}`;
      throw err;
    }
    await save(item);
  }
  const body = { ...item.body };
  if (item.files.length) body.photo_ids = item.files.map((f) => f.id);
  return api("POST", paths.progress(), body, { headers });
}

export class Outbox extends EventTarget {
  constructor() {
    super();
    this.userId = null;
    this.items = [];
    this.sending = null;
    this.running = null;
    this.timer = null;
    this.attempt = 0;
    this.results = new Map();
    this.wake = () => this.flush();
  }

  /** Starts the queue of a signed-in user: sends what an earlier visit left. */
  async open(userId) {
    this.userId = userId;
    this.db = this.db || (await openDb());
    window.addEventListener("online", this.wake);
    await this.reload();
    this.flush();
  }

  /** Signed out: nothing more is sent; the items stay for when this user signs in again. */
  close() {
    this.userId = null;
    this.items = [];
    clearTimeout(this.timer);
    window.removeEventListener("online", this.wake);
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }

  async reload() {
    if (!this.db || this.userId === null) return;
    const all = await run(this.db, "readonly", (s) => s.getAll());
    this.items = all.filter((i) => i.user_id === this.userId).sort((a, b) => a.seq - b.seq);
    this.changed();
  }

  save(item) {
    return run(this.db, "readwrite", (s) => s.put(item));
  }

  /** Waiting and refused items of one kind (all when kind is omitted), oldest first. */
  list(kind) {
    return this.items.filter((i) => !kind || i.kind === kind);
  }

  /**
   * Queues a write (photos shrunk first when allowed) and starts sending; returns the item.
   * `key`: a form's own Idempotency-Key when its request may already have reached the server;
   * its photos then go as they are, since other bytes under that key would be a 409 conflict.
   */
  async add(kind, body, files = [], key = null) {
    const small = files.length && key === null ? await Promise.all(files.map((f) => shrinkPhoto(f))) : files;
    const item = {
      key: key ?? uuid(),
      user_id: this.userId,
      kind,
      body,
      files: small.map((blob, n) => ({ blob, name: blob.name || `photo-${n + 1}.jpg`, n, id: null, pose: files[n].pose, visibility: files[n].visibility })),
      state: "waiting",
      error: null,
      created_at: new Date().toISOString(),
    };
    item.seq = await run(this.db, "readwrite", (s) => s.add(item));
    await this.reload();
    this.flush();
    return item;
  }

  /**
   * For a form: queues the write and waits a little for it. Resolves to {sent: answer},
   * {waiting: true} (it will go when the server answers) or {refused: ApiError} (then the item
   * is dropped: the form still shows what the user typed).
   */
  async submit(kind, body, files = []) {
    const item = await this.add(kind, body, files);
    const deadline = Date.now() + FORM_WAIT_MS;
    while (Date.now() < deadline) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 250))]);
      if (this.results.has(item.key)) return { sent: this.results.get(item.key) };
      const now = this.items.find((i) => i.seq === item.seq);
      if (now?.state === "refused") {
        await this.discard(now);
        return { refused: new ApiError(now.error.status, now.error.code, now.error.message) };
      }
      if (!this.running && !this.sending) return { waiting: true };
    }
    return { waiting: true };
  }

  async discard(item) {
    await run(this.db, "readwrite", (s) => s.delete(item.seq));
    await this.reload();
  }

  /** The user fixed a refused item (or asks again): a new key, since the refusal stored nothing. */
  async retry(item, body = item.body, files = item.files) {
    Object.assign(item, { body, files, key: uuid(), state: "waiting", error: null });
    await this.save(item);
    await this.reload();
    this.attempt = 0;
    return this.flush();
  }

  /** Sends every waiting item in order; one tab at a time (Web Locks) when several are open. */
  flush() {
    if (this.userId === null || !this.db) return Promise.resolve();
    if (this.running) return this.running;
    clearTimeout(this.timer);
    const drain = () => this.drain();
    const locked = navigator.locks ? navigator.locks.request("gymhub-outbox", drain) : drain();
    this.running = locked.finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async drain() {
    await this.reload();
    let after = 0;
    for (;;) {
      // Fresh each time: an item queued while this runs is sent in the same pass.
      const item = this.items.find((i) => i.seq > after && i.state !== "refused");
      if (!item || this.userId !== item.user_id) break;
      after = item.seq;
      this.sending = item;
      this.changed();
      try {
        const answer = await deliver(item, (i) => this.save(i));
        this.results.set(item.key, answer);
        await run(this.db, "readwrite", (s) => s.delete(item.seq));
        this.attempt = 0;
      } catch (err) {
        if (!refused(err)) return this.later(err);
        Object.assign(item, { state: "refused", error: { status: err.status, code: err.code, message: err.message } });
        await this.save(item);
      } finally {
        this.sending = null;
      }
      await this.reload();
    }
  }

  /** Network down, server busy or restarting: again after a growing, jittered pause. */
  async later(err) {
    await this.reload();
    if (err instanceof ApiError && err.status === 401) return;
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.flush(), ceiling / 2 + Math.random() * (ceiling / 2));
  }
}

/** The page's one queue. */
export const outbox = new Outbox();
