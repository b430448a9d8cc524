// The client's Progress panel: log weight, body fat, measurements, notes and photos (each with
// its pose and who may see it); the charts and history. Numbers are typed in the user's units.

import { apiWithHeaders } from "./api.js";
import { card, empty, errorLine, fill, field, formError, h, toast } from "./dom.js";
import { Attempt, dateTimeInput, filesSignature, isoFrom } from "./inputs.js";
import { paths } from "./paths.js";
import { PhotoPicker, UploadBar } from "./picker.js";
import { pendingList, sendOrKeep } from "./queue-view.js";
import { checkNumber, explain } from "./say.js";
import { progressItem } from "./timeline.js";
import { lengthRange, lengthUnit, MEASUREMENTS, onUnitsChange, parseLength, parseWeight, weightRange, weightUnit } from "./units.js";
import { weightChart } from "./widgets.js";

const POSES = [
  ["front", "Front"],
  ["side", "Side"],
  ["back", "Back"],
  ["other", "Other"],
];
const VISIBILITY = [
  ["trainers", "Trainers can see"],
  ["private", "Only me"],
];

function select(options, value, label) {
  return h("select", { "aria-label": label }, options.map(([v, text]) => h("option", { value: v, text, selected: v === value })));
}

/** The photo picker, with a pose and a visibility choice under each chosen photo. */
class PosePicker extends PhotoPicker {
  constructor(me) {
    super({ category: "progress_photos", multiple: true, max: 20, label: "Add progress photos" });
    this.me = me;
    this.choices = [];
  }

  renderPreviews() {
    // The choices follow their photo when one is removed; a new photo gets the next pose.
    const byFile = new Map((this.choices || []).map((c) => [c.file, c]));
    this.choices = this.files.map((file, i) => byFile.get(file) || this.choice(file, i));
    super.renderPreviews();
    [...this.previews.children].forEach((li, i) => {
      const c = this.choices[i];
      li.append(h("span", { class: "pose-choice" }, c.pose, c.visibility));
    });
  }

  choice(file, i) {
    const name = file.name || `photo ${i + 1}`;
    const pose = select(POSES, POSES[Math.min(i, 3)][0], `Pose of ${name}`);
    pose.classList.add("pose-select");
    const visibility = select(VISIBILITY, this.me?.photo_visibility === "private" ? "private" : "trainers", `Who sees ${name}`);
    visibility.classList.add("visibility-select");
    return { file, pose, visibility };
  }

  /** Per photo, the upload's form fields. */
  fields() {
    return this.choices.map((c) => ({ pose: c.pose.value, visibility: c.visibility.value }));
  }

  lock(locked) {
    super.lock(locked);
    for (const s of this.previews.querySelectorAll("select")) s.disabled = locked;
  }
}

function numberInput(id, name) {
  return h("input", { id, name, type: "text", inputMode: "decimal", autocomplete: "off" });
}

/** The form's parts; onsubmit(event) on submission. */
function progressForm(me, onsubmit) {
  const parts = {
    weight: numberInput("weight", "weight"),
    weightLabel: h("span"),
    bodyFat: h("input", { id: "body-fat", name: "body_fat_pct", type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", placeholder: "1–75" }),
    sizes: MEASUREMENTS.map(([key, label]) => ({ key, label, input: numberInput(`m-${key}`, key), text: h("span") })),
    recordedAt: dateTimeInput("progress-recorded-at", "recorded_at"),
    notes: h("textarea", { id: "progress-notes", rows: 2, maxLength: 2000, placeholder: "How do you feel?" }),
    photos: new PosePicker(me),
    bar: new UploadBar(),
    error: errorLine(),
    submitButton: h("button", { type: "submit", class: "btn primary wide", text: "Save progress" }),
  };
  const sizes = h(
    "details",
    { class: "measurements" },
    h("summary", { text: "Measurements (waist, hips, chest, arm, thigh, neck)" }),
    h("div", { class: "measure-grid" }, parts.sizes.map((m) => h("label", { class: "field" }, m.text, m.input))),
  );
  parts.form = h(
    "form",
    { id: "progress-form", class: "stack", novalidate: true, onsubmit },
    h("div", { class: "row2" }, h("label", { class: "field" }, parts.weightLabel, parts.weight), field("Body fat (%)", parts.bodyFat)),
    sizes,
    field("When (leave empty for now)", parts.recordedAt),
    field("Notes", parts.notes),
    parts.photos.el,
    parts.bar.el,
    parts.error,
    parts.submitButton,
  );
  parts.relabel = () => {
    parts.weightLabel.textContent = `Weight (${weightUnit()})`;
    parts.weight.placeholder = weightRange();
    for (const m of parts.sizes) {
      m.text.textContent = `${m.label} (${lengthUnit()})`;
      m.input.placeholder = lengthRange();
    }
  };
  parts.relabel();
  return parts;
}

/** The measurements typed, in cm: {measurements} or {problem}. */
function readSizes(sizes) {
  const measurements = {};
  for (const m of sizes) {
    const { value, problem } = parseLength(m.input.value, m.label);
    if (problem) return { problem };
    if (value !== null) measurements[m.key] = value;
  }
  return { measurements };
}

/** The entry's fields, or a sentence saying what to fix first. */
function readEntry({ weight, bodyFat, sizes, recordedAt, notes }) {
  const w = parseWeight(weight.value);
  const problem = w.problem || checkNumber(bodyFat, "Body fat", "%");
  if (problem) return { problem };
  const m = readSizes(sizes);
  if (m.problem) return { problem: m.problem };
  const at = isoFrom(recordedAt, "The date of the entry");
  if (at?.error) return { problem: at.error };
  const body = {};
  if (w.value !== null) body.weight_kg = w.value;
  if (bodyFat.value !== "") body.body_fat_pct = Number(bodyFat.value);
  if (Object.keys(m.measurements).length) body.measurements = m.measurements;
  if (notes.value.trim()) body.notes = notes.value.trim();
  if (at) body.recorded_at = at;
  return { body };
}

/** Uploads the photos one by one, with "Photo i of n" on the bar; their ids. */
async function uploadPhotos(bar, files, fields) {
  const ids = [];
  for (const [i, f] of files.entries()) {
    const prefix = files.length > 1 ? `Photo ${i + 1} of ${files.length}: ` : "";
    const one = new FormData();
    one.append("pose", fields[i].pose);
    one.append("visibility", fields[i].visibility);
    one.append("file", f, f.name || "photo.jpg");
    // Identical bytes come back as the same file (200), so a retried upload stores nothing new.
    const stored = await bar.send("POST", paths.fileUpload({ category: "progress_photos" }), one, { prefix });
    ids.push(stored.id);
  }
  return ids;
}

/** The panel; onSaved() refreshes the client's lists; show(entries) draws chart and history. */
export function progressPanel(onSaved, me = null) {
  const parts = progressForm(me, (e) => submit(e));
  const { photos, bar, error, submitButton, form } = parts;
  const chartBox = h("div", { class: "chart-wrap" });
  const list = h("div", { class: "progress-list" });
  const compareButton = h("button", { type: "button", class: "btn small", text: "Compare photos", hidden: true, "data-testid": "open-compare" });
  const attempt = new Attempt();
  let shown = [];

  async function submit(e) {
    e.preventDefault();
    const { body, problem } = readEntry(parts);
    const files = photos.files.slice();
    if (problem || (!Object.keys(body).length && !files.length)) {
      formError(error, problem || "Enter a weight, a body fat value, a measurement, notes or a photo.");
      return;
    }
    formError(error, "");
    submitButton.disabled = true;
    photos.lock(true);
    try {
      const fields = photos.fields();
      for (const [i, f] of files.entries()) Object.assign(f, fields[i]);
      const key = attempt.keyFor(`${JSON.stringify(body)}#${filesSignature(files)}#${JSON.stringify(fields)}`);
      const sent = await sendOrKeep("progress", body, files, key, async () => {
        const ids = await uploadPhotos(bar, files, fields);
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
    shown = entries;
    compareButton.hidden = !entries.some((e) => (e.photos || []).length);
    // Loaded on first use: the comparison is not part of the first screen.
    compareButton.onclick = async () => (await import("./compare.js")).openCompare(me, entries);
    fill(chartBox, weightChart(entries));
    fill(list, entries.length ? h("ol", { class: "timeline" }, entries.slice(0, 20).map(progressItem)) : empty("No progress logged yet."));
  }

  onUnitsChange(() => {
    parts.relabel();
    show(shown);
  });
  const history = h("div", { class: "card-head" }, h("h3", { text: "History" }), compareButton);
  return { el: card("Log progress", "progress-card", chartBox, form, history, pendingList("progress"), list), show };
}
