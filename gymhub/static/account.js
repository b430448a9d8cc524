// The account screen, for every role (the header's "Account"): profile photo, display name,
// units and password. Saving calls onMe(user) so the page shows the new name, photo and units.

import { api, upload } from "./api.js";
import { errorLine, fill, field, formError, h, toast } from "./dom.js";
import { avatar } from "./avatar.js";
import { paths } from "./paths.js";
import { checkFile, explain } from "./say.js";

function section(title, ...children) {
  return h("section", { class: "account-section" }, h("h3", { text: title }), ...children);
}

function photoSection(me, save) {
  const preview = h("div", { class: "account-photo" });
  const error = errorLine();
  const chooser = h("input", { type: "file", accept: "image/*", id: "account-photo-file", class: "visually-hidden" });
  const choose = h("label", { class: "btn small", for: "account-photo-file", text: "Choose a photo" });
  const removeBtn = h("button", { type: "button", class: "btn ghost small", text: "Remove photo" });
  const draw = () => {
    fill(preview, avatar(me, "avatar-large"));
    removeBtn.hidden = !me.profile_photo_id;
  };
  chooser.addEventListener("change", async () => {
    const file = chooser.files[0];
    chooser.value = "";
    if (!file) return;
    const problem = checkFile(file, "profile_photos");
    if (problem) return formError(error, problem);
    formError(error, "");
    choose.textContent = "Sending…";
    try {
      const stored = await upload(paths.fileUpload({ category: "profile_photos" }), file, null);
      await save({ profile_photo_id: stored.id }, "Profile photo saved");
    } catch (err) {
      formError(error, explain(err, { category: "profile_photos" }));
    } finally {
      choose.textContent = "Choose a photo";
    }
  });
  removeBtn.addEventListener("click", () => save({ profile_photo_id: null }, "Profile photo removed").catch((err) => formError(error, explain(err))));
  draw();
  return { el: section("Profile photo", h("div", { class: "account-photo-row" }, preview, h("div", { class: "account-photo-buttons" }, chooser, choose, removeBtn)), error), draw };
}

function nameSection(me, save) {
  const input = h("input", { id: "account-name", name: "display_name", maxLength: 100, required: true, autocomplete: "name" });
  input.value = me.display_name;
  const error = errorLine();
  const form = h("form", { class: "stack", novalidate: true }, field("Display name", input), error, h("button", { type: "submit", class: "btn primary small", text: "Save name" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) return formError(error, "Enter the name others see.");
    formError(error, "");
    try {
      await save({ display_name: name }, "Name saved");
    } catch (err) {
      formError(error, explain(err));
    }
  });
  return section("Your name", form);
}

function unitsSection(me, save) {
  const error = errorLine();
  const choice = (value, label) => {
    const radio = h("input", { type: "radio", name: "units", value, checked: me.units === value || (!me.units && value === "metric") });
    radio.addEventListener("change", () => save({ units: value }, "Units saved").catch((err) => formError(error, explain(err))));
    return h("label", { class: "radio" }, radio, h("span", { text: label }));
  };
  return section("Units", h("div", { class: "radios", role: "radiogroup", "aria-label": "Units" }, choice("metric", "Metric (kg, cm)"), choice("imperial", "Imperial (lb, in)")), error);
}

function passwordSection(onPasswordChanged) {
  const attrs = (id, auto) => ({ id, type: "password", required: true, maxLength: 1024, autocomplete: auto });
  const current = h("input", attrs("account-current-password", "current-password"));
  const next = h("input", { ...attrs("account-new-password", "new-password"), minLength: 8 });
  const again = h("input", attrs("account-repeat-password", "new-password"));
  const error = errorLine();
  const form = h(
    "form",
    { class: "stack", novalidate: true, id: "password-form" },
    field("Current password", current),
    field("New password (at least 8 characters)", next),
    field("New password again", again),
    error,
    h("button", { type: "submit", class: "btn primary small", text: "Change password" }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let problem = "";
    if (!current.value) problem = "Enter your current password.";
    else if (next.value.length < 8) problem = "The new password must be at least 8 characters long.";
    else if (next.value !== again.value) problem = "The two new passwords differ. Type the same one twice.";
    formError(error, problem);
    if (problem) return;
    try {
      onPasswordChanged(true);
      await api("POST", paths.password, { current_password: current.value, new_password: next.value });
      form.reset();
      toast("Password changed", "Other devices are signed out.", "success");
    } catch (err) {
      onPasswordChanged(false);
      formError(error, err.code === "invalid_credentials" ? "Your current password is not right." : explain(err));
    }
  });
  return section("Password", form);
}

/**
 * Opens the account screen for ctx.me. onMe(user) after a change to the account;
 * onPasswordChanged(expected) is told before a password change (the live socket will close).
 */
export function openAccount(ctx, { onMe, onPasswordChanged }) {
  const me = ctx.me;
  let photo = null;
  const save = async (changes, said) => {
    const user = await api("PATCH", paths.me, changes);
    Object.assign(me, user);
    photo?.draw();
    toast(said, "", "success");
    await onMe(user);
  };
  photo = photoSection(me, save);
  const close = h("button", { type: "button", class: "btn ghost small", text: "Close", onclick: () => dialog.close() });
  const dialog = h(
    "dialog",
    { class: "account-dialog", "aria-labelledby": "account-title", "data-testid": "account" },
    h("div", { class: "account-head" }, h("h2", { id: "account-title", text: "Your account" }), close),
    h("p", { class: "muted", text: `Signed in as @${me.username} (${me.role}).` }),
    photo.el,
    nameSection(me, save),
    unitsSection(me, save),
    passwordSection(onPasswordChanged),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}
