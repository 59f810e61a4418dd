// A movement's page and its livestream dashboard: one exact tally over every local action,
// live from /ws/movements/<id>/ (newest seq wins; a reconnect brings a fresh snapshot).
import { gettext } from "./i18n.js";
import { localTime, node, openSocket, showConnection } from "./live.js";
import { drawPlaces } from "./map.js";

const root = document.getElementById("movement");
const list = root.querySelector("[data-movement-actions]");
const others = root.querySelector("[data-others]");
const onStream = document.body.classList.contains("dashboard");
const PHASE_WORDS = { live: gettext("Live"), scheduled: gettext("Soon"), ended: gettext("Ended"), cancelled: gettext("Cancelled") };
let state = JSON.parse(document.getElementById("movement-snapshot").textContent);

function card(action) {
  const link = node("a", "card action-card");
  link.href = action.url;
  link.append(
    node("span", `pill pill-${action.phase}`, PHASE_WORDS[action.phase]),
    node("strong", "card-title", action.title),
    node("span", "card-meta", `${action.organizer.name} · ${action.place_name || (action.area ? gettext("On the map") : gettext("Anywhere"))}`),
    node("span", "card-time", `${localTime(action.starts_at)} · ${action.counts.deeds.toLocaleString()} of ${action.counts.goal.toLocaleString()} deeds`),
  );
  return link;
}

function streamRow(action) {
  const li = node("li");
  li.append(node("span", "place-name", action.place_name || action.title), node("strong", "place-deeds", action.counts.deeds.toLocaleString()));
  return li;
}

function render() {
  root.querySelectorAll("[data-count]").forEach((el) => (el.textContent = (state.counts[el.dataset.count] ?? 0).toLocaleString()));
  root.querySelectorAll("[data-places]").forEach((el) => (el.textContent = state.places.toLocaleString()));
  root.querySelectorAll("[data-live]").forEach((el) => (el.textContent = state.live.toLocaleString()));
  const shown = onStream ? state.actions.filter((a) => a.phase === "live").slice(0, 8) : state.actions;
  list.replaceChildren(...shown.map(onStream ? streamRow : card));
  if (onStream && !shown.length) list.append(node("li", "muted", gettext("No place is live right now.")));
  others.hidden = state.others.length === 0;
  others.textContent = `And ${state.others.length.toLocaleString()} more place${state.others.length === 1 ? "" : "s"} by new organizers, counted in the total.`;
  const places = [...state.actions, ...state.others];
  drawPlaces(root.querySelector("[data-places-map]"), places);
}

render();
openSocket(`/ws/movements/${root.dataset.movementId}/`, {
  onMessage(message) {
    if (message.type !== "movement" || message.seq < state.seq) return;
    state = message;
    render();
  },
  onStatus: (status) => showConnection(document.querySelector("[data-connection]"), status),
});
