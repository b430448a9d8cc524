// A client's documents (plans, forms, medical notes): the list with downloads, and uploads by
// the client or by a related trainer. The documents category and its endpoints are API.md's.

import { api, bytes } from "./api.js";
import { card, confirmButton, empty, fill, h, icon, timeEl, toast } from "./dom.js";
import { paths } from "./paths.js";
import { PhotoPicker, UploadBar } from "./picker.js";
import { explain } from "./say.js";

function row(ctx, f, onDelete) {
  const by = f.uploaded_by === f.owner_id ? null : `added by ${f.uploaded_by === ctx.me.id ? "you" : ctx.name(f.uploaded_by)}`;
  const canDelete = ctx.me.role === "admin" || ctx.me.id === f.owner_id || ctx.me.id === f.uploaded_by;
  return h(
    "li",
    { class: "doc", "data-file-id": f.id },
    h("span", { class: "doc-icon", "aria-hidden": "true" }, icon("doc")),
    h(
      "div",
      { class: "doc-body" },
      h("strong", { class: "doc-name", text: f.original_name || "document" }),
      h("span", { class: "muted doc-meta" }, `${bytes(f.size)} · `, timeEl(f.created_at), by ? ` · ${by}` : ""),
    ),
    h(
      "div",
      { class: "doc-actions" },
      f.original_url ? h("a", { class: "btn small", href: f.original_url, download: f.original_name || "", text: "Download" }) : null,
      canDelete ? confirmButton({ label: "Delete", question: "Delete this document?", yes: "Delete", action: () => onDelete(f) }) : null,
    ),
  );
}

/** The Documents card of owner (a client User); reload() fetches the list again. */
export function documentsPanel(ctx, owner) {
  const picker = new PhotoPicker({ category: "documents", multiple: true, max: 5, label: "Add a document (PDF or Word)" });
  const bar = new UploadBar();
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const send = h("button", { type: "submit", class: "btn primary", text: "Upload" });
  const form = h("form", { class: "stack doc-form", novalidate: true, onsubmit: (e) => upload(e) }, picker.el, bar.el, error, send);
  const list = h("ul", { class: "docs", "data-testid": "documents" });
  const mine = owner.id === ctx.me.id;

  function say(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function upload(e) {
    e.preventDefault();
    const files = picker.files.slice();
    if (!files.length) return say("Choose a document first.");
    say("");
    send.disabled = true;
    picker.lock(true);
    try {
      for (const [i, f] of files.entries()) {
        const one = new FormData();
        one.append("file", f, f.name || "document");
        const prefix = files.length > 1 ? `Document ${i + 1} of ${files.length}: ` : "";
        await bar.send("POST", paths.fileUpload({ category: "documents", owner_id: mine ? null : owner.id }), one, { prefix });
        picker.remove(0);
      }
      toast(files.length > 1 ? "Documents uploaded" : "Document uploaded", files.map((f) => f.name).join(", "), "success");
      await reload();
    } catch (err) {
      say(`Not uploaded. ${explain(err, { category: "documents" })}`);
      await reload();
    } finally {
      send.disabled = false;
      picker.lock(false);
    }
  }

  async function remove(f) {
    try {
      await api("DELETE", paths.file(f.id));
      await reload();
    } catch (err) {
      toast("Could not delete the document", explain(err), "error");
    }
  }

  async function reload() {
    const res = await api("GET", paths.files({ owner_id: owner.id, category: "documents", limit: 100 }));
    fill(list, res.files.length ? res.files.map((f) => row(ctx, f, remove)) : h("li", {}, empty(mine ? "No documents yet. Plans and forms from your trainer show here." : "No documents yet.")));
  }

  /** Whether a notification concerns these documents. */
  function concerns(n) {
    const d = n.data || {};
    if (d.owner_id !== owner.id) return false;
    return (n.type === "FILE_UPLOADED" && d.file?.category === "documents") || (n.type === "FILE_DELETED" && d.category === "documents");
  }

  return { el: card("Documents", "documents-card", list, form), reload, concerns };
}
