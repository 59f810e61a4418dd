// One stream overlay widget (/a/<slug>/overlay/<widget>): the number bumps when it moves
// and a milestone is a tag beside it, never a banner over it.
import { createActionView, readJson } from "./action-view.js";
import { liveCascade } from "./cascade.js";
import { gettext } from "./i18n.js";

const root = document.getElementById("action");
const widget = root.dataset.widget;
for (const [name, value] of Object.entries(readJson("look", {}))) document.documentElement.style.setProperty(name, value);

const MILESTONES = [25, 50, 75, 100, 150, 200, 300, 500];
const number = root.querySelector("[data-bump]");
const tag = root.querySelector("[data-milestone]");
const ticker = root.querySelector("[data-ticker]");
const onCascade = widget === "cascade" ? liveCascade(root.querySelector("[data-cascade]"), root.dataset.slug) : null;

function restart(el, className) {
  el.classList.remove(className);
  void el.offsetWidth;
  el.classList.add(className);
}

function milestone(counts) {
  const share = counts.goal ? (100 * counts.deeds) / counts.goal : 0;
  return MILESTONES.filter((m) => share >= m).pop() ?? 0;
}

function renderTicker(state) {
  ticker?.replaceChildren(
    ...state.recent_deeds.slice(0, 5).map((deed) => Object.assign(document.createElement("li"), { textContent: deed.name })),
  );
}

createActionView(root, {
  onSnapshot(state, previous) {
    renderTicker(state);
    root.querySelector("[data-thanks]")?.toggleAttribute("hidden", state.phase !== "ended");
    root.querySelector("[data-join-words]")?.toggleAttribute("hidden", state.phase === "ended");
    if (!previous) return;
    const key = number?.dataset.count;
    if (number && state.counts[key] > previous.counts[key]) restart(number, "bump");
    const reached = milestone(state.counts);
    if (reached > milestone(previous.counts)) {
      tag.textContent = reached === 100 ? gettext("Goal!") : `${reached}%!`;
      tag.hidden = false;
      restart(tag, "pop");
      clearTimeout(tag.timer);
      tag.timer = setTimeout(() => (tag.hidden = true), 5000);
    }
  },
  onMessage(message) {
    if (message.type === "cascade") onCascade?.(message);
  },
  query: widget === "cascade" ? "?cascade=1" : "",
}).start();
