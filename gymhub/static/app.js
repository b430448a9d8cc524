// gymhub's web page: sign-in, then the view of the signed-in user's role, kept live.

import { api, ApiError, whenSignedOut } from "./api.js";
import { $, fill, formError, h, toast } from "./dom.js";
import { clientView } from "./client.js";
import { commentArrived, useComments } from "./comments.js";
import { describe, Feed, isNews, loadNotifications } from "./feed.js";
import { Live } from "./live.js";
import { outbox } from "./outbox.js";
import { paths } from "./paths.js";
import { explain } from "./say.js";
import { setUnits } from "./units.js";

// The trainer's and admin's screens load only for them: a client's phone needs fewer files.
const VIEWS = {
  client: clientView,
  trainer: async (ctx) => (await import("./trainer.js")).trainerView(ctx),
  admin: async (ctx) => (await import("./admin.js")).adminView(ctx),
};
const LIVE_LABELS = { connecting: "connecting", live: "live", reconnecting: "reconnecting", offline: "offline" };

let session = null;
let closeReset = null;

/** "Have a reset code?" on the sign-in screen, loaded only when that screen shows. */
function offerReset() {
  if (closeReset) return;
  closeReset = () => {};
  import("./signin-reset.js").then((m) => {
    closeReset = m.setupReset(start);
  });
}
// Code 4401 and a 401 say only that the session is gone: disabled, password changed or signed
// out everywhere. The person learns why it happened and what to do.
const ENDED = "You have been signed out: your account was disabled, or your sign-in was ended elsewhere. Sign in again; if that fails, ask your gym.";

function setLive(state) {
  const pill = $("#live");
  pill.dataset.state = state;
  $(".live-label", pill).textContent = LIVE_LABELS[state] || state;
  document.body.dataset.live = state;
}

function showSignIn(message) {
  if (session) {
    session.live.stop();
    session = null;
  }
  outbox.close();
  $("#topbar").hidden = true;
  $("#view").replaceChildren();
  $("#signin").hidden = false;
  offerReset();
  formError($("#signin-error"), message || "");
  document.title = "gymhub · sign in";
  $("#username").focus();
}

function retryText(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return "a little while";
  if (s < 90) return `${Math.ceil(s)} seconds`;
  return `${Math.ceil(s / 60)} minutes`;
}

async function signIn(event) {
  event.preventDefault();
  const username = $("#username").value.trim();
  const password = $("#password").value;
  const error = $("#signin-error");
  if (!username || !password) {
    formError(error, "Enter your username and password.");
    return;
  }
  const button = $("#signin-submit");
  button.disabled = true;
  formError(error, "");
  try {
    const res = await api("POST", paths.login, { username, password });
    $("#password").value = "";
    await start(res.user);
  } catch (err) {
    if (err instanceof ApiError && err.code === "invalid_credentials") {
      formError(error, "Wrong username or password.");
    } else if (err instanceof ApiError && err.status === 429) {
      formError(error, `Too many failed attempts. Try again in ${retryText(err.retryAfter)}.`);
    } else {
      formError(error, explain(err) || "Signing in failed.");
    }
    $("#password").select();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await api("POST", paths.logout);
  } catch {
    // Signed out locally either way; an expired session is already gone on the server.
  }
  sessionStorage.clear();
  showSignIn("You are signed out.");
}

function showWho(me) {
  // Not needed for the first screen to work: fetched beside it.
  import("./avatar.js").then(({ avatar }) => fill($("#who-avatar"), avatar(me, "avatar-small")));
  $("#who-name").textContent = `${me.display_name} · ${me.role}`;
  document.title = `gymhub · ${me.display_name}`;
  setUnits(me.units);
}

/** The account screen; a change to the account redraws the view with the new `me`. */
async function showAccount() {
  if (!session) return;
  const { openAccount } = await import("./account.js");
  const { ctx } = session;
  openAccount(ctx, {
    onMe: async () => {
      showWho(ctx.me);
      await ctx.redraw();
    },
    // A password change ends every earlier session, this page's socket included (4401); the
    // server gave this browser a fresh cookie, so the page reconnects instead of signing out.
    onPasswordChanged: (expected) => {
      session.renewing = expected;
    },
  });
}

function revoked(live) {
  if (session?.live === live && session.renewing) {
    session.renewing = false;
    live.start();
  } else showSignIn(ENDED);
}

async function start(me) {
  closeReset?.();
  $("#signin").hidden = true;
  $("#topbar").hidden = false;
  showWho(me);
  const people = new Map([[me.id, me]]);
  const ctx = {
    me,
    root: $("#view"),
    people,
    name: (id) => (people.get(id) ? people.get(id).display_name : `User ${id}`),
    addPeople: (list) => {
      for (const u of list) people.set(u.id, u);
    },
    notifications: [],
    // Ends the session on this page with a sentence of the caller's (the erased account).
    signOut: (message) => showSignIn(message),
  };
  let view = null;
  const live = new Live(me.id, {
    onState: setLive,
    onRevoked: () => revoked(live),
    // The server answers again: what waits on the device goes now.
    onWelcome: () => outbox.flush(),
    onEvent: (n, { replayed }) => {
      ctx.feed.add(n);
      // A toast only for what is news and not already on screen (the open conversation).
      if (isNews(n, me) && !replayed && !view?.onScreen?.(n)) {
        const { title, text } = describe(n, ctx);
        toast(title, text);
      }
      commentArrived(n);
      view?.onEvent(n);
    },
  });
  ctx.live = live;
  useComments(ctx);
  ctx.feed = new Feed(ctx);
  ctx.onAllRead = () => view?.onAllRead?.();
  ctx.redraw = async () => {
    view = await VIEWS[me.role](ctx);
  };
  session = { me, live, ctx };
  await outbox.open(me.id).catch((err) => console.warn("gymhub: no outbox on this device:", err));

  try {
    const { notifications } = await loadNotifications();
    ctx.notifications = notifications;
    for (const n of notifications) live.seen(n.id);
    ctx.feed.set(notifications);
    view = await VIEWS[me.role](ctx);
    // Names of the people the view loaded are known only now.
    ctx.feed.render();
  } catch (err) {
    if (session?.live !== live) return;
    ctx.root.replaceChildren(
      h("div", { class: "card" }, h("h2", { text: "This page could not load" }), h("p", { class: "form-error", text: explain(err) })),
      ctx.feed.el,
    );
  }
  if (session?.live !== live) return;
  // Connect only now: the socket replays everything after the last id seen, so no event is
  // lost between loading the lists and going live.
  live.start();
}

async function boot() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#account-open").addEventListener("click", showAccount);

  whenSignedOut(() => showSignIn(ENDED));
  try {
    const me = await api("GET", paths.me);
    await start(me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showSignIn();
    else {
      showSignIn(explain(err));
    }
  }
}

boot();
