// The admin's "Create reset code" for one person: the code in a dialog with a Copy button.

import { api } from "./api.js";
import { h, toast } from "./dom.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (an insecure origin, a refused permission): select it for the person to copy.
    button.textContent = "Select and copy it";
  }
}

function showCode(u, code) {
  const codeEl = h("output", { class: "reset-code", "data-testid": "reset-code", text: code });
  const copyBtn = h("button", { type: "button", class: "btn primary small", text: "Copy" });
  copyBtn.addEventListener("click", () => {
    getSelection()?.selectAllChildren(codeEl);
    copy(code, copyBtn);
  });
  const dialog = h(
    "dialog",
    { class: "account-dialog reset-dialog", "aria-labelledby": "reset-title", "data-testid": "reset-dialog" },
    h("h2", { id: "reset-title", text: `Reset code for ${u.display_name}` }),
    h("p", { class: "muted", text: `Give it to @${u.username}: on the sign-in screen, “Have a reset code?”. It is valid 24 hours and works once; a new code replaces it.` }),
    h("div", { class: "reset-code-row" }, codeEl, copyBtn),
    h("button", { type: "button", class: "btn ghost small", text: "Done", onclick: () => dialog.close() }),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  copyBtn.focus();
}

/** The button that creates a reset code for user u (the admin's People table). */
export function resetCodeButton(u) {
  const button = h("button", { type: "button", class: "btn small", text: "Reset code", title: `Create a reset code for ${u.display_name}` });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const res = await api("POST", paths.resetCode(u.id));
      showCode(u, res.reset_code);
    } catch (err) {
      toast("No reset code", explain(err), "error");
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
