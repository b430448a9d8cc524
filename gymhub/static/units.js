// The user's units: the API always speaks kg and cm; people see and type kg/cm or lb/in as
// their account says (User.units). One module-wide setting, set at sign-in and on a change.

const KG_PER_LB = 0.45359237;
const CM_PER_IN = 2.54;
// The API's limits (kg, cm), checked in the units the person typed in.
const WEIGHT_KG = [20, 400];
const LENGTH_CM = [10, 300];

export const MEASUREMENTS = [
  ["waist_cm", "Waist"],
  ["hips_cm", "Hips"],
  ["chest_cm", "Chest"],
  ["arm_cm", "Arm"],
  ["thigh_cm", "Thigh"],
  ["neck_cm", "Neck"],
];

let current = "metric";
const listeners = new Set();

/** Sets the units ("metric" | "imperial") and tells every listener. */
export function setUnits(units) {
  const next = units === "imperial" ? "imperial" : "metric";
  if (next === current) return;
  current = next;
  for (const fn of listeners) fn(current);
}

export const units = () => current;
export const imperial = () => current === "imperial";
/** fn(units) after every change; returns a function that stops it. */
export function onUnitsChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const weightUnit = () => (imperial() ? "lb" : "kg");
export const lengthUnit = () => (imperial() ? "in" : "cm");
export const fromKg = (kg) => (imperial() ? kg / KG_PER_LB : kg);
export const fromCm = (cm) => (imperial() ? cm / CM_PER_IN : cm);
export const toKg = (v) => (imperial() ? v * KG_PER_LB : v);
export const toCm = (v) => (imperial() ? v * CM_PER_IN : v);

const present = (v) => v !== null && v !== undefined && !Number.isNaN(v);

/** One decimal at most, no trailing zero ("82", "82.4"); "" for nothing. */
export function round1(v) {
  if (!present(v)) return "";
  // Halves away from zero, so a loss and a gain of the same size read the same.
  const r = (Math.sign(v) * Math.round(Math.abs(v) * 10)) / 10;
  return String(Object.is(r, -0) ? 0 : r);
}

/** "82.4 kg" or "181.7 lb"; "" for null. */
export function fmtWeight(kg) {
  return present(kg) ? `${round1(fromKg(kg))} ${weightUnit()}` : "";
}

/** "81 cm" or "31.9 in"; "" for null. */
export function fmtLength(cm) {
  return present(cm) ? `${round1(fromCm(cm))} ${lengthUnit()}` : "";
}

function signed(text) {
  return text.startsWith("-") ? `−${text.slice(1)}` : text === "0" ? "±0" : `+${text}`;
}

/** A difference with its sign: "+1.2 kg", "−3 in", "±0 kg". */
export function fmtWeightDelta(kg) {
  return present(kg) ? `${signed(round1(fromKg(kg)))} ${weightUnit()}` : "";
}

export function fmtLengthDelta(cm) {
  return present(cm) ? `${signed(round1(fromCm(cm)))} ${lengthUnit()}` : "";
}

/** The value of an input in the page's units as text (for editing), from kg or cm. */
export const weightValue = (kg) => round1(present(kg) ? fromKg(kg) : null);
export const lengthValue = (cm) => round1(present(cm) ? fromCm(cm) : null);

function limits(range, from) {
  return range.map((x) => Math.round(from(x) * 10) / 10);
}

/** The placeholder of an input: the accepted range in the page's units ("44–882"). */
export function weightRange() {
  const [lo, hi] = limits(WEIGHT_KG, fromKg);
  return `${Math.ceil(lo)}–${Math.floor(hi)}`;
}

export function lengthRange() {
  const [lo, hi] = limits(LENGTH_CM, fromCm);
  return `${Math.ceil(lo)}–${Math.floor(hi)}`;
}

/** Reads typed text ("82,4" or "82.4"): {value} (a number, null when empty) or {problem}. */
function parse(text, label, unit, range, from, to) {
  const raw = String(text ?? "").trim().replace(",", ".");
  if (raw === "") return { value: null };
  if (!/^\d+(\.\d*)?$|^\.\d+$/.test(raw)) return { problem: `${label} must be a number, like 12.5.` };
  const typed = Number(raw);
  const [lo, hi] = limits(range, from);
  if (typed < Math.ceil(lo)) return { problem: `${label} must be at least ${Math.ceil(lo)} ${unit}.` };
  if (typed > Math.floor(hi)) return { problem: `${label} must be at most ${Math.floor(hi)} ${unit}.` };
  // Back to the API's unit, kept within its limits after rounding.
  const api = Math.min(range[1], Math.max(range[0], Math.round(to(typed) * 1000) / 1000));
  return { value: api };
}

/** A typed weight in the page's units as kg: {value} or {problem}. */
export function parseWeight(text, label = "Weight") {
  return parse(text, label, weightUnit(), WEIGHT_KG, fromKg, toKg);
}

/** A typed length in the page's units as cm: {value} or {problem}. */
export function parseLength(text, label) {
  return parse(text, label, lengthUnit(), LENGTH_CM, fromCm, toCm);
}

/** The numbers of a progress entry as short texts: "82.4 kg", "18 % fat", "Waist 81 cm". */
export function entryStats(entry) {
  const out = [];
  if (present(entry.weight_kg)) out.push(fmtWeight(entry.weight_kg));
  if (present(entry.body_fat_pct)) out.push(`${round1(entry.body_fat_pct)} % fat`);
  for (const [key, label] of MEASUREMENTS) {
    const v = entry.measurements?.[key];
    if (present(v)) out.push(`${label} ${fmtLength(v)}`);
  }
  return out;
}
