// The livestream dashboard: legible from across a room, updates live, heals itself.
import { api, createActionView, messageBanner, milestoneOf, replay } from "./action-view.js";
import { renderRaid, renderSpotlight } from "./attention.js";
import { liveCascade } from "./cascade.js";
import { format, gettext, ngettext } from "./i18n.js";
import { drawCells } from "./map.js";

const root = document.getElementById("action");
const ticker = root.querySelector("[data-ticker]");
const celebration = document.querySelector("[data-celebration]");
const showMessage = messageBanner(document.querySelector("[data-message]"));
let reached = 0;


// Shows `el` with `text`, restarts its pop animation, hides it after `ms`.
function pop(el, text, ms) {
  el.querySelector("span").textContent = text;
  el.hidden = false;
  replay(el, "pop");
  clearTimeout(el.popTimer);
  el.popTimer = setTimeout(() => (el.hidden = true), ms);
}

// Above the title, never over the tally: the number itself bumps.
function celebrate(milestone) {
  const words = milestone === 100 ? gettext("Goal reached!") : milestone > 100 ? gettext("%(percent)s of the goal!") : gettext("%(percent)s there!");
  pop(celebration, format(words, { percent: `${milestone}%` }), 5000);
}

// After the end the join invitation gives way to the end card (and where the crowd went).
function renderEnd(state) {
  const over = state.phase === "ended" || state.phase === "cancelled";
  root.querySelector("[data-dash-join]").hidden = over;
  root.querySelector("[data-dash-end]").hidden = state.phase !== "ended";
  const { deeds, checked_in: people } = state.counts;
  root.querySelector("[data-end-numbers]").textContent = `${format(ngettext("%(n)s deed", "%(n)s deeds", deeds), { n: deeds.toLocaleString() })} · ${format(
    ngettext("%(n)s person on the spot", "%(n)s people on the spot", people),
    { n: people.toLocaleString() },
  )}`;
  const next = root.querySelector("[data-end-next]");
  next.hidden = !state.raid;
  if (state.raid) next.textContent = format(gettext("Next: %(title)s"), { title: state.raid.title });
}

function renderTicker(state, previous) {
  const known = new Set((previous?.recent_deeds ?? []).map((d) => `${d.handle}@${d.at}`));
  ticker.replaceChildren(
    ...state.recent_deeds.map((deed) => {
      const li = document.createElement("li");
      li.textContent = deed.name;
      if (previous && !known.has(`${deed.handle}@${deed.at}`)) li.className = "new";
      return li;
    }),
  );
  root.querySelector("[data-ticker-empty]").hidden = state.recent_deeds.length > 0;
}

// A momentum level: a banner over the title, never over the tally.
function showLevel(message) {
  pop(document.querySelector("[data-level]"), format(gettext("Level %(level)s! +%(minutes)s min"), { level: message.level, minutes: message.added_minutes }), 6000);
}

function renderMomentum(momentum) {
  const el = root.querySelector("[data-momentum]");
  if (!el) return;
  el.hidden = !momentum;
  if (momentum) {
    const next = format(gettext("%(deeds)s deeds in %(within)s min = +%(add)s min"), {
      deeds: momentum.deeds,
      within: momentum.within_minutes,
      add: momentum.add_minutes,
    });
    if (momentum.added_minutes >= momentum.cap_minutes) el.textContent = format(gettext("Level %(level)s · every extra minute earned"), momentum);
    else el.textContent = momentum.level ? format(gettext("Level %(level)s · next: %(next)s"), { level: momentum.level, next }) : format(gettext("Next level: %(next)s"), { next });
  }
}

const onCascade = liveCascade(root.querySelector("[data-cascade]"), root.dataset.slug, root.querySelector("[data-cascade-words]"));

const view = createActionView(root, {
  query: "?cascade=1",
  onPhase: () => view && renderEnd({ ...view.state, phase: view.phase }),
  onSnapshot(state, previous) {
    renderTicker(state, previous);
    renderMomentum(state.phase === "live" || state.phase === "scheduled" ? state.momentum : null);
    renderSpotlight(root.querySelector("[data-spotlight]"), state.spotlight, state.action.slug);
    renderRaid(document.querySelector("[data-raid]"), state.action.slug, state.raid);
    drawCells(root.querySelector("[data-map]"), state.action, state.cells);
    // "Anywhere" with no area to show yet: the room goes to the cascade.
    root.querySelector("[data-map]").hidden = state.action.lat === null && state.cells.length === 0;
    renderEnd({ ...state, phase: view?.phase ?? state.phase });
    if (previous && state.counts.deeds > previous.counts.deeds) replay(root.querySelector("[data-bump]"), "bump");
    const milestone = milestoneOf(state.counts);
    if (previous === null) reached = milestone;  // no fanfare for what was already reached
    else if (milestone > reached) {
      reached = milestone;
      celebrate(milestone);
    }
    [...state.messages].reverse().forEach((m) => showMessage(m, { quiet: previous === null }));
  },
  onMessage(message) {
    if (message.type === "message") showMessage(message);
    else if (message.type === "cascade") onCascade(message);
    else if (message.type === "level") showLevel(message);
    else if (message.type === "spotlight") renderSpotlight(root.querySelector("[data-spotlight]"), message.actions, message.slug);
    else if (message.type === "raid") renderRaid(document.querySelector("[data-raid]"), message.slug, message.to);
  },
});
view.start();

// A code screen at the spot: the code changes every 30 s, fetched from the server when it
// does (the secret never reaches the page), with a bar running down to the next one.
const presence = document.querySelector("[data-presence]");
async function showPresenceCode() {
  const key = presence.dataset.presence;
  const { ok, data } = await api("GET", `/api/v1/actions/${root.dataset.slug}/presence-code?key=${encodeURIComponent(key)}`).catch(() => ({ ok: false }));
  if (!ok) {
    setTimeout(showPresenceCode, 3000);
    return;
  }
  presence.querySelector("[data-presence-code]").textContent = `${data.code.slice(0, 3)} ${data.code.slice(3)}`;
  presence.querySelector("[data-presence-qr]").src = `/a/${root.dataset.slug}/presence.svg?key=${encodeURIComponent(key)}&code=${data.code}`;
  const left = Math.max(500, Date.parse(data.changes_at) - view.clock.now());
  const timer = presence.querySelector("[data-presence-timer]");
  timer.style.transition = "none";
  timer.style.width = `${(100 * left) / 30000}%`;
  void timer.offsetWidth;
  timer.style.transition = `width ${left}ms linear`;
  timer.style.width = "0%";
  setTimeout(showPresenceCode, left + 200);
}
if (presence) showPresenceCode();
