// Organizer console: the live funnel, messages to everyone, end and cancel.
import { api, createActionView, readJson } from "./action-view.js";
import { gettext } from "./i18n.js";
import { clockTime, node, wireCopyButtons } from "./live.js";
import { methodWords, verifiedWords } from "./words.js";

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
    $("[data-rejected]").textContent = reasons.join(", ") || gettext("none");
    $("[data-verified-by]").textContent = verifiedWords(data.verified_by);
  }, 1000);
}

// Each message with the time it went out: "sent" means every phone and the dashboard got it.
function showSent(messages) {
  $("[data-sent]").replaceChildren(
    ...messages.map((m) => {
      const item = node("li", "sent-item");
      item.append(node("span", "sent-text", m.text), node("time", "sent-at", `${clockTime(m.at, { seconds: true })} · ${gettext("sent")} ✓`));
      item.lastChild.dateTime = m.at;
      return item;
    }),
  );
}

const STAGE_WORDS = {
  pledged: gettext("pledged"),
  checking: gettext("checking"),
  refused: gettext("refused"),
  here: gettext("here"),
  done: gettext("done"),
};

// The live list of people and where each one is; at most once a second.
let peopleTimer = null;
function refreshPeople() {
  if (peopleTimer) return;
  peopleTimer = setTimeout(async () => {
    peopleTimer = null;
    const { ok, data } = await api("GET", `/api/v1/actions/${slug}/participants`).catch(() => ({ ok: false }));
    if (!ok) return;
    const body = $("[data-participants]");
    if (!data.length) return;
    body.replaceChildren(
      ...data.map((person) => {
        const row = node("tr");
        const stage = node("td");
        stage.append(node("span", `stage stage-${person.stage}`, STAGE_WORDS[person.stage] ?? person.stage));
        const how = [person.stage === "refused" ? person.reason.replaceAll("_", " ") : person.method && methodWords(person.method)];
        if (person.synced_late) how.push(methodWords("synced_late"));
        row.append(node("td", "", person.name), stage, node("td", "muted", how.filter(Boolean).join(" · ")), node("td", "muted", clockTime(person.at, { seconds: true })));
        return row;
      }),
    );
    $("[data-participants-note]").textContent = data.length >= 200 ? gettext("the latest 200") : "";
  }, 1000);
}

// A co-organizer who was removed (or a lead who handed over) sees it at once; the
// server refuses their taps either way.
function checkPowers(state) {
  const organizers = [state.action.organizer.handle, ...state.co_organizers.map((p) => p.handle)];
  const still = organizers.includes(root.dataset.me);
  $("[data-no-longer]").hidden = still;
  for (const selector of ["[data-controls]", "[data-message-form]", "[data-organizers]", "[data-network]"]) $(selector).hidden ||= !still;
  const lead = state.action.organizer.handle === root.dataset.me;
  if (still && (lead ? "1" : "0") !== root.dataset.lead) location.reload();  // the lead changed hands
}

const view = createActionView(root, {
  onSnapshot(state) {
    checkPowers(state);
    drawFunnel(state.counts);
    showSent(state.messages);
    refreshFunnel();
    refreshPeople();
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
async function organizers(method, path, body) {
  const { ok, data } = await api(method, `/api/v1/actions/${slug}/${path}`, body);
  const error = $("[data-organizer-error]");
  error.hidden = ok;
  if (ok) location.reload();
  else error.textContent = data.detail;
}
$("[data-invite-form]")?.addEventListener("submit", (event) => {
  event.preventDefault();
  organizers("POST", "organizers", { handle: event.currentTarget.handle.value.trim().replace(/^@/, "") });
});
root.querySelectorAll("[data-remove]").forEach((button) =>
  button.addEventListener("click", () => organizers("DELETE", `organizers/${button.dataset.remove}`)),
);
root.querySelectorAll("[data-make-lead]").forEach((button) =>
  button.addEventListener("click", () => {
    if (confirm("Hand the lead over? You stay on as a co-organizer.")) organizers("POST", "lead", { handle: button.dataset.makeLead });
  }),
);
// Another action, named by a link, a slug or a join code.
async function resolveSlug(text) {
  const value = text.trim();
  const linked = value.match(/\/a\/([-\w]+)/);
  if (linked) return linked[1];
  if (/^[A-Za-z0-9]{6}$/.test(value)) {
    const { ok, data } = await api("GET", `/api/v1/join/${value}`);
    if (ok) return data.action.slug;
  }
  return value;
}

async function network(method, path, body, done) {
  const { ok, data } = await api(method, `/api/v1/actions/${slug}/${path}`, body);
  const error = $("[data-network-error]");
  error.hidden = ok;
  $("[data-network-ok]").hidden = !ok;
  if (ok) $("[data-network-ok]").textContent = done;
  else error.textContent = data.detail;
}

$("[data-spotlight-form]")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = [...event.currentTarget.querySelectorAll("[name=spot]")].map((i) => i.value).filter((v) => v.trim());
  const slugs = await Promise.all(values.map(resolveSlug));
  network("PUT", "spotlight", { slugs }, slugs.length ? gettext("Spotlight saved: it is on every screen now.") : gettext("Spotlight cleared."));
});
$("[data-raid-form]")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!confirm(gettext("End this action and hand everyone on?"))) return;
  network("POST", "raid", { to: await resolveSlug(event.currentTarget.to.value) }, gettext("Raid sent: every phone and the dashboard have it."));
});
$("[data-momentum-form]")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = Object.fromEntries(["deeds", "within_minutes", "add_minutes", "cap_minutes"].map((k) => [k, Number(form[k].value)]));
  network("PUT", "momentum", body, gettext("Levels set: the dashboard shows them."));
});

root.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});

view.start();
wireCopyButtons();
$("[data-verified-by]").textContent = verifiedWords(readJson("verified-by", {}));
