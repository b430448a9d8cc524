// The client's screen: log meals (with a photo) and progress, see own photos, talk to trainers.

import { api } from "./api.js";
import { card, empty, fill, formError, h, tabs, toast } from "./dom.js";
import { paths } from "./paths.js";
import { gallery, mealItem, progressItem } from "./timeline.js";
import { Conversation, PhotoPicker, UploadBar, weightChart } from "./widgets.js";

function field(label, input) {
  return h("label", { class: "field" }, h("span", { text: label }), input);
}

export async function clientView(ctx) {
  const me = ctx.me;
  const { users } = await api("GET", paths.users);
  const trainers = users.filter((u) => u.role !== "client");
  ctx.addPeople(users);

  // --- meals ---------------------------------------------------------------------------
  const mealName = h("input", { id: "meal-name", name: "meal_name", required: true, maxLength: 200, placeholder: "e.g. Oatmeal with berries", autocomplete: "off" });
  const mealNotes = h("textarea", { id: "meal-notes", name: "notes", rows: 2, maxLength: 2000, placeholder: "Optional notes" });
  const mealPhoto = new PhotoPicker({ label: "Add a photo of the meal" });
  const mealBar = new UploadBar();
  const mealError = h("p", { class: "form-error", role: "alert", hidden: true });
  const mealSubmit = h("button", { type: "submit", class: "btn primary wide", text: "Complete meal" });
  const mealForm = h(
    "form",
    { id: "meal-form", class: "stack", novalidate: true, onsubmit: (e) => submitMeal(e) },
    field("Meal", mealName),
    field("Notes", mealNotes),
    mealPhoto.el,
    mealBar.el,
    mealError,
    mealSubmit,
  );
  const mealList = h("div", { class: "meal-list" });

  async function submitMeal(e) {
    e.preventDefault();
    const name = mealName.value.trim();
    if (!name) {
      formError(mealError, "Give the meal a name.");
      mealName.focus();
      return;
    }
    formError(mealError, "");
    mealSubmit.disabled = true;
    try {
      const body = { meal_name: name };
      if (mealNotes.value.trim()) body.notes = mealNotes.value.trim();
      const meal = await api("POST", paths.meals(), body);
      const file = mealPhoto.files[0];
      if (file) {
        try {
          await mealBar.send(paths.mealPhotoUpload({ meal_completion_id: meal.id }), file);
        } catch (err) {
          formError(mealError, `The meal was saved, but the photo was refused: ${err.message}`);
          refresh();
          return;
        }
      }
      mealForm.reset();
      mealPhoto.reset();
      toast("Meal completed", name, "success");
      refresh();
    } catch (err) {
      formError(mealError, err.message);
    } finally {
      mealSubmit.disabled = false;
    }
  }

  // --- progress ------------------------------------------------------------------------
  const weight = h("input", { id: "weight", name: "weight_kg", type: "number", inputMode: "decimal", min: 20, max: 400, step: "0.1", placeholder: "kg" });
  const bodyFat = h("input", { id: "body-fat", name: "body_fat_pct", type: "number", inputMode: "decimal", min: 1, max: 75, step: "0.1", placeholder: "%" });
  const progressNotes = h("textarea", { id: "progress-notes", rows: 2, maxLength: 2000, placeholder: "How do you feel?" });
  const progressPhotos = new PhotoPicker({ multiple: true, label: "Add progress photos" });
  const progressBar = new UploadBar();
  const progressError = h("p", { class: "form-error", role: "alert", hidden: true });
  const progressSubmit = h("button", { type: "submit", class: "btn primary wide", text: "Save progress" });
  const progressForm = h(
    "form",
    { id: "progress-form", class: "stack", novalidate: true, onsubmit: (e) => submitProgress(e) },
    h("div", { class: "row2" }, field("Weight (kg)", weight), field("Body fat (%)", bodyFat)),
    field("Notes", progressNotes),
    progressPhotos.el,
    progressBar.el,
    progressError,
    progressSubmit,
  );
  const chartBox = h("div", { class: "chart-wrap" });
  const progressList = h("div", { class: "progress-list" });

  async function submitProgress(e) {
    e.preventDefault();
    const body = {};
    if (weight.value !== "") body.weight_kg = Number(weight.value);
    if (bodyFat.value !== "") body.body_fat_pct = Number(bodyFat.value);
    if (progressNotes.value.trim()) body.notes = progressNotes.value.trim();
    const files = progressPhotos.files.slice();
    if (!Object.keys(body).length && !files.length) {
      formError(progressError, "Enter a weight, a body fat value, notes or a photo.");
      return;
    }
    formError(progressError, "");
    progressSubmit.disabled = true;
    try {
      const ids = [];
      for (const [i, f] of files.entries()) {
        const prefix = files.length > 1 ? `Photo ${i + 1} of ${files.length}: ` : "";
        const stored = await progressBar.send(paths.fileUpload({ category: "progress_photos" }), f, prefix);
        ids.push(stored.id);
      }
      if (ids.length) body.photo_ids = ids;
      await api("POST", paths.progress(), body);
      progressForm.reset();
      progressPhotos.reset();
      toast("Progress saved", "", "success");
      refresh();
    } catch (err) {
      formError(progressError, err.message);
    } finally {
      progressSubmit.disabled = false;
    }
  }

  // --- photos, messages ----------------------------------------------------------------
  const galleryBox = h("div", { class: "gallery-wrap" });
  let peer = trainers[0] || null;
  let conversation = null;
  const peerChips = h("div", { class: "chips" });
  const convBox = h("div", { class: "conv-wrap" });
  const unreadFrom = new Map();

  function renderPeers() {
    fill(
      peerChips,
      trainers.length > 1
        ? trainers.map((t) =>
            h(
              "button",
              {
                type: "button",
                class: `chip${peer && t.id === peer.id ? " active" : ""}`,
                "data-badge": unreadFrom.get(t.id) || "",
                onclick: () => openPeer(t),
              },
              t.display_name,
            ),
          )
        : null,
    );
  }

  async function openPeer(t) {
    peer = t;
    unreadFrom.delete(t.id);
    renderPeers();
    conversation = new Conversation(ctx, t);
    fill(convBox, conversation.el);
    await conversation.load();
  }

  // --- layout --------------------------------------------------------------------------
  const root = h("div", { class: "view client-view" });
  let t = null;
  t = tabs(root, [
    { id: "meals", label: "Meals" },
    { id: "progress", label: "Progress" },
    { id: "photos", label: "Photos" },
    { id: "messages", label: "Messages" },
    { id: "feed", label: "Feed" },
  ], (id) => {
    if (id === "messages") t?.badge("messages", 0);
  });
  const messagesCard = card(
    trainers.length === 1 ? `Messages with ${trainers[0].display_name}` : trainers.length ? "Your trainers" : "Messages",
    "messages-card",
    peerChips,
    convBox,
  );
  const panes = [
    [card("Complete a meal", "meal-card", mealForm, h("h3", { text: "Recent meals" }), mealList), "meals"],
    [card("Log progress", "progress-card", chartBox, progressForm, h("h3", { text: "History" }), progressList), "progress"],
    [card("My photos", "photos-card", galleryBox), "photos"],
    [messagesCard, "messages"],
    [ctx.feed.el, "feed"],
  ];
  panes.forEach(([el, id]) => el.setAttribute("data-pane", id));
  fill(ctx.root, h("div", { class: "greeting" }, h("h1", { text: `Hi ${me.display_name}` }), h("p", { class: "muted", text: "Log what you eat and how you progress; your trainer sees it live." })), t.bar, root);
  root.append(...panes.map(([el]) => el));

  let refreshTimer = null;
  async function load() {
    const [meals, progress, files] = await Promise.all([
      api("GET", paths.meals({ client_id: me.id, limit: 20 })),
      api("GET", paths.progress({ client_id: me.id, limit: 100 })),
      api("GET", paths.files({ owner_id: me.id, limit: 60 })),
    ]);
    fill(mealList, meals.meals.length ? h("ol", { class: "timeline" }, meals.meals.map(mealItem)) : empty("No meals logged yet."));
    fill(chartBox, weightChart(progress.entries));
    fill(progressList, progress.entries.length ? h("ol", { class: "timeline" }, progress.entries.slice(0, 20).map(progressItem)) : empty("No progress logged yet."));
    fill(galleryBox, gallery(files.files.filter((f) => f.category !== "documents")));
  }
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => load().catch((err) => toast("Could not refresh", err.message, "error")), 250);
  }

  renderPeers();
  if (peer) await openPeer(peer);
  else fill(convBox, empty("No trainer is assigned to you yet."));
  await load();

  return {
    onEvent(n) {
      const d = n.data || {};
      if (n.type === "MESSAGE") {
        const m = d.message;
        if (conversation && conversation.involves(m)) conversation.add(m);
        else if (m.sender_id !== me.id) {
          unreadFrom.set(m.sender_id, (unreadFrom.get(m.sender_id) || 0) + 1);
          renderPeers();
        }
        if (m.sender_id !== me.id && root.dataset.tab !== "messages") t.badge("messages", 1);
      } else if (n.type !== "SYSTEM") {
        refresh();
      }
    },
  };
}
