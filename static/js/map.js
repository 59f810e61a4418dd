// A tile-free map of coarse public cells: the action's circle and the H3 hexagons the
// server chose to show (geo.public_areas). Works offline and on a transparent stream overlay.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

export function drawCells(container, action, cells, { labels = true, label = "with people checked in" } = {}) {
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
    "aria-label": `${cells.length} area${cells.length === 1 ? "" : "s"} ${label}`,
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
    if (!labels) return;
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

// A movement's places: one dot per local action at its coarse area (never the street),
// sized by deeds, coloured by phase; the biggest are named. Same tile-free drawing, in
// a fixed 500x300 frame so dots and labels keep their size whatever the distances.
const FRAME = { width: 500, height: 300, pad: 45 };
const LABEL_EM = 16; // .place-label's font-size, in the frame's units

export function drawPlaces(container, places) {
  if (!container) return;
  container.querySelector("svg")?.remove();
  const located = places.filter((p) => p.area);
  container.classList.toggle("is-empty", located.length === 0);
  if (!located.length) return;
  const lat0 = located.reduce((sum, p) => sum + p.area.lat, 0) / located.length;
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const raw = located.map((p) => [p.area.lon * kx, -p.area.lat]);
  const xs = raw.map(([x]) => x);
  const ys = raw.map(([, y]) => y);
  // At least a degree across, so two neighbouring towns do not sit at opposite edges.
  const spanX = Math.max(Math.max(...xs) - Math.min(...xs), 1);
  const spanY = Math.max(Math.max(...ys) - Math.min(...ys), 1);
  const { width, height, pad } = FRAME;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const [midX, midY] = [(Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2];
  const points = raw.map(([x, y]) => [width / 2 + (x - midX) * scale, height / 2 + (y - midY) * scale]);
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${located.length} place${located.length === 1 ? "" : "s"} doing this deed`,
  });
  const most = Math.max(1, ...located.map((p) => p.deeds));
  const radius = (p) => 7 + 16 * Math.sqrt(p.deeds / most);
  const order = located.map((_, i) => i).sort((a, b) => located[a].deeds - located[b].deeds);
  order.forEach((i) => {
    const [x, y] = points[i];
    svg.append(el("circle", { cx: x, cy: y, r: radius(located[i]), class: `place place-${located[i].phase}` }));
  });
  // Name the biggest places whose labels fit beside their dots without covering another label.
  const taken = [];
  const fits = (box) => box.x0 >= 0 && box.x1 <= width && !taken.some((t) => box.x0 < t.x1 && t.x0 < box.x1 && box.y0 < t.y1 && t.y0 < box.y1);
  order
    .slice()
    .reverse()
    .filter((i) => located[i].place_name || located[i].title)
    .slice(0, 8)
    .forEach((i) => {
      const [x, y] = points[i];
      const text = `${located[i].place_name || located[i].title} · ${located[i].deeds.toLocaleString()}`;
      const long = text.length * LABEL_EM * 0.56;
      const gap = radius(located[i]) + 5;
      const sides = [
        { x0: x + gap, x1: x + gap + long, anchor: "start", at: x + gap },
        { x0: x - gap - long, x1: x - gap, anchor: "end", at: x - gap },
      ].map((side) => ({ ...side, y0: y - LABEL_EM * 0.6, y1: y + LABEL_EM * 0.6 }));
      const side = sides.find(fits);
      if (!side) return;
      taken.push(side);
      const label = el("text", { x: side.at, y, class: "place-label", "text-anchor": side.anchor, "dominant-baseline": "central" });
      label.textContent = text;
      svg.append(label);
    });
  container.append(svg);
}
