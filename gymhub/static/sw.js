// The service worker (a module worker served at /sw.js, scope /): the page's shell from a cache of
// this release, the user's recent data (GET answers of the API and photo variants) for reading
// offline, and updates that wait until the page says so, so an open page never breaks.
// gymhub/handlers/page.py fills in VERSION (a hash of every asset) and SHELL (what to keep).

import { paths } from "./static/paths.js";

const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const SHELL_CACHE = `gymhub-shell-${VERSION}`;
const DATA_CACHE = "gymhub-data";
const MEDIA_CACHE = "gymhub-media";
const API = paths.me.slice(0, paths.me.lastIndexOf("/") + 1);
// Photo variants only: originals stay on the server (their EXIF may carry a home's position).
const VARIANTS = `${paths.files()}/media/thumbnails/`;
const LIVE = paths.ws();
const KEEP_DATA = 200;
const KEEP_MEDIA = 300;
// Answers that are the user's account changing hands: the data of the last one goes.
const SESSION_CHANGES = new Set([paths.login, paths.logout]);

self.addEventListener("install", (event) => {
  // Revalidated (ETag, so mostly 304s) rather than taken from the HTTP cache unchecked.
  const requests = SHELL.map((url) => new Request(url, { cache: "no-cache" }));
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(requests)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("gymhub-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      // The first install takes the open page at once; later ones come only after "Reload".
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
  if (event.data?.type === "forget-data") event.waitUntil(forgetData());
});

function forgetData() {
  return Promise.all([caches.delete(DATA_CACHE), caches.delete(MEDIA_CACHE)]);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (SESSION_CHANGES.has(url.pathname)) event.waitUntil(forgetData());
    return;
  }
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(fromShell("/", request));
  } else if (SHELL.includes(url.pathname) && url.pathname !== "/") {
    event.respondWith(fromShell(url.pathname, request));
  } else if (url.pathname.startsWith(VARIANTS) && !request.headers.has("range")) {
    event.respondWith(mediaFirst(request));
  } else if (url.pathname.startsWith(API) && !url.pathname.startsWith(LIVE)) {
    event.respondWith(networkFirst(request));
  }
});

/** The shell of this release: the page and its modules always match each other. */
async function fromShell(key, request) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(key);
  return hit || fetch(request);
}

async function trim(cache, keep) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - keep))) await cache.delete(old);
}

/** Fresh data when the server answers; the last answer kept on the device when it does not. */
async function networkFirst(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    const json = (response.headers.get("Content-Type") || "").startsWith("application/json");
    if (response.status === 200 && json) {
      await cache.put(request, response.clone());
      await trim(cache, KEEP_DATA);
    } else if (response.status === 401) {
      await forgetData();
    }
    return response;
  } catch {
    const hit = await cache.match(request);
    if (!hit) return Response.error();
    // Marked, so the page can say it shows what this device saved.
    const headers = new Headers(hit.headers);
    headers.set("X-Gymhub-Offline", "1");
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
  }
}

/** Variants never change under their name: from the device when kept, else fetched and kept. */
async function mediaFirst(request) {
  const cache = await caches.open(MEDIA_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.status === 200) {
    await cache.put(request, response.clone());
    await trim(cache, KEEP_MEDIA);
  }
  return response;
}
