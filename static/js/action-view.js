// Everything a screen showing one action shares: the snapshot state, the local
// countdown, the counts and progress bar, and the self-healing socket.
import { gettext } from "./i18n.js";
import { ServerClock, formatRemaining, localTime, openSocket, showConnection } from "./live.js";

const LABELS = { scheduled: gettext("Starts in"), live: gettext("GO! Ends in"), ended: gettext("Ended"), cancelled: gettext("Cancelled") };
const PHASES = { scheduled: gettext("scheduled"), live: gettext("live"), ended: gettext("ended"), cancelled: gettext("cancelled") };

export function readJson(id, fallback = null) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : fallback;
}

export function csrfToken() {
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
}

// A form that only its script can send has its submit button disabled in the page: a tap
// before the module loaded would submit it as a page reload. Call once listening.
export function armed(form) {
  form.querySelectorAll("button[data-armed-by-script]").forEach((button) => (button.disabled = false));
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ error: "bad_response", detail: gettext("Unexpected answer from the server.") }));
  return { ok: response.ok, status: response.status, data };
}

export function createActionView(
  root,
  { onSnapshot = () => {}, onPhase = () => {}, onMessage = () => {}, onStatus = () => {}, query = "" } = {},
) {
  const clock = new ServerClock();
  const view = { state: readJson("snapshot"), clock, phase: null };
  clock.seed(view.state.server_now);
  const $ = (selector) => root.querySelector(selector);

  view.localPhase = (now = clock.now()) => {
    const { state } = view;
    if (state.phase === "cancelled" || state.phase === "ended") return state.phase;
    if (now >= Date.parse(state.ends_at)) return "ended";
    if (now >= Date.parse(state.starts_at)) return "live";
    return "scheduled";
  };

  const renderCounts = () => {
    const { counts } = view.state;
    root.querySelectorAll("[data-count]").forEach((el) => (el.textContent = (counts[el.dataset.count] ?? 0).toLocaleString()));
    // A goal can be beaten: the bar fills, then a second bar runs over it for the next lap.
    const share = goalShare(counts);
    root.querySelectorAll("[data-progress]").forEach((bar) => (bar.style.width = `${Math.min(100, share)}%`));
    root.querySelectorAll("[data-stretch]").forEach((bar) => (bar.style.width = `${Math.min(100, Math.max(0, share - 100))}%`));
    root.querySelectorAll("[data-percent]").forEach((el) => (el.textContent = `${Math.floor(share)}%`));
  };

  const tick = () => {
    const now = clock.now();
    const phase = view.localPhase(now);
    if (phase !== view.phase) {
      const previous = view.phase;
      view.phase = phase;
      root.dataset.phase = phase;
      const label = $("[data-countdown-label]");
      if (label) label.textContent = LABELS[phase];
      const pill = $("[data-phase-label]");
      if (pill) {
        pill.textContent = PHASES[phase] ?? phase;
        pill.className = `pill pill-${phase}`;
      }
      const when = $("[data-when]");
      if (when) when.textContent = phase === "scheduled" ? localTime(view.state.starts_at) : "";
      onPhase(phase, previous);
    }
    const clockEl = $("[data-countdown]");
    if (!clockEl) return;
    if (phase === "scheduled") clockEl.textContent = formatRemaining(Date.parse(view.state.starts_at) - now);
    else if (phase === "live") clockEl.textContent = formatRemaining(Date.parse(view.state.ends_at) - now);
    else clockEl.textContent = phase === "cancelled" ? "—" : "00:00";
  };

  const handle = (message) => {
    switch (message.type) {
      case "snapshot": {
        // An older snapshot overtaken in flight is dropped.
        if (message.seq < view.state.seq) return;
        const previous = view.state;
        view.state = message;
        renderCounts();
        onSnapshot(message, previous);
        tick();
        break;
      }
      case "phase":
        view.state = { ...view.state, phase: message.phase, starts_at: message.starts_at, ends_at: message.ends_at };
        tick();
        break;
      case "level":
        // Momentum moved the end: every countdown follows without a reload.
        view.state = { ...view.state, ends_at: message.ends_at };
        tick();
        onMessage(message);
        break;
      case "moderated": {
        // Hidden by a moderator: say so plainly, and take no more taps.
        root.dataset.moderated = "1";
        let notice = root.querySelector("[data-moderated-notice]");
        if (!notice) {
          notice = document.createElement("p");
          notice.className = "moderated-notice";
          notice.dataset.moderatedNotice = "";
          notice.dataset.testid = "moderated";
          root.prepend(notice);
        }
        notice.textContent = message.detail;
        break;
      }
      case "error":
        console.warn("server says:", message.code, message.detail);
        break;
      default:
        onMessage(message);
    }
  };

  view.start = () => {
    renderCounts();
    onSnapshot(view.state, null);
    tick();
    setInterval(tick, 200);
    view.socket = openSocket(`/ws/actions/${view.state.action.slug}/${query}`, {
      onMessage: handle,
      clock,
      onStatus: (status) => {
        showConnection(document.querySelector("[data-connection]"), status);
        onStatus(status);
      },
    });
    return view;
  };
  view.handle = handle;
  return view;
}

// Organizer messages can arrive twice (action socket and personal socket): show each once.
export function messageBanner(el) {
  const seen = new Set();
  return (message, { quiet = false } = {}) => {
    if (!el || seen.has(message.id)) return;
    seen.add(message.id);
    el.querySelector("[data-message-text]").textContent = message.text;
    el.hidden = false;
    if (!quiet) {
      replay(el, "flash-in");
      navigator.vibrate?.(200);
    }
  };
}

// How far along the goal is, in percent: past 100 once it is beaten.
export function goalShare(counts) {
  return counts.goal ? (100 * counts.deeds) / counts.goal : 0;
}

const MILESTONES = [25, 50, 75, 100, 150, 200, 300, 500];

// The last milestone the tally has passed (0 before the first).
export function milestoneOf(counts) {
  const share = goalShare(counts);
  return MILESTONES.filter((m) => share >= m).pop() ?? 0;
}

// Restarts a CSS animation: off, a reflow, on again.
export function replay(el, className) {
  el.classList.remove(className);
  void el.offsetWidth;
  el.classList.add(className);
}
