// An action as a card (the home feed, Near me): the same look as templates/actions/_card.html.
import { localTime, node } from "./live.js";

export function actionCard(action, { note = "", fresh = false } = {}) {
  const link = node("a", `card action-card${fresh ? " card-new" : ""}`);
  link.href = action.url;
  link.dataset.slug = action.slug;
  const where = action.place_name || (action.radius_m === null ? "Anywhere" : "On the map");
  const time = node("time", "card-time", localTime(action.starts_at) + (note ? ` · ${note}` : ""));
  time.setAttribute("datetime", action.starts_at);
  link.append(
    node("span", `pill pill-${action.phase}`, action.phase),
    node("strong", "card-title", action.title),
    node("span", "card-meta", `${action.organizer.name} · ${where}`),
    time,
  );
  return link;
}
