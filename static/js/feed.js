// Home page: followed organizers' launches appear live.
import { localTime, localizeTimes, openSocket } from "./live.js";

localizeTimes();
const feed = document.getElementById("feed");

function card(action) {
  const link = document.createElement("a");
  link.className = "card action-card card-new";
  link.href = action.url;
  link.dataset.slug = action.slug;
  const pill = Object.assign(document.createElement("span"), { className: `pill pill-${action.phase}`, textContent: action.phase });
  const title = Object.assign(document.createElement("strong"), { className: "card-title", textContent: action.title });
  const where = action.place_name || (action.radius_m === null ? "Anywhere" : "On the map");
  const meta = Object.assign(document.createElement("span"), { className: "card-meta", textContent: `${action.organizer.name} · ${where}` });
  const time = Object.assign(document.createElement("time"), { className: "card-time", textContent: localTime(action.starts_at) });
  time.setAttribute("datetime", action.starts_at);
  link.append(pill, title, meta, time);
  return link;
}

if (feed) {
  openSocket("/ws/me/", {
    onMessage(message) {
      if (message.type !== "launch" && message.type !== "raid") return;
      // A raid from an action this person pledged to: the next action leads the feed.
      const action = message.type === "raid" ? message.to : message.action;
      feed.querySelector(`[data-slug="${action.slug}"]`)?.remove();
      feed.querySelector(".empty")?.remove();
      const made = card(action);
      if (message.type === "raid") {
        made.href = `${action.url}?via_raid=${encodeURIComponent(message.slug)}`;
        made.prepend(Object.assign(document.createElement("span"), { className: "card-raid", textContent: "Your crowd moved on to" }));
      }
      feed.prepend(made);
    },
    onStatus(status) {
      document.getElementById("feed-status")?.classList.toggle("on", status === "open");
    },
  });
}
