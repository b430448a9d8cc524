// Deleting with a way back: the item leaves the screen at once, a toast offers Undo for a few
// seconds, and only then is the DELETE sent. Nothing is sent before that, so a reload cancels it.

import { h, toast } from "./dom.js";
import { explain } from "./say.js";

export const UNDO_MS = 5000;

/** Keys ("meal:12") whose DELETE waits for its toast: a re-render keeps them hidden. */
export const pendingDeletes = new Set();

/**
 * Hides what hide() hides, shows an Undo toast, and after UNDO_MS calls send(); restore() on
 * Undo or when send() fails (with the reason in a toast). done() after a successful send.
 */
export function deleteWithUndo({ key, title, hide, restore, send, done = () => {} }) {
  pendingDeletes.add(key);
  hide();
  const box = document.getElementById("toasts");
  let timer = null;
  const undo = h("button", { type: "button", class: "btn small undo-button", text: "Undo" });
  const el = h("div", { class: "toast undo-toast", role: "status", "data-testid": "undo-toast" }, h("strong", { text: title }), undo);
  const finish = () => el.remove();
  undo.addEventListener("click", () => {
    clearTimeout(timer);
    pendingDeletes.delete(key);
    finish();
    restore();
  });
  box.appendChild(el);
  timer = setTimeout(async () => {
    finish();
    try {
      await send();
      done();
    } catch (err) {
      restore();
      toast("Not deleted", explain(err), "error");
    } finally {
      pendingDeletes.delete(key);
    }
  }, UNDO_MS);
}
