// One stream overlay widget (/a/<slug>/overlay/<widget>): the number bumps when it moves
// and a milestone is a tag beside it, never a banner over it.
import { createActionView, milestoneOf, readJson, replay } from "./action-view.js";
import { liveCascade } from "./cascade.js";
import { gettext } from "./i18n.js";

const root = document.getElementById("action");
const widget = root.dataset.widget;
for (const [name, value] of Object.entries(readJson("look", {}))) document.documentElement.style.setProperty(name, value);

const number = root.querySelector("[data-bump]");
const tag = root.querySelector("[data-milestone]");
const ticker = root.querySelector("[data-ticker]");
const onCascade = widget === "cascade" ? liveCascade(root.querySelector("[data-cascade]"), root.dataset.slug) : null;

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
    if (number && state.counts[key] > previous.counts[key]) replay(number, "bump");
    const reached = milestoneOf(state.counts);
    if (reached > milestoneOf(previous.counts)) {
      tag.textContent = reached === 100 ? gettext("Goal!") : `${reached}%!`;
      tag.hidden = false;
      replay(tag, "pop");
      clearTimeout(tag.timer);
      tag.timer = setTimeout(() => (tag.hidden = true), 5000);
    }
  },
  onMessage(message) {
    if (message.type === "cascade") onCascade?.(message);
  },
  query: widget === "cascade" ? "?cascade=1" : "",
}).start();
