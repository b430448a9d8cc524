// The client's Messages panel: a chip per trainer when there are several (with unread counts),
// and the conversation with the chosen one.

import { card, empty, fill, h } from "./dom.js";
import { Conversation } from "./widgets.js";

function title(trainers) {
  if (trainers.length === 1) return `Messages with ${trainers[0].display_name}`;
  return trainers.length ? "Your trainers" : "Messages";
}

function chip(t, active, unread, onclick) {
  return h("button", { type: "button", class: `chip${active ? " active" : ""}`, "data-badge": unread || "", onclick }, t.display_name);
}

/** The panel for the client ctx.me and their trainers (anyone not a client). */
export function messagesPanel(ctx, trainers) {
  let peer = trainers[0] || null;
  let conversation = null;
  const chips = h("div", { class: "chips" });
  const convBox = h("div", { class: "conv-wrap" });
  const unreadFrom = new Map();

  function renderPeers() {
    fill(chips, trainers.length > 1 ? trainers.map((t) => chip(t, peer && t.id === peer.id, unreadFrom.get(t.id), () => openPeer(t))) : null);
  }

  async function openPeer(t) {
    peer = t;
    unreadFrom.delete(t.id);
    renderPeers();
    conversation = new Conversation(ctx, t);
    fill(convBox, conversation.el);
    await conversation.load();
  }

  /** Shows the first trainer's conversation, or that there is no trainer yet. */
  async function start() {
    renderPeers();
    if (peer) await openPeer(peer);
    else fill(convBox, empty("No trainer is assigned to you yet."));
  }

  /** A live message: into the open conversation, or counted on its sender's chip. */
  function receive(m) {
    if (conversation?.involves(m)) conversation.add(m);
    else if (m.sender_id !== ctx.me.id) {
      unreadFrom.set(m.sender_id, (unreadFrom.get(m.sender_id) || 0) + 1);
      renderPeers();
    }
  }

  /** Whether m belongs to the conversation that is open. */
  function showing(m) {
    return Boolean(m && conversation?.involves(m));
  }

  /** An edited or deleted message: redrawn where it is shown. */
  function update(m) {
    if (m && conversation?.involves(m)) conversation.add(m);
  }

  /** A trainer who is no longer assigned leaves the list (and the open conversation). */
  async function dropTrainer(trainerId) {
    const i = trainers.findIndex((t) => t.id === trainerId);
    if (i < 0) return;
    trainers.splice(i, 1);
    if (peer?.id === trainerId) {
      peer = trainers[0] || null;
      conversation = null;
    }
    await start();
  }

  /** MESSAGE_UPDATED and the unassignment SYSTEM notification; true when n was one of them. */
  function notice(n) {
    if (n.type === "MESSAGE_UPDATED") update(n.data?.message);
    else if (n.type === "SYSTEM" && n.data?.event === "unassigned") dropTrainer(n.data.trainer_id);
    else return false;
    return true;
  }

  return { el: card(title(trainers), "messages-card", chips, convBox), start, receive, showing, notice };
}
