// A person's picture beside their name: the thumbnail of their profile photo, else their initial.

import { h } from "./dom.js";
import { paths } from "./paths.js";

/** The avatar of user (a User); cls adds classes (sizes). */
export function avatar(user, cls = "") {
  const initial = h("span", { class: `avatar ${cls}`, "aria-hidden": "true", text: (user?.display_name || "?").slice(0, 1).toUpperCase() });
  const photo = user?.profile_photo_id;
  if (!photo) return initial;
  // The User names the photo, not its variant's format: JPEG first, PNG for transparent ones.
  const img = h("img", { class: `avatar avatar-photo ${cls}`, alt: "", src: paths.thumbnail(photo, "jpg"), "data-user-id": user.id });
  img.addEventListener("error", () => {
    if (img.src.endsWith(".jpg")) img.src = paths.thumbnail(photo, "png");
    else img.replaceWith(initial);
  });
  return img;
}
