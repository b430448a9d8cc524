// The client's Privacy tab: who opened their photos and documents, who sees new progress
// photos, a download of everything, and erasing the account. Also the per-photo switch of
// the gallery (photoTile): a lock badge on a private photo and "Only me" / "Share".

import { accessLogList } from "./access-log.js";
import { api } from "./api.js";
import { card, errorLine, field, formError, h, icon, s, toast } from "./dom.js";
import { outbox } from "./outbox.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

const CHOICES = [
  ["trainers", "My trainers", "They see each new progress photo and can comment on it."],
  ["private", "Only me", "New progress photos stay private; you can share each one later."],
];
const ERASED = "Your account has been erased, with your meals, progress, photos, documents and messages.";

function logSection() {
  const log = accessLogList(paths.myAccessLog);
  const el = h(
    "section",
    { class: "privacy-part" },
    h("h3", { text: "Who opened your photos and documents" }),
    h("p", { class: "muted", text: "Every time someone else opens one of your photos or documents, it is counted here, per person and day." }),
    log.el,
  );
  return { el, reload: log.reload };
}

function defaultSection(ctx) {
  const radios = CHOICES.map(([value, label, hint]) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "default-photo-visibility", value, checked: ctx.me.photo_visibility === value, onchange: () => save(value) }),
      h("span", {}, h("strong", { text: label }), h("span", { class: "muted", text: hint })),
    ),
  );
  async function save(value) {
    const before = ctx.me.photo_visibility;
    try {
      const me = await api("PATCH", paths.me, { photo_visibility: value });
      ctx.me.photo_visibility = me.photo_visibility;
      toast("Saved", value === "private" ? "New progress photos are private." : "Your trainers see new progress photos.", "success");
    } catch (err) {
      for (const r of radios) r.querySelector("input").checked = r.querySelector("input").value === before;
      toast("Could not save the choice", explain(err), "error");
    }
  }
  return h(
    "section",
    { class: "privacy-part" },
    h("fieldset", { class: "choices" }, h("legend", { text: "Who sees new progress photos" }), radios),
    h("p", { class: "muted", text: "Photos already sent keep their setting: change one in Files with its Make private or Share with trainers button." }),
  );
}

function exportSection() {
  // The session cookie goes with a plain link (a GET needs no CSRF header), so the browser
  // streams the ZIP to disk itself, with its own progress, instead of holding it in memory.
  return h(
    "section",
    { class: "privacy-part" },
    h("h3", { text: "Download all my data" }),
    h("p", { class: "muted", text: "A ZIP file with your account, meals, progress, messages, comments, this access log and your original photos and documents. Your browser shows how the download goes." }),
    h("a", { class: "btn", href: paths.myExport, download: "", "data-testid": "export" }, icon("download"), " Download my data (ZIP)"),
  );
}

/** After the erase: nothing of the account stays on this device (waiting items, kept answers). */
async function forgetDevice() {
  await Promise.all(outbox.list().map((item) => outbox.discard(item))).catch(() => {});
  sessionStorage.clear();
  navigator.serviceWorker?.controller?.postMessage({ type: "forget-data" });
}

function eraseForm(ctx, onCancel) {
  const pass = h("input", { type: "password", name: "current_password", required: true, autocomplete: "current-password" });
  const typed = h("input", { name: "confirm", required: true, autocomplete: "off", autocapitalize: "none", spellcheck: false });
  const error = errorLine();
  const go = h("button", { type: "submit", class: "btn danger", text: "Erase everything" });
  const form = h(
    "form",
    { class: "stack erase-form", novalidate: true, onsubmit: (e) => submit(e) },
    h("p", { class: "erase-warning", text: "This cannot be undone. Your trainers lose everything you shared with them." }),
    field("Your password", pass),
    field(`To confirm, type your username: ${ctx.me.username}`, typed),
    error,
    h("div", { class: "erase-actions" }, go, h("button", { type: "button", class: "btn ghost", text: "Cancel", onclick: onCancel })),
  );
  form.addEventListener("input", () => formError(error, ""));

  async function submit(e) {
    e.preventDefault();
    if (!pass.value) return formError(error, "Enter your password.");
    if (typed.value.trim() !== ctx.me.username) return formError(error, `Type your username, ${ctx.me.username}, exactly as shown to confirm.`);
    go.disabled = true;
    try {
      await api("DELETE", paths.me, { current_password: pass.value });
    } catch (err) {
      go.disabled = false;
      pass.select();
      return formError(error, eraseRefusal(err));
    }
    await forgetDevice();
    ctx.signOut(ERASED);
  }
  return { form, focus: () => pass.focus() };
}

function eraseRefusal(err) {
  if (err.code === "invalid_credentials") return "That password is not right. Nothing was erased.";
  if (err.code === "forbidden") return "Only a client can erase their own account here. Ask your gym's admin.";
  return `Nothing was erased. ${explain(err)}`;
}

function eraseSection(ctx) {
  const open = h("button", { type: "button", class: "btn danger", text: "Erase my account…", onclick: () => show(true) });
  const erase = eraseForm(ctx, () => show(false));
  const el = h(
    "section",
    { class: "privacy-part erase" },
    h("h3", { text: "Erase my account" }),
    h("p", { class: "muted", text: "Deletes your account and everything in it for good: meals, progress, photos, documents, messages and comments. Download your data first if you want a copy." }),
    open,
    erase.form,
  );
  function show(on) {
    open.hidden = on;
    erase.form.hidden = !on;
    if (on) erase.focus();
    else erase.form.reset();
  }
  show(false);
  return el;
}

/** The Privacy card; reload() refreshes the access log (on opening the tab). */
export function privacyPanel(ctx) {
  const log = logSection();
  const choices = h("div", { class: "privacy-side" }, defaultSection(ctx), exportSection(), eraseSection(ctx));
  const el = card("Privacy and your data", "privacy-card", h("div", { class: "privacy-grid" }, log.el, choices));
  return { el, reload: log.reload };
}

function lockIcon() {
  const attrs = { viewBox: "0 0 24 24", class: "icon icon-lock", "aria-hidden": "true", fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round" };
  return s("svg", attrs, s("rect", { x: 5, y: 11, width: 14, height: 10, rx: 2 }), s("path", { d: "M8 11V8a4 4 0 0 1 8 0v3" }));
}

function lockBadge() {
  return h("span", { class: "lock-badge", title: "Private: only you see it" }, lockIcon(), h("span", { text: "Private" }));
}

/**
 * The gallery's tile of the owner's progress photo: the thumbnail, a lock badge while it is
 * private, and a button that switches it (PATCH of the file). Other photos stay as they are.
 */
export function photoTile(file, thumbEl) {
  if (file.category !== "progress_photos" || !file.visibility) return thumbEl;
  const tile = h("figure", { class: "photo-tile", "data-file-id": file.id });
  const button = h("button", { type: "button", class: "btn small ghost visibility-switch", onclick: () => flip() });
  let visibility = file.visibility;
  function show() {
    const priv = visibility === "private";
    tile.dataset.visibility = visibility;
    tile.replaceChildren(thumbEl, ...(priv ? [lockBadge()] : []), h("figcaption", {}, button));
    button.textContent = priv ? "Share with trainers" : "Make private";
    button.title = priv ? "Your trainers see this photo again" : "Only you see this photo";
  }
  async function flip() {
    const next = visibility === "private" ? "trainers" : "private";
    button.disabled = true;
    try {
      visibility = (await api("PATCH", paths.file(file.id), { visibility: next })).visibility;
      toast(visibility === "private" ? "Photo is private" : "Photo shared", visibility === "private" ? "Only you see it now." : "Your trainers see it again.", "success");
      show();
    } catch (err) {
      toast("Could not change who sees the photo", explain(err), "error");
    } finally {
      button.disabled = false;
    }
  }
  show();
  return tile;
}
