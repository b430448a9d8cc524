// The installable page: registers the service worker, offers a new release without breaking
// the open page ("New version — Reload"), and says when the page shows what the device saved.

import { network } from "./api.js";
import { $, toast } from "./dom.js";
import { explain, MODULE_FAILED } from "./say.js";
import { watchCounter } from "./queue-view.js";

let reloading = false;

function offerUpdate(worker) {
  const bar = $("#update-bar");
  bar.hidden = false;
  $("#update-reload").onclick = () => {
    reloading = true;
    worker.postMessage({ type: "skip-waiting" });
  };
}

async function register() {
  if (!("serviceWorker" in navigator)) return;
  let reg;
  try {
    reg = await navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" });
  } catch (err) {
    console.warn("gymhub: no offline support:", err.message);
    return;
  }
  const waiting = (w) => {
    // Only an update waits for the page: the first worker has no page to break.
    if (w && navigator.serviceWorker.controller) offerUpdate(w);
  };
  waiting(reg.waiting);
  reg.addEventListener("updatefound", () => {
    const w = reg.installing;
    w?.addEventListener("statechange", () => {
      if (w.state === "installed") waiting(w);
    });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) location.reload();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reg.update().catch(() => {});
  });
}

function watchConnection() {
  const bar = $("#offline-bar");
  let stale = false;
  const show = () => {
    const off = stale || !navigator.onLine;
    bar.hidden = !off;
    document.body.dataset.offline = off ? "yes" : "no";
  };
  network.addEventListener("stale", () => {
    stale = true;
    show();
  });
  network.addEventListener("fresh", () => {
    stale = false;
    show();
  });
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();
}

watchConnection();
watchCounter();
// A later module that failed to load where no caller said so: the person still gets a sentence.
window.addEventListener("unhandledrejection", (event) => {
  if (MODULE_FAILED.test(String(event.reason?.message))) toast("Something did not load", explain(event.reason), "error");
});
// After the first screen: the shell's download must not compete with it on a slow link.
if (document.readyState === "complete") register();
else window.addEventListener("load", () => register(), { once: true });
