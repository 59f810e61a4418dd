// The action page and the dashboard: one snapshot shape, a local countdown.
import { ServerClock, formatRemaining, localTime, openSocket } from "./live.js";

const root = document.getElementById("action");
const slug = root.dataset.slug;
const clock = new ServerClock();
let state = JSON.parse(document.getElementById("snapshot").textContent);
const followed = new Set(JSON.parse(document.getElementById("followed-handles")?.textContent || "[]"));
clock.seed(state.server_now);

const $ = (selector) => root.querySelector(selector);
const $$ = (selector) => root.querySelectorAll(selector);

function localPhase(now) {
  if (state.phase === "cancelled" || state.phase === "ended") return state.phase;
  if (now >= Date.parse(state.ends_at)) return "ended";
  if (now >= Date.parse(state.starts_at)) return "live";
  return "scheduled";
}

function render() {
  const { counts } = state;
  $$("[data-count]").forEach((el) => (el.textContent = counts[el.dataset.count] ?? 0));
  const share = counts.goal ? Math.min(100, (100 * counts.deeds) / counts.goal) : 0;
  const bar = $("[data-progress]");
  if (bar) bar.style.width = `${share}%`;
  const crowd = $("[data-crowd]");
  if (crowd) {
    crowd.replaceChildren(
      ...state.recent_pledges.map((p) => {
        const li = document.createElement("li");
        li.textContent = p.name;
        if (followed.has(p.handle)) li.className = "friend";
        return li;
      }),
    );
  }
}

const LABELS = {
  scheduled: "Starts in",
  live: "GO! Ends in",
  ended: "Ended",
  cancelled: "Cancelled",
};

let shownPhase = null;
function tick() {
  const now = clock.now();
  const phase = localPhase(now);
  if (phase !== shownPhase) {
    shownPhase = phase;
    root.dataset.phase = phase;
    $("[data-countdown-label]").textContent = LABELS[phase];
    const pill = $("[data-phase-label]");
    if (pill) {
      pill.textContent = phase;
      pill.className = `pill pill-${phase}`;
    }
    if (phase === "ended" || phase === "cancelled") {
      $("[data-join]")?.remove();
    }
    const when = $("[data-when]");
    if (when) when.textContent = phase === "scheduled" ? localTime(state.starts_at) : "";
  }
  const clockEl = $("[data-countdown]");
  if (phase === "scheduled") clockEl.textContent = formatRemaining(Date.parse(state.starts_at) - now);
  else if (phase === "live") clockEl.textContent = formatRemaining(Date.parse(state.ends_at) - now);
  else clockEl.textContent = phase === "cancelled" ? "—" : "00:00";
}

function onMessage(message) {
  switch (message.type) {
    case "snapshot":
      // A stale snapshot (an older seq overtaken in flight) is dropped.
      if (message.seq < state.seq) return;
      state = message;
      render();
      break;
    case "phase":
      state = { ...state, phase: message.phase, starts_at: message.starts_at, ends_at: message.ends_at };
      shownPhase = null;
      break;
    case "pledge":
      if (message.slug === slug) addFriend(message.name);
      break;
    case "error":
      console.warn("server says:", message.code, message.detail);
      break;
  }
}

function addFriend(name) {
  const box = $("[data-friends]");
  const names = $("[data-friend-names]");
  if (!box || !names) return;
  const current = names.textContent ? names.textContent.split(", ") : [];
  if (!current.includes(name)) names.textContent = [...current, name].join(", ");
  box.hidden = false;
}

document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copy);
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      document.execCommand?.("copy");
    }
  });
});
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});

render();
tick();
setInterval(tick, 200);
openSocket(`/ws/actions/${slug}/`, {
  onMessage,
  clock,
  onStatus: (status) => document.body.classList.toggle("offline", status !== "open"),
});
if (root.dataset.signedIn === "1") openSocket("/ws/me/", { onMessage });
