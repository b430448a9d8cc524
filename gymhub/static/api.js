// Talking to the server: JSON requests with the session cookie, uploads with progress.
// The page never sees or stores the access token: the HttpOnly cookie authenticates it.

import { paths } from "./paths.js";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function fromBody(status, body, retryAfter) {
  const err = body?.error;
  if (err && typeof err.message === "string") {
    return new ApiError(status, err.code || "error", err.message, retryAfter);
  }
  return new ApiError(status, `http_${status}`, `The server answered ${status}.`, retryAfter);
}

let onUnauthenticated = () => {};

/** Fires "stale" when an answer came from the device's copy (the service worker's cache),
 * "fresh" when one came from the server. */
export const network = new EventTarget();

/** Called when any request answers 401 unauthenticated (session expired or revoked). */
export function whenSignedOut(fn) {
  onUnauthenticated = fn;
}

/** The answer early.js asked for at start, once; any write (a sign-in) makes them all stale. */
function early(path) {
  const answers = globalThis.gymhubEarly;
  if (!answers) {
    // early.js is async: if it has not run yet, it finds this and asks for nothing twice.
    globalThis.gymhubEarly = new Map();
    return null;
  }
  const answer = answers.get(path);
  answers.delete(path);
  return answer || null;
}

/** One JSON request; resolves to the decoded body (null for 204) or throws ApiError.
 * options.headers adds headers (the outbox's Idempotency-Key). */
export async function api(method, path, body, options = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...options.headers } };
  if (method !== "GET") globalThis.gymhubEarly?.clear();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = (method === "GET" && !options.headers && (await early(path))) || (await fetch(path, init));
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection.");
  }
  network.dispatchEvent(new Event(resp.headers.get("X-Gymhub-Offline") ? "stale" : "fresh"));
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = fromBody(resp.status, data, resp.headers.get("Retry-After"));
    if (err.code === "unauthenticated" && path !== paths.me) onUnauthenticated(err);
    throw err;
  }
  return data;
}

/**
 * Upload one file as multipart part `file` with XMLHttpRequest, reporting bytes sent.
 * Resolves to the File JSON; rejects with ApiError carrying the server's message (413/415/422...).
 */
export function upload(url, file, onProgress, fields = {}, options = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
  form.append("file", file, file.name || "photo.jpg");
  return postForm(url, form, { ...options, onProgress, size: file.size });
}

// An upload whose bytes stop moving this long is cut, so the caller can retry it.
const STALL_MS = 30000;

function answer(xhr, resolve, reject) {
  let data = null;
  try {
    data = JSON.parse(xhr.responseText);
  } catch {
    data = null;
  }
  if (xhr.status >= 200 && xhr.status < 300) resolve(data);
  else {
    const err = fromBody(xhr.status, data, xhr.getResponseHeader("Retry-After"));
    if (err.code === "unauthenticated") onUnauthenticated(err);
    reject(err);
  }
}

/**
 * POST a FormData with XMLHttpRequest (progress events, unlike fetch). options: headers,
 * onProgress(sent, total), size (the total when the browser cannot tell).
 */
export function postForm(url, form, { headers = {}, onProgress = null, size = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    let moved = Date.now();
    const watch = setInterval(() => {
      if (Date.now() - moved > STALL_MS) xhr.abort();
    }, 5000);
    xhr.upload.addEventListener("progress", (e) => {
      moved = Date.now();
      if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : size);
    });
    xhr.addEventListener("loadend", () => clearInterval(watch));
    xhr.addEventListener("load", () => answer(xhr, resolve, reject));
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "network", "The upload was interrupted. Check the connection and try again.")),
    );
    xhr.addEventListener("abort", () => reject(new ApiError(0, "network", "The upload stalled and was cut; it will be tried again.")));
    xhr.send(form);
  });
}

/** A readable size: 1.2 MB, 340 KB. */
export function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A fresh Idempotency-Key: one per submission, reused when the same submission is retried. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; the gym's plain-http address is not one.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Send a FormData (fields and files) with XMLHttpRequest: progress as bytes sent, cancellable
 * through opts.signal (an AbortSignal), extra headers (Idempotency-Key). Resolves to the JSON
 * answer; rejects with ApiError (code "aborted" when cancelled, "network" when cut off).
 */
export function sendForm(method, url, form, opts = {}) {
  const { onProgress, signal, headers = {} } = opts;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError(0, "aborted", "The upload was cancelled."));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : 0));
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const err = fromBody(xhr.status, data, xhr.getResponseHeader("Retry-After"));
      if (err.code === "unauthenticated") onUnauthenticated(err);
      reject(err);
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "The upload was interrupted. Check the connection and try again.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "The upload was cancelled.")));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** api() with extra request headers (an Idempotency-Key); same answers and errors. */
export async function apiWithHeaders(method, path, body, headers) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", "Content-Type": "application/json", ...headers } };
  init.body = JSON.stringify(body);
  let resp;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection.");
  }
  const data = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (!resp.ok) {
    const err = fromBody(resp.status, data, resp.headers.get("Retry-After"));
    if (err.code === "unauthenticated") onUnauthenticated(err);
    throw err;
  }
  return data;
}
