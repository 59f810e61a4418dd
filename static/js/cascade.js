// The cascade, drawn: who brought whom as rings around the action. Each ring is one
// step further from the organizer's own crowd; people who brought nobody are folded into
// one arc per branch (coloured by how far they got), and the biggest sharers are named.
// Stays legible at thousands of people: at most MAX_SHOWN dots per branch, MAX_DEPTH rings.
import { gettext } from "./i18n.js";

const STAGE_COLORS = { done: "#4ade80", arrived: "#fbbf24", pledged: "#60a5fa", visited: "#64748b" };
const STAGE_ORDER = ["done", "arrived", "pledged", "visited"];
const MAX_SHOWN = 24;
// The crowd that came directly is the widest ring: name more of its sharers.
const MAX_SHOWN_FIRST = 48;
const MAX_DEPTH = 5;
const LABELS = 6;

export class CascadeState {
  constructor() {
    this.nodes = new Map();
    this.seq = -1;
    this.totals = [];
    this.people = 0;
  }
  // Returns false when a frame is missing in between: the caller fetches the whole graph.
  apply(frame) {
    if (frame.full) this.nodes.clear();
    else if (frame.seq <= this.seq) return true;
    else if (this.seq >= 0 && frame.seq > this.seq + 1) return false;
    frame.nodes.forEach((node) => this.nodes.set(node.id, node));
    frame.removed.forEach((id) => this.nodes.delete(id));
    this.seq = frame.seq;
    this.totals = frame.totals;
    this.people = frame.people;
    return true;
  }
}

function tree(nodes) {
  const children = new Map([[null, []]]);
  for (const node of nodes.values()) {
    const parent = node.brought_by !== null && nodes.has(node.brought_by) ? node.brought_by : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(node);
  }
  const weight = new Map();
  const weigh = (node) => {
    let total = 1;
    for (const child of children.get(node.id) ?? []) total += weigh(child);
    weight.set(node.id, total);
    return total;
  };
  children.get(null).forEach(weigh);
  return { children, weight };
}

function stageCounts(nodes, children) {
  const counts = { done: 0, arrived: 0, pledged: 0, visited: 0 };
  const add = (node) => {
    counts[node.stage] += 1;
    (children.get(node.id) ?? []).forEach(add);
  };
  nodes.forEach(add);
  return counts;
}

// Places dots and folded arcs: each child gets a slice of its parent's angle in
// proportion to everyone below it.
function layout(state) {
  const { children, weight } = tree(state.nodes);
  const dots = [];
  const arcs = [];
  const place = (parentDot, kids, depth, a0, a1) => {
    const sorted = [...kids].sort((x, y) => weight.get(y.id) - weight.get(x.id));
    const most = depth === 0 ? MAX_SHOWN_FIRST : MAX_SHOWN;
    const shown = depth < MAX_DEPTH ? sorted.filter((k) => weight.get(k.id) > 1).slice(0, most) : [];
    const folded = sorted.filter((k) => !shown.includes(k));
    const foldWeight = folded.reduce((sum, k) => sum + weight.get(k.id), 0);
    const total = shown.reduce((sum, k) => sum + weight.get(k.id), 0) + foldWeight;
    let angle = a0;
    for (const kid of shown) {
      const span = ((a1 - a0) * weight.get(kid.id)) / total;
      const dot = { node: kid, depth, angle: angle + span / 2, parent: parentDot, weight: weight.get(kid.id) };
      dots.push(dot);
      place(dot, children.get(kid.id) ?? [], depth + 1, angle, angle + span);
      angle += span;
    }
    if (folded.length) arcs.push({ depth, a0: angle, a1: a1, parent: parentDot, counts: stageCounts(folded, children), size: foldWeight });
  };
  place(null, children.get(null) ?? [], 0, -Math.PI / 2, (3 * Math.PI) / 2);
  return { dots, arcs };
}

export function drawCascade(canvas, state, { dark = true } = {}) {
  const box = canvas.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  if (!box.width || !box.height) return;
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, box.width, box.height);
  const cx = box.width / 2;
  const cy = box.height / 2;
  const { dots, arcs } = layout(state);
  const deepest = Math.max(0, ...dots.map((d) => d.depth), ...arcs.map((a) => a.depth));
  const outer = Math.min(cx, cy) - 8;
  const step = Math.min(outer / (deepest + 1.6), outer / 2.2);
  const ring = (depth) => step * (depth + 1.2);
  const at = (depth, angle) => [cx + ring(depth) * Math.cos(angle), cy + ring(depth) * Math.sin(angle)];
  const ink = dark ? "255 255 255" : "17 24 39";

  ctx.lineCap = "round";
  for (const arc of arcs) {
    const from = arc.parent ? at(arc.parent.depth, arc.parent.angle) : null;
    const gap = Math.min(0.02, (arc.a1 - arc.a0) * 0.1);
    let a = arc.a0 + gap;
    const span = arc.a1 - arc.a0 - 2 * gap;
    // A fold stands for many people: the wider its share of the ring, the thicker it is
    // drawn, so a ring of people who brought nobody does not read as empty.
    ctx.lineWidth = Math.max(4, step * Math.min(0.6, 0.22 + (arc.a1 - arc.a0) / 8));
    for (const stage of STAGE_ORDER) {
      const share = (span * arc.counts[stage]) / arc.size;
      if (share <= 0) continue;
      ctx.strokeStyle = STAGE_COLORS[stage];
      ctx.beginPath();
      ctx.arc(cx, cy, ring(arc.depth), a, a + Math.max(share, 0.002));
      ctx.stroke();
      a += share;
    }
    if (from) {
      ctx.strokeStyle = `rgb(${ink} / 0.18)`;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(...from);
      ctx.lineTo(...at(arc.depth, (arc.a0 + arc.a1) / 2));
      ctx.stroke();
    }
  }
  for (const dot of dots) {
    const [x, y] = at(dot.depth, dot.angle);
    const [px, py] = dot.parent ? at(dot.parent.depth, dot.parent.angle) : [cx, cy];
    ctx.strokeStyle = `rgb(${ink} / ${dot.parent ? 0.35 : 0.15})`;
    ctx.lineWidth = Math.min(4, 1 + Math.log2(dot.weight));
    ctx.beginPath();
    ctx.moveTo(px, py);
    ctx.lineTo(x, y);
    ctx.stroke();
  }
  for (const dot of dots) {
    const [x, y] = at(dot.depth, dot.angle);
    ctx.fillStyle = STAGE_COLORS[dot.node.stage];
    ctx.beginPath();
    ctx.arc(x, y, Math.min(step * 0.3, 3 + 2.2 * Math.sqrt(dot.weight)), 0, 2 * Math.PI);
    ctx.fill();
  }
  // The centre: the action itself, and how many people the cascade holds.
  ctx.fillStyle = dark ? "#0b1220" : "#fff";
  ctx.strokeStyle = `rgb(${ink} / 0.5)`;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(cx, cy, Math.max(18, step * 0.55), 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = `rgb(${ink})`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.font = `800 ${Math.max(13, step * 0.34)}px system-ui, sans-serif`;
  ctx.fillText(state.people.toLocaleString(), cx, cy);

  // The biggest sharers, named where they allow it.
  const top = dots.filter((d) => d.node.branch > 0).sort((a, b) => b.node.branch - a.node.branch).slice(0, LABELS);
  ctx.font = `700 ${Math.max(12, Math.min(22, step * 0.3))}px system-ui, sans-serif`;
  ctx.lineJoin = "round";
  const placed = [];
  const lineHeight = Math.max(12, Math.min(22, step * 0.3)) * 1.3;
  for (const dot of top) {
    const [x, y] = at(dot.depth, dot.angle);
    // Biggest first: a label that would overlap a bigger sharer's on the same side waits.
    const side = Math.cos(dot.angle) >= 0;
    if (placed.some((p) => p.side === side && Math.abs(p.y - y) < lineHeight && Math.abs(p.x - x) < step * 3)) continue;
    placed.push({ side, x, y });
    const label = `${dot.node.name ?? gettext("Someone")} +${dot.node.branch.toLocaleString()}`;
    const right = Math.cos(dot.angle) >= 0;
    ctx.textAlign = right ? "left" : "right";
    const tx = x + (right ? 10 : -10);
    ctx.strokeStyle = dark ? "rgb(11 18 32 / 0.85)" : "rgb(255 255 255 / 0.9)";
    ctx.lineWidth = 4;
    ctx.strokeText(label, tx, y);
    ctx.fillStyle = dark ? "#f8fafc" : "#111827";
    ctx.fillText(label, tx, y);
  }
}

// The totals by depth, in words: "12 came directly · 30 through a friend · 4 through a
// friend's friend · 9 further out". One line on a stream, however deep the cascade goes.
const DEPTH_WORDS = [gettext("came directly"), gettext("through a friend"), gettext("through a friend's friend")];

export function depthWords(totals) {
  const rows = totals.filter((row) => row.pledged > 0);
  const near = rows.filter((row) => row.depth < DEPTH_WORDS.length);
  const further = rows.filter((row) => row.depth >= DEPTH_WORDS.length).reduce((sum, row) => sum + row.pledged, 0);
  const words = near.map((row) => `${row.pledged.toLocaleString()} ${DEPTH_WORDS[row.depth]}`);
  if (further) words.push(`${further.toLocaleString()} ${gettext("further out")}`);
  return words.join(" · ");
}

// A canvas that follows an action's cascade frames live: a missing frame fetches the
// whole graph again, and any change of the canvas's box redraws it at its new size.
export function liveCascade(canvas, slug, wordsEl = null) {
  const state = new CascadeState();
  let drawing = null;
  const redraw = () => {
    if (drawing || !canvas) return;
    drawing = requestAnimationFrame(() => {
      drawing = null;
      // Words first: a second line of them shrinks the canvas, which must be measured after.
      if (wordsEl) wordsEl.textContent = depthWords(state.totals) || gettext("Share links bring people in: watch the crowd grow here.");
      drawCascade(canvas, state);
    });
  };
  if (canvas) new ResizeObserver(redraw).observe(canvas);
  return async (frame) => {
    if (!state.apply(frame)) {
      const response = await fetch(`/api/v1/actions/${slug}/cascade`, { credentials: "same-origin" }).catch(() => null);
      if (response?.ok) state.apply(await response.json());
    }
    redraw();
  };
}
