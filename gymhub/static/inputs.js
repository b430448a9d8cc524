// Form parts shared by the meal and progress forms: a date-and-time picker that sends UTC, and
// the Idempotency-Key of one submission (kept while the same content is retried).

import { newIdempotencyKey } from "./api.js";
import { h } from "./dom.js";

/** A Date as a datetime-local input value, in local time. */
export function localValue(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A datetime-local input; empty means "now". Its latest allowed value is kept at now. */
export function dateTimeInput(id, name) {
  const input = h("input", { id, name, type: "datetime-local", max: localValue(new Date()) });
  input.addEventListener("focus", () => input.setAttribute("max", localValue(new Date())));
  return input;
}

/** The input's moment as ISO 8601 UTC, null when empty; a sentence (string) when not valid. */
export function isoFrom(input, label) {
  if (!input.value) return null;
  const d = new Date(input.value);
  if (Number.isNaN(d.getTime())) return { error: `${label} is not a valid date and time.` };
  if (d.getTime() > Date.now() + 5 * 60 * 1000) return { error: `${label} cannot be in the future.` };
  return d.toISOString();
}

/**
 * The Idempotency-Key for a submission: the same while its content is unchanged (a retry after
 * a failure or a cut connection), a new one once anything in it changed or it succeeded.
 */
export class Attempt {
  constructor() {
    this.key = null;
    this.signature = null;
  }

  keyFor(signature) {
    if (this.key === null || signature !== this.signature) {
      this.key = newIdempotencyKey();
      this.signature = signature;
    }
    return this.key;
  }

  done() {
    this.key = null;
    this.signature = null;
  }
}

/** What identifies chosen files for Attempt: name, size and modification time of each. */
export function filesSignature(files) {
  return files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join("|");
}
