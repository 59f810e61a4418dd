// Attention shared between actions: the spotlight cards and the raid hand-over, drawn
// the same way on the action page and the dashboard.
import { format, gettext } from "./i18n.js";
import { api } from "./action-view.js";
import { localTime, node } from "./live.js";

function when(item) {
  return item.phase === "live" ? gettext("Live now") : format(gettext("Starts %(when)s"), { when: localTime(item.starts_at) });
}

export function renderSpotlight(section, items, sourceSlug) {
  if (!section) return;
  const cards = section.querySelector("[data-spotlight-cards]");
  cards.replaceChildren(
    ...items.map((item) => {
      const card = node("a", `spot-card spot-${item.phase}`);
      card.href = `${item.url}?via_spotlight=${encodeURIComponent(sourceSlug)}`;
      card.append(node("span", "spot-when", when(item)), node("strong", "", item.title), node("span", "spot-deed", item.deed));
      card.append(node("span", "spot-by", `by ${item.organizer.name} · code ${item.join_code}`));
      return card;
    }),
  );
  section.hidden = items.length === 0;
}

// The crowd moves on: a one-tap pledge there for people signed in, a link for the rest.
export function renderRaid(section, sourceSlug, target, { signedIn = false } = {}) {
  if (!section || !target) return;
  section.querySelector("[data-raid-title]").textContent = target.title;
  section.querySelector("[data-raid-deed]").textContent = `${target.deed} · ${when(target)} · by ${target.organizer.name}`;
  const code = section.querySelector("[data-raid-code]");
  if (code) code.textContent = target.join_code;
  const qr = section.querySelector("[data-raid-qr]");
  if (qr) qr.src = `${target.url}/qr.svg`;
  const go = section.querySelector("[data-raid-go]");
  if (go) {
    const link = `${target.url}?via_raid=${encodeURIComponent(sourceSlug)}`;
    go.onclick = async () => {
      if (!signedIn) return location.assign(link);
      go.disabled = true;
      const { ok, data } = await api("POST", `/api/v1/actions/${target.slug}/pledges`, { via_raid: sourceSlug });
      if (ok) location.assign(target.url);
      else {
        go.disabled = false;
        Object.assign(section.querySelector("[data-raid-error]"), { textContent: data.detail, hidden: false });
      }
    };
  }
  section.hidden = false;
}
