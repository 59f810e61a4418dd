// A tile-free map of coarse public cells: the action's circle and the H3 hexagons the
// server chose to show (geo.public_areas). Works offline and on a transparent stream overlay.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

export function drawCells(container, action, cells) {
  if (!container) return;
  const hasCenter = action.lat !== null && action.lon !== null;
  const lat0 = hasCenter ? action.lat : cells[0]?.lat;
  const lon0 = hasCenter ? action.lon : cells[0]?.lon;
  const empty = container.querySelector("[data-map-empty]");
  if (empty) empty.hidden = cells.length > 0;
  container.querySelector("svg")?.remove();
  if (lat0 === undefined) return;

  // Local equirectangular projection in metres: fine at the scale of one action.
  const kx = 111320 * Math.cos((lat0 * Math.PI) / 180);
  const project = ([lat, lon]) => [(lon - lon0) * kx, -(lat - lat0) * 110540];
  const radius = action.radius_m ?? 0;
  let [minX, minY, maxX, maxY] = [-radius, -radius, radius, radius];
  const shapes = cells.map((cell) => cell.boundary.map(project));
  shapes.flat().forEach(([x, y]) => {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  const pad = Math.max(maxX - minX, maxY - minY, 200) * 0.12;
  const svg = el("svg", {
    viewBox: `${minX - pad} ${minY - pad} ${maxX - minX + 2 * pad} ${maxY - minY + 2 * pad}`,
    role: "img",
    "aria-label": `${cells.length} area${cells.length === 1 ? "" : "s"} with people checked in`,
  });
  const most = Math.max(1, ...cells.map((c) => c.people));
  const unit = (maxX - minX + 2 * pad) / 100;
  shapes.forEach((points, i) => {
    const share = cells[i].people / most;
    svg.append(
      el("polygon", {
        points: points.map((p) => p.join(",")).join(" "),
        class: "cell",
        "fill-opacity": (0.25 + 0.6 * share).toFixed(2),
      }),
    );
    const [cx, cy] = project([cells[i].lat, cells[i].lon]);
    const label = el("text", { x: cx, y: cy, class: "cell-label", "font-size": unit * 11, "text-anchor": "middle", "dominant-baseline": "central" });
    label.textContent = cells[i].people;
    svg.append(label);
  });
  if (hasCenter && radius) {
    svg.append(el("circle", { cx: 0, cy: 0, r: radius, class: "zone", "stroke-width": unit * 0.8 }));
    svg.append(el("circle", { cx: 0, cy: 0, r: unit * 1.6, class: "zone-center" }));
  }
  container.append(svg);
}
