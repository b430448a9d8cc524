// Human sentences for what the server refuses, and the same checks before anything is sent.
// The API's messages name fields and constraints ("weight_kg: Expected `float` <= 400.0", "the
// meal_photos limit of 10000000 bytes"): people read field names in words and limits in MB or kg.

// Upload limits and accepted types by category: API.md's documented defaults (no endpoint
// exposes the configured ones; the server still has the last word).
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"];
const IMAGE_EXTS = ["jpg", "jpeg", "png", "webp", "gif", "heic", "heif"];
export const CATEGORIES = {
  meal_photos: { limit: 10e6, types: IMAGE_TYPES, exts: IMAGE_EXTS, noun: "meal photo", kinds: "JPEG, PNG, WebP, GIF or HEIC photos" },
  progress_photos: { limit: 10e6, types: IMAGE_TYPES, exts: IMAGE_EXTS, noun: "progress photo", kinds: "JPEG, PNG, WebP, GIF or HEIC photos" },
  profile_photos: { limit: 5e6, types: IMAGE_TYPES, exts: IMAGE_EXTS, noun: "profile photo", kinds: "JPEG, PNG, WebP, GIF or HEIC photos" },
  documents: {
    limit: 25e6,
    types: ["application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    exts: ["pdf", "doc", "docx"],
    noun: "document",
    kinds: "PDF or Word (DOC, DOCX) documents",
  },
};

/** Each request field in words, with its unit where it has one. */
const FIELDS = {
  meal_name: { name: "The meal's name" },
  notes: { name: "The notes" },
  eaten_at: { name: "The time of the meal" },
  recorded_at: { name: "The date of the entry" },
  weight_kg: { name: "Weight", unit: "kg" },
  body_fat_pct: { name: "Body fat", unit: "%" },
  measurements: { name: "The measurements" },
  waist_cm: { name: "Waist", unit: "cm" },
  hips_cm: { name: "Hips", unit: "cm" },
  chest_cm: { name: "Chest", unit: "cm" },
  arm_cm: { name: "Arm", unit: "cm" },
  thigh_cm: { name: "Thigh", unit: "cm" },
  neck_cm: { name: "Neck", unit: "cm" },
  photo_ids: { name: "The photos" },
  body: { name: "The message" },
  recipient_id: { name: "The recipient" },
  username: { name: "The username", unit: "characters" },
  password: { name: "The password", unit: "characters" },
  new_password: { name: "The new password", unit: "characters" },
  current_password: { name: "The current password" },
  display_name: { name: "The display name", unit: "characters" },
  role: { name: "The role" },
  message: { name: "The message" },
  title: { name: "The title" },
  file: { name: "The file" },
};

/** A size in MB for limits: 10 MB, 2.5 MB, 500 KB. */
export function megabytes(n) {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} KB`;
}

function fieldOf(path) {
  const last = path.replace(/\[\d+\]$/, "").split(".").pop();
  return FIELDS[last] || { name: `The field “${last.replace(/_/g, " ")}”` };
}

function amount(value, unit) {
  const v = Number(value);
  const shown = Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
  if (!unit) return shown;
  return unit === "%" ? `${shown} %` : `${shown} ${unit}`;
}

// What msgspec's detail says, as the end of a sentence about the field.
const DETAILS = [
  [/^required\.?$/, () => "is required"],
  [/^Expected `str` of length >= 1$/, () => "must not be empty"],
  [/^Expected `str` of length >= (\d+)$/, (m) => `must be at least ${m[1]} characters long`],
  [/^Expected `str` of length <= (\d+)$/, (m) => `must be at most ${m[1]} characters long`],
  [/^Expected `array` of length <= (\d+)$/, (m) => `can hold at most ${m[1]}`],
  [/^Expected `(?:float|int|number)` >= (-?[\d.]+)$/, (m, f) => `must be at least ${amount(m[1], f.unit)}`],
  [/^Expected `(?:float|int|number)` <= (-?[\d.]+)$/, (m, f) => `must be at most ${amount(m[1], f.unit)}`],
  [/^Expected `(?:float|int|number)` > (-?[\d.]+)$/, (m, f) => `must be more than ${amount(m[1], f.unit)}`],
  [/^Expected `(?:float|int|number)` < (-?[\d.]+)$/, (m, f) => `must be less than ${amount(m[1], f.unit)}`],
  [/^Expected `(?:float|int|number)`, got/, () => "must be a number"],
  [/^Expected `str` matching regex/, () => "holds characters that are not allowed"],
  [/^Expected `str`, got/, () => "must be text"],
  [/datetime|ISO 8601|RFC ?3339/i, () => "must be a valid date and time"],
  [/^Invalid enum value/, () => "is not one of the choices"],
];

/** "weight_kg: Expected `float` <= 400.0" → "Weight must be at most 400 kg."; null if unknown. */
export function fieldSentence(message) {
  const m = /^([a-z_][\w.[\]]*): (.+)$/s.exec(message || "");
  if (!m) return null;
  const f = fieldOf(m[1]);
  for (const [re, say] of DETAILS) {
    const found = re.exec(m[2].trim());
    if (found) return `${f.name} ${say(found, f)}.`;
  }
  // The server already wrote a sentence after the field name ("must not contain control characters").
  if (!m[2].includes("`")) return `${f.name} ${m[2].replace(/\.$/, "")}.`;
  return `${f.name} is not valid.`;
}

function typeWord(mime) {
  const words = { "application/pdf": "a PDF", "application/zip": "a zip archive", "text/plain": "a text file", "video/mp4": "a video", "video/quicktime": "a video" };
  if (words[mime]) return words[mime];
  if (/^image\//.test(mime)) return `a ${mime.slice(6).toUpperCase()} image`;
  if (/^video\//.test(mime)) return "a video";
  return "this kind of file";
}

function sizeSentence(message, category) {
  const m = /the (\w+) limit of (\d+) bytes/.exec(message || "");
  const cat = CATEGORIES[m ? m[1] : category];
  const limit = m ? Number(m[2]) : cat?.limit;
  const noun = cat ? cat.noun : "file";
  if (limit) return `This ${noun} is too large: the limit is ${megabytes(limit)}.`;
  if (/JSON body/.test(message || "")) return "That is too much text to send at once.";
  return "This is too large to send.";
}

function typeSentence(message, category) {
  const cat = CATEGORIES[category];
  const m = /files of type (\S+)/.exec(message || "");
  const what = m ? typeWord(m[1]) : "this kind of file";
  if (cat) return `${what[0].toUpperCase()}${what.slice(1)} cannot be used as a ${cat.noun}. Choose ${cat.kinds}.`;
  return `${what[0].toUpperCase()}${what.slice(1)} is not accepted here.`;
}

function invalidFileSentence(message) {
  const text = (message || "").replace(/\.$/, "");
  if (/megapixel|pixels/i.test(text)) return "This picture has too many pixels (over 50 megapixels). Take a smaller one.";
  if (/empty/i.test(text)) return "The file is empty.";
  if (/macro/i.test(text)) return "Documents with macros are not accepted. Save it as a plain DOCX or PDF.";
  return "The file looks damaged or incomplete. Try another one, or take the photo again.";
}

function quotaSentence(message) {
  const m = /(\d+) bytes used of (\d+) allowed/.exec(message || "");
  if (m) return `Your storage is full: ${megabytes(Number(m[1]))} used of ${megabytes(Number(m[2]))}. Delete some photos or ask your gym for more room.`;
  return "Your storage is full. Delete some photos or ask your gym for more room.";
}

function retryWords(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return "a little while";
  if (s < 90) return `${Math.ceil(s)} seconds`;
  return `${Math.ceil(s / 60)} minutes`;
}

// A sentence per error code where the server's message is not for people as it stands.
const CODES = {
  network: (err) => err.message || "The server cannot be reached. Check the connection and try again.",
  aborted: () => "The upload was cancelled. Nothing was saved.",
  too_large: (err, o) => sizeSentence(err.message, o.category),
  unsupported_type: (err, o) => typeSentence(err.message, o.category),
  invalid_file: (err) => invalidFileSentence(err.message),
  quota_exceeded: (err) => quotaSentence(err.message),
  insufficient_storage: () => "The gym's server is out of storage space, so nothing was saved. Please tell your gym.",
  rate_limited: (err) => `Too many failed attempts. Try again in ${retryWords(err.retryAfter)}.`,
  too_many_connections: () => "Too many windows of gymhub are open. Close some and reload.",
  busy: (err) => `The server is busy. Try again in ${retryWords(err.retryAfter)}.`,
  csrf_failed: () => "The page is out of date. Reload it and try again.",
  unauthenticated: () => "Your session ended. Please sign in again.",
  invalid_credentials: () => "Wrong username or password.",
  forbidden: () => "You are not allowed to do this.",
  not_found: (_err, o) => o.notFound || "This is no longer there, or no longer shared with you. Reload the page.",
  method_not_allowed: () => "The server does not offer this yet. Reload the page.",
};

/**
 * The sentence to show for an ApiError (or any Error). opts.category names the upload's file
 * category; opts.conflict and opts.notFound give the words for 409 and 404 in that place.
 */
export function explain(err, opts = {}) {
  if (!err) return "";
  const code = err.code || "";
  if (CODES[code]) return CODES[code](err, opts);
  if (!code && MODULE_FAILED.test(String(err.message))) return "Part of this page could not be loaded. Check the connection, then reload the page.";
  if (code === "invalid_request") return fieldSentence(err.message) || plain(err.message);
  if (code === "conflict") return opts.conflict || plain(err.message);
  if (err.status >= 500) return "Something went wrong on the server. Try again; if it keeps happening, tell your gym.";
  return plain(err.message) || "Something went wrong. Try again.";
}

// A server sentence shown as it is, unless it is technical (a code, a byte count, a regex).
function plain(message) {
  const text = String(message || "").trim();
  if (!text) return "";
  if (/`|\bbytes?\b|regex|\$\.|[{}]/.test(text)) return "The server refused this. Check what you entered and try again.";
  return text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

function extension(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name || "");
  return m ? m[1].toLowerCase() : "";
}

// A module the page loads later failed (Chromium, Firefox, Safari wordings): no connection, or
// a page left open across an upgrade whose new files no longer fit the ones it holds.
export const MODULE_FAILED = /dynamically imported module|does not provide an export|importing a module script failed/i;

/** Why a chosen file cannot be sent in category, in words; null when it may be. */
export function checkFile(file, category) {
  const cat = CATEGORIES[category];
  const label = file.name ? `“${file.name}”` : "This file";
  const typeOk = cat.types.includes((file.type || "").toLowerCase()) || (!file.type && cat.exts.includes(extension(file.name)));
  // Phones label HEIC inconsistently; a known extension is enough here (the server sniffs anyway).
  if (!typeOk && !cat.exts.includes(extension(file.name))) return `${label} is not one of the ${cat.kinds} accepted here.`;
  if (file.size > cat.limit) return `${label} is ${megabytes(file.size)}; a ${cat.noun} may be at most ${megabytes(cat.limit)}.`;
  if (file.size === 0) return `${label} is empty.`;
  return null;
}

/** Checks a number input against its min and max; a sentence with the unit, or null. */
export function checkNumber(input, label, unit) {
  if (input.value === "") return input.validity.badInput ? `${label} must be a number.` : null;
  const v = Number(input.value);
  if (!Number.isFinite(v)) return `${label} must be a number.`;
  if (input.min !== "" && v < Number(input.min)) return `${label} must be at least ${amount(input.min, unit)}.`;
  if (input.max !== "" && v > Number(input.max)) return `${label} must be at most ${amount(input.max, unit)}.`;
  return null;
}
