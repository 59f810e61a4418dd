// The results page: the coarse map and the progress bar (no inline script or style: CSP).
import { drawCells } from "./map.js";

const snapshot = JSON.parse(document.getElementById("snapshot").textContent);
drawCells(document.querySelector("[data-map]"), snapshot.action, snapshot.cells);
for (const bar of document.querySelectorAll("[data-percent]")) {
  bar.style.width = `${Number(bar.dataset.percent) || 0}%`;
}
