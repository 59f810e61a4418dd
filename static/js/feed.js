// Home page: followed organizers' launches appear live.
import { gettext } from "./i18n.js";
import { actionCard } from "./cards.js";
import { localizeTimes, node, openSocket } from "./live.js";

localizeTimes();
const feed = document.getElementById("feed");

if (feed) {
  openSocket("/ws/me/", {
    onMessage(message) {
      if (message.type !== "launch" && message.type !== "raid") return;
      // A raid from an action this person pledged to: the next action leads the feed.
      const action = message.type === "raid" ? message.to : message.action;
      feed.querySelector(`[data-slug="${action.slug}"]`)?.remove();
      feed.querySelector(".empty")?.remove();
      const made = actionCard(action, { fresh: true });
      if (message.type === "raid") {
        made.href = `${action.url}?via_raid=${encodeURIComponent(message.slug)}`;
        made.prepend(node("span", "card-raid", gettext("Your crowd moved on to")));
      }
      feed.prepend(made);
    },
    onStatus(status) {
      document.getElementById("feed-status")?.classList.toggle("on", status === "open");
    },
  });
}
