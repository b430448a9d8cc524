// A small actions menu: a "⋯" button that opens a short list of actions under it. An action
// with a question asks in place first ("Delete this meal? [Delete] [Cancel]"), no browser dialog.

import { fill, h } from "./dom.js";

let openMenu = null;

function closeOpen() {
  if (openMenu) openMenu();
  openMenu = null;
}

document.addEventListener("click", (e) => {
  if (openMenu && !e.target.closest?.(".actions-menu")) closeOpen();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") closeOpen();
});

/** items: [{text, run, danger?, question?}]; returns the menu's element. */
export function actionsMenu({ label, items }) {
  const popup = h("div", { class: "actions-popup", role: "menu", hidden: true });
  const trigger = h("button", { type: "button", class: "actions-trigger", "aria-label": label, title: label, "aria-haspopup": "menu", "aria-expanded": "false", text: "⋯" });
  const el = h("div", { class: "actions-menu item-actions" }, trigger, popup);

  const close = () => {
    popup.hidden = true;
    trigger.setAttribute("aria-expanded", "false");
  };
  const choose = (item) => {
    if (!item.question) {
      closeOpen();
      item.run();
      return;
    }
    const yes = h("button", { type: "button", class: "btn small danger", role: "menuitem", text: item.text, onclick: () => {
        closeOpen();
        item.run();
      },
    });
    const no = h("button", { type: "button", class: "btn small ghost", role: "menuitem", text: "Cancel", onclick: () => closeOpen() });
    fill(popup, h("p", { class: "actions-question", text: item.question }), h("div", { class: "actions-confirm" }, yes, no));
    yes.focus();
  };
  const show = () => {
    closeOpen();
    fill(
      popup,
      items.map((item) => h("button", { type: "button", role: "menuitem", class: `actions-item${item.danger ? " danger" : ""}`, text: item.text, onclick: (e) => {
            e.stopPropagation();
            choose(item);
          },
        }),
      ),
    );
    popup.hidden = false;
    trigger.setAttribute("aria-expanded", "true");
    openMenu = close;
    popup.scrollIntoView({ block: "nearest" });
    popup.querySelector("button")?.focus({ preventScroll: true });
  };
  trigger.addEventListener("click", (e) => {
    e.stopPropagation();
    if (popup.hidden) show();
    else closeOpen();
  });
  return el;
}
