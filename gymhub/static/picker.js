// Choosing files and sending them: the picker checks size and type before anything is sent and
// shows a preview per file (a tile with an icon where the browser cannot draw it: HEIC, PDF,
// Word); the bar shows the bytes sent and can cancel the upload.

import { bytes, sendForm } from "./api.js";
import { fill, formError, h, icon } from "./dom.js";
import { CATEGORIES, checkFile } from "./say.js";

// What every browser draws in an <img>; HEIC/HEIF only Safari, so it gets a tile everywhere.
export const DRAWABLE = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);
const ACCEPT = {
  documents: ".pdf,.doc,.docx,application/pdf,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  photos: "image/*,.heic,.heif",
};

let pickerCount = 0;

function kindLabel(file) {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(file.name || "");
  if (ext) return ext[1].toUpperCase();
  return (file.type || "file").split("/").pop().toUpperCase();
}

/** The small picture of a chosen file: the image itself, or a tile with an icon and its kind. */
function previewPicture(file, urls) {
  if (DRAWABLE.has(file.type)) {
    const url = URL.createObjectURL(file);
    urls.push(url);
    return h("img", { class: "preview-img", src: url, alt: "" });
  }
  const isImage = /^image\//.test(file.type) || /\.hei[cf]$/i.test(file.name || "");
  return h("span", { class: "file-tile", "aria-hidden": "true" }, icon(isImage ? "camera" : "doc"), h("span", { class: "file-tile-kind", text: kindLabel(file) }));
}

/** A file chooser (camera or files on phones, drag and drop on desktops) for one category. */
export class PhotoPicker {
  constructor({ category = "meal_photos", multiple = false, max = 10, label = "Add a photo" } = {}) {
    pickerCount += 1;
    const id = `photo-input-${pickerCount}`;
    const docs = category === "documents";
    this.category = category;
    this.multiple = multiple;
    this.max = multiple ? max : 1;
    this.files = [];
    this.urls = [];
    this.input = h("input", {
      type: "file",
      id,
      class: "visually-hidden",
      accept: docs ? ACCEPT.documents : ACCEPT.photos,
      capture: docs ? null : "environment",
      multiple,
      onchange: () => this.add([...this.input.files]),
    });
    this.previews = h("ul", { class: "previews" });
    this.error = h("p", { class: "form-error picker-error", role: "alert", hidden: true });
    const hint = `${docs ? "or drop a file here" : "or drop a photo here"} · up to ${bytes(CATEGORIES[category].limit)}`;
    this.zone = h(
      "label",
      { class: "dropzone", for: id },
      h("span", { class: "dropzone-icon" }, icon(docs ? "doc" : "camera")),
      h("span", { class: "dropzone-text", text: label }),
      h("span", { class: "dropzone-hint muted", text: hint }),
    );
    this.dragAndDrop();
    this.el = h("div", { class: "picker" }, this.input, this.zone, this.error, this.previews);
  }

  dragAndDrop() {
    for (const type of ["dragenter", "dragover"]) {
      this.zone.addEventListener(type, (e) => {
        e.preventDefault();
        this.zone.classList.add("over");
      });
    }
    this.zone.addEventListener("dragleave", () => this.zone.classList.remove("over"));
    this.zone.addEventListener("drop", (e) => {
      e.preventDefault();
      this.zone.classList.remove("over");
      this.add([...(e.dataTransfer?.files || [])]);
    });
  }

  /** Adds the acceptable files; says in words why any other was left out. */
  add(files) {
    const problems = [];
    const accepted = [];
    for (const f of files) {
      const why = checkFile(f, this.category);
      if (why) problems.push(why);
      else accepted.push(f);
    }
    let chosen = this.multiple ? this.files.concat(accepted) : accepted.slice(0, 1).concat(accepted.length ? [] : this.files);
    if (chosen.length > this.max) {
      problems.push(`At most ${this.max} files at once: the others were left out.`);
      chosen = chosen.slice(0, this.max);
    }
    this.files = chosen;
    this.input.value = "";
    formError(this.error, problems.join(" "));
    this.renderPreviews();
  }

  remove(i) {
    this.files.splice(i, 1);
    formError(this.error, "");
    this.renderPreviews();
  }

  renderPreviews() {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
    fill(
      this.previews,
      ...this.files.map((f, i) =>
        h(
          "li",
          { class: "preview" },
          previewPicture(f, this.urls),
          h("span", { class: "preview-text" }, h("span", { class: "preview-name", text: f.name || "photo" }), h("span", { class: "muted", text: bytes(f.size) })),
          h("button", { type: "button", class: "preview-remove", "aria-label": `Remove ${f.name || "file"}`, text: "×", onclick: () => this.remove(i) }),
        ),
      ),
    );
  }

  /** Locks or unlocks the choice while an upload runs. */
  lock(locked) {
    this.input.disabled = locked;
    this.zone.classList.toggle("locked", locked);
    for (const b of this.previews.querySelectorAll("button")) b.disabled = locked;
  }

  reset() {
    this.files = [];
    formError(this.error, "");
    this.renderPreviews();
  }
}

/** A progress bar with bytes sent and a Cancel button for the running upload. */
export class UploadBar {
  constructor() {
    this.bar = h("progress", { max: 100, value: 0 });
    this.label = h("span", { class: "upload-label muted" });
    this.cancelButton = h("button", { type: "button", class: "btn ghost small upload-cancel", text: "Cancel", onclick: () => this.cancel() });
    this.el = h("div", { class: "upload-bar", hidden: true }, h("div", { class: "upload-row" }, this.label, this.cancelButton), this.bar);
    this.controller = null;
  }

  /** Sends form (FormData) to url; opts.headers, opts.prefix for the label ("Photo 1 of 3: "). */
  async send(method, url, form, { headers = {}, prefix = "" } = {}) {
    this.controller = new AbortController();
    this.el.hidden = false;
    this.bar.removeAttribute("value");
    this.label.textContent = `${prefix}Sending…`;
    this.cancelButton.disabled = false;
    const onProgress = (sent, total) => {
      this.bar.max = total || 1;
      this.bar.value = sent;
      const done = total && sent >= total;
      this.label.textContent = done ? `${prefix}Processing…` : `${prefix}${bytes(sent)} of ${bytes(total)} sent`;
      // Once every byte is out the server finishes on its own: cancelling would only hide that.
      if (done) this.cancelButton.disabled = true;
    };
    try {
      return await sendForm(method, url, form, { headers, onProgress, signal: this.controller.signal });
    } finally {
      this.controller = null;
      this.el.hidden = true;
    }
  }

  cancel() {
    this.controller?.abort();
  }
}
