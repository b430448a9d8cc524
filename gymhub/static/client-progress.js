// The client's Progress panel: log weight, body fat, notes and photos; the chart and history.

import { apiWithHeaders } from "./api.js";
import { card, empty, errorLine, fill, field, formError, h, toast } from "./dom.js";
import { Attempt, dateTimeInput, filesSignature, isoFrom } from "./inputs.js";
import { paths } from "./paths.js";
import { PhotoPicker, UploadBar } from "./picker.js";
import { pendingList, sendOrKeep } from "./queue-view.js";
import { checkNumber, explain } from "./say.js";
import { progressItem } from "./timeline.js";
import { weightChart } from "./widgets.js";

/** The form's parts; onsubmit(event) on submission. */
function progressForm(onsubmit) {
  const parts = {
    weight: h("input", { id: "weight", name: "weight_kg", type: "number", inputMode: "decimal", min: 20, max: 400, step: "0.1", placeholder: "20–400" }),
    bodyFat: h("input", { id: "body-fat", name: "body_fat_pct", type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", placeholder: "1–75" }),
    recordedAt: dateTimeInput("progress-recorded-at", "recorded_at"),
    notes: h("textarea", { id: "progress-notes", rows: 2, maxLength: 2000, placeholder: "How do you feel?" }),
    photos: new PhotoPicker({ category: "progress_photos", multiple: true, max: 20, label: "Add progress photos" }),
    bar: new UploadBar(),
    error: errorLine(),
    submitButton: h("button", { type: "submit", class: "btn primary wide", text: "Save progress" }),
  };
  parts.form = h(
    "form",
    { id: "progress-form", class: "stack", novalidate: true, onsubmit },
    h("div", { class: "row2" }, field("Weight (kg)", parts.weight), field("Body fat (%)", parts.bodyFat)),
    field("When (leave empty for now)", parts.recordedAt),
    field("Notes", parts.notes),
    parts.photos.el,
    parts.bar.el,
    parts.error,
    parts.submitButton,
  );
  return parts;
}

/** The entry's fields, or a sentence saying what to fix first. */
function readEntry({ weight, bodyFat, recordedAt, notes }) {
  const problem = checkNumber(weight, "Weight", "kg") || checkNumber(bodyFat, "Body fat", "%");
  if (problem) return { problem };
  const at = isoFrom(recordedAt, "The date of the entry");
  if (at?.error) return { problem: at.error };
  const body = {};
  if (weight.value !== "") body.weight_kg = Number(weight.value);
  if (bodyFat.value !== "") body.body_fat_pct = Number(bodyFat.value);
  if (notes.value.trim()) body.notes = notes.value.trim();
  if (at) body.recorded_at = at;
  return { body };
}

/** The panel; onSaved() refreshes the client's lists; show(entries) draws chart and history. */
export function progressPanel(onSaved) {
  const { weight, bodyFat, recordedAt, notes, photos, bar, error, submitButton, form } = progressForm((e) => submit(e));
  const chartBox = h("div", { class: "chart-wrap" });
  const list = h("div", { class: "progress-list" });
  const attempt = new Attempt();


  /** Uploads the photos one by one, with "Photo i of n" on the bar; their ids. */
  async function uploadPhotos(files) {
    const ids = [];
    for (const [i, f] of files.entries()) {
      const prefix = files.length > 1 ? `Photo ${i + 1} of ${files.length}: ` : "";
      const one = new FormData();
      one.append("file", f, f.name || "photo.jpg");
      // Identical bytes come back as the same file (200), so a retried upload stores nothing new.
      const stored = await bar.send("POST", paths.fileUpload({ category: "progress_photos" }), one, { prefix });
      ids.push(stored.id);
    }
    return ids;
  }

  async function submit(e) {
    e.preventDefault();
    const { body, problem } = readEntry({ weight, bodyFat, recordedAt, notes });
    const files = photos.files.slice();
    if (problem || (!Object.keys(body).length && !files.length)) {
      formError(error, problem || "Enter a weight, a body fat value, notes or a photo.");
      return;
    }
    formError(error, "");
    submitButton.disabled = true;
    photos.lock(true);
    try {
      const key = attempt.keyFor(`${JSON.stringify(body)}#${filesSignature(files)}`);
      const sent = await sendOrKeep("progress", body, files, key, async () => {
        const ids = await uploadPhotos(files);
        const entry = ids.length ? { ...body, photo_ids: ids } : body;
        return apiWithHeaders("POST", paths.progress(), entry, { "Idempotency-Key": key });
      });
      attempt.done();
      form.reset();
      photos.reset();
      if (sent) toast("Progress saved", "", "success");
      onSaved();
    } catch (err) {
      const why = explain(err, { category: "progress_photos" });
      formError(error, err.code === "aborted" ? why : `The entry was not saved. ${why}`);
    } finally {
      submitButton.disabled = false;
      photos.lock(false);
    }
  }

  function show(entries) {
    fill(chartBox, weightChart(entries));
    fill(list, entries.length ? h("ol", { class: "timeline" }, entries.slice(0, 20).map(progressItem)) : empty("No progress logged yet."));
  }

  return { el: card("Log progress", "progress-card", chartBox, form, h("h3", { text: "History" }), pendingList("progress"), list), show };
}
