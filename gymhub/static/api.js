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

/** Called when any request answers 401 unauthenticated (session expired or revoked). */
export function whenSignedOut(fn) {
  onUnauthenticated = fn;
}

/** One JSON request; resolves to the decoded body (null for 204) or throws ApiError. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection.");
  }
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
export function upload(url, file, onProgress, fields = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    form.append("file", file, file.name || "photo.jpg");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(fromBody(xhr.status, data, xhr.getResponseHeader("Retry-After")));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "network", "The upload was interrupted. Check the connection and try again.")),
    );
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "The upload was cancelled.")));
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
