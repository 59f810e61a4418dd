// The results page: the coarse map and the progress bar (no inline script or style: CSP).
import { CascadeState, depthWords, drawCascade } from "./cascade.js";
import { drawCells } from "./map.js";
import { shareLink } from "./live.js";
import { verifiedWords } from "./words.js";

const snapshot = JSON.parse(document.getElementById("snapshot").textContent);
drawCells(document.querySelector("[data-map]"), snapshot.action, snapshot.cells);
for (const bar of document.querySelectorAll("[data-percent]")) {
  bar.style.width = `${Math.min(100, Number(bar.dataset.percent) || 0)}%`;
}

const cascade = new CascadeState();
cascade.apply(JSON.parse(document.getElementById("cascade").textContent));
const canvas = document.querySelector("[data-cascade]");
document.querySelector("[data-cascade-words]").textContent = depthWords(cascade.totals) || "Nobody has joined yet.";
new ResizeObserver(() => drawCascade(canvas, cascade, { dark: false })).observe(canvas);

const verified = document.querySelector("[data-verified-by]");
if (verified) verified.textContent = verifiedWords(JSON.parse(document.getElementById("verified-by").textContent));

// Share: the phone's own share sheet where the browser has one, else copy the link.
document.querySelector("[data-share-link]")?.addEventListener("click", (event) => shareLink(event.currentTarget));
