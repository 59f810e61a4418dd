// Organizer console: the live funnel, messages to everyone, end and cancel.
import { api, createActionView } from "./action-view.js";

const root = document.getElementById("action");
const slug = root.dataset.slug;
const $ = (selector) => root.querySelector(selector);
let funnelTimer = null;

function drawFunnel(counts) {
  const base = Math.max(1, counts.pledged);
  root.querySelectorAll("[data-funnel-bar]").forEach((bar) => {
    bar.style.width = `${(100 * (counts[bar.dataset.funnelBar] ?? 0)) / base}%`;
  });
}

// Pending and refusals are organizer-only details: fetched, at most once a second.
function refreshFunnel() {
  clearTimeout(funnelTimer);
  funnelTimer = setTimeout(async () => {
    const { ok, data } = await api("GET", `/api/v1/actions/${slug}/funnel`).catch(() => ({ ok: false }));
    if (!ok) return;
    $("[data-pending]").textContent = data.pending;
    const reasons = Object.entries(data.rejected).map(([reason, n]) => `${reason.replace("_", " ")} ${n}`);
    $("[data-rejected]").textContent = reasons.join(", ") || "none";
  }, 1000);
}

function showSent(messages) {
  $("[data-sent]").replaceChildren(
    ...messages.map((m) => Object.assign(document.createElement("li"), { textContent: m.text })),
  );
}

const view = createActionView(root, {
  onSnapshot(state) {
    drawFunnel(state.counts);
    showSent(state.messages);
    refreshFunnel();
  },
  onPhase(phase) {
    const over = phase === "ended" || phase === "cancelled";
    $("[data-controls]").hidden = over;
    $("[data-message-form]").hidden = phase === "cancelled";
  },
});

$("[data-message-form]").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $("[data-message-error]");
  const { ok, data } = await api("POST", `/api/v1/actions/${slug}/messages`, { text: form.text.value });
  error.hidden = ok;
  if (!ok) {
    error.textContent = data.detail;
    return;
  }
  form.reset();
  showSent([data, ...view.state.messages.filter((m) => m.id !== data.id)].slice(0, 3));
});

$("[data-end]").addEventListener("click", async (event) => {
  if (!confirm(event.currentTarget.dataset.confirm)) return;
  const { ok, data } = await api("POST", `/api/v1/actions/${slug}/end`);
  const error = $("[data-control-error]");
  error.hidden = ok;
  if (ok) view.handle({ type: "phase", phase: data.phase, starts_at: data.starts_at, ends_at: data.ends_at });
  else error.textContent = data.detail;
});
root.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});

view.start();
