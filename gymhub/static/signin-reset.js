// The sign-in screen's "Have a reset code?": username, the code the gym gave, a new password;
// then the person is signed in with it.

import { api, ApiError } from "./api.js";
import { $, errorLine, field, formError, h } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

function resetForm(onSignedIn, back) {
  const username = h("input", { id: "reset-username", name: "username", autocomplete: "username", autocapitalize: "none", spellcheck: false, maxLength: 256 });
  const code = h("input", { id: "reset-code", name: "reset_code", autocomplete: "one-time-code", autocapitalize: "none", spellcheck: false, maxLength: 200 });
  const pass = h("input", { id: "reset-password", name: "new_password", type: "password", autocomplete: "new-password", minLength: 8, maxLength: 1024 });
  const error = errorLine();
  const submit = h("button", { type: "submit", class: "btn primary wide", id: "reset-submit", text: "Set password and sign in" });
  const form = h(
    "form",
    { class: "card signin-card stack", id: "reset-form", novalidate: true, hidden: true },
    h("h2", { text: "Set a new password" }),
    h("p", { class: "muted", text: "Your gym gives you a reset code. It works once, for 24 hours." }),
    field("Username", username),
    field("Reset code", code),
    field("New password (at least 8 characters)", pass),
    error,
    submit,
    h("button", { type: "button", class: "btn ghost wide", text: "Back to sign in", onclick: back }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { username: username.value.trim(), reset_code: code.value.trim(), new_password: pass.value };
    let problem = "";
    if (!body.username || !body.reset_code) problem = "Enter your username and the reset code.";
    else if (body.new_password.length < 8) problem = "The new password must be at least 8 characters long.";
    formError(error, problem);
    if (problem) return;
    submit.disabled = true;
    try {
      await api("POST", paths.reset, body);
      const res = await api("POST", paths.login, { username: body.username, password: body.new_password });
      form.reset();
      await onSignedIn(res.user);
    } catch (err) {
      const wrong = err instanceof ApiError && err.code === "invalid_credentials";
      formError(error, wrong ? "This code does not work: check the username and the code, or ask your gym for a new one." : explain(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** Adds the link and the form to the sign-in screen; onSignedIn(user) once signed in. */
export function setupReset(onSignedIn) {
  const signin = $("#signin-form");
  let form = null;
  const toggle = (showReset) => {
    signin.hidden = showReset;
    form.hidden = !showReset;
    (showReset ? $("#reset-username") : $("#username")).focus();
  };
  form = resetForm(onSignedIn, () => toggle(false));
  const link = h("button", { type: "button", class: "btn ghost wide", id: "reset-open", text: "Have a reset code?", onclick: () => toggle(true) });
  signin.appendChild(link);
  signin.after(form);
  return () => {
    if (!form.hidden) toggle(false);
  };
}
