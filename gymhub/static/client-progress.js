// The client's Progress panel: log weight, body fat, notes and photos; the chart and history.

import { card, empty, errorLine, fill, field, formError, h, toast } from "./dom.js";
import { pendingList, sendOrQueue } from "./queue-view.js";
import { progressItem } from "./timeline.js";
import { PhotoPicker, UploadBar, weightChart } from "./widgets.js";

/** The panel; onSaved() refreshes the client's lists; show(entries) draws chart and history. */
export function progressPanel(onSaved) {
  const weight = h("input", { id: "weight", name: "weight_kg", type: "number", inputMode: "decimal", min: 20, max: 400, step: "0.1", placeholder: "kg" });
  const bodyFat = h("input", { id: "body-fat", name: "body_fat_pct", type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", placeholder: "%" });
  const notes = h("textarea", { id: "progress-notes", rows: 2, maxLength: 2000, placeholder: "How do you feel?" });
  const photos = new PhotoPicker({ multiple: true, label: "Add progress photos" });
  const bar = new UploadBar();
  const error = errorLine();
  const submitButton = h("button", { type: "submit", class: "btn primary wide", text: "Save progress" });
  const form = h(
    "form",
    { id: "progress-form", class: "stack", novalidate: true, onsubmit: (e) => submit(e) },
    h("div", { class: "row2" }, field("Weight (kg)", weight), field("Body fat (%)", bodyFat)),
    field("Notes", notes),
    photos.el,
    bar.el,
    error,
    submitButton,
  );
  const chartBox = h("div", { class: "chart-wrap" });
  const list = h("div", { class: "progress-list" });

  function entryBody() {
    const body = {};
    if (weight.value !== "") body.weight_kg = Number(weight.value);
    if (bodyFat.value !== "") body.body_fat_pct = Number(bodyFat.value);
    if (notes.value.trim()) body.notes = notes.value.trim();
    return body;
  }

  async function submit(e) {
    e.preventDefault();
    const body = entryBody();
    const files = photos.files.slice();
    if (!Object.keys(body).length && !files.length) {
      formError(error, "Enter a weight, a body fat value, notes or a photo.");
      return;
    }
    formError(error, "");
    submitButton.disabled = true;
    try {
      // Photos first, then the entry with their ids: the outbox sends both, now or later.
      const sent = (await sendOrQueue("progress", body, files)) !== null;
      form.reset();
      photos.reset();
      if (sent) toast("Progress saved", "", "success");
      onSaved();
    } catch (err) {
      formError(error, err.message);
    } finally {
      submitButton.disabled = false;
    }
  }

  function show(entries) {
    fill(chartBox, weightChart(entries));
    fill(list, entries.length ? h("ol", { class: "timeline" }, entries.slice(0, 20).map(progressItem)) : empty("No progress logged yet."));
  }

  return { el: card("Log progress", "progress-card", chartBox, form, h("h3", { text: "History" }), pendingList("progress"), list), show };
}
