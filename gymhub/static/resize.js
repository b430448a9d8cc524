// Large photos shrunk on the device before they are sent (a setting, on by default): a 12 MP
// phone photo of 4 MB becomes a JPEG of a few hundred KB at 2,560 px, which a gym's weak
// signal can carry. The picture is turned upright first, so the EXIF orientation stays right.
// Only the outbox shrinks (a write kept on the device for a weak or absent signal, issue #18):
// a form that sends at once sends the photo as it is, because re-encoding a 3000x4000 photo costs
// Chromium 0.4 s on an idle desktop (seconds on a busy or slow one), more than 3 MB take on Wi-Fi.

const LONG_SIDE = 2560;
const QUALITY = 0.88;
const SETTING = "gymhub.shrinkPhotos";

/** Whether the user lets photos be shrunk before sending (default yes). */
export function shrinkAllowed() {
  return localStorage.getItem(SETTING) !== "off";
}

export function allowShrink(yes) {
  localStorage.setItem(SETTING, yes ? "on" : "off");
}

function jpegName(name) {
  const stem = (name || "photo").replace(/\.[^.]*$/, "");
  return `${stem}.jpg`;
}

/**
 * The photo to send: the file itself when it is small enough, not an image the browser can
 * decode (HEIC on most desktops), or shrinking is off; else a JPEG of at most 2,560 px.
 */
export async function shrinkPhoto(file, longSide = LONG_SIDE) {
  if (!shrinkAllowed() || !file.type.startsWith("image/") || file.type === "image/gif") return file;
  let bitmap;
  try {
    // "from-image" applies the EXIF orientation; the canvas then carries no EXIF at all.
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file;
  }
  try {
    const scale = longSide / Math.max(bitmap.width, bitmap.height);
    if (scale >= 1) return file;
    const width = Math.round(bitmap.width * scale);
    const height = Math.round(bitmap.height * scale);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext("2d");
    g.imageSmoothingQuality = "high";
    g.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob || blob.size >= file.size) return file;
    return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
  } finally {
    bitmap.close();
  }
}
