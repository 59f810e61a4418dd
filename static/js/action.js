// The participant's action page: join, countdown, "I'm here", "Done!".
import { api, createActionView, messageBanner, readJson } from "./action-view.js";
import { renderRaid, renderSpotlight } from "./attention.js";
import { openSocket } from "./live.js";

const root = document.getElementById("action");
const me = readJson("me", { pledged: false, checkin: null });
const followed = new Set(readJson("followed-handles", []));
const slug = root.dataset.slug;
const anywhere = root.dataset.anywhere === "1";
const $ = (selector) => root.querySelector(selector);
const showMessage = messageBanner(document.querySelector("[data-message]"));
let attemptKey = null;
let polling = null;

function renderCrowd(state) {
  const crowd = $("[data-crowd]");
  if (!crowd) return;
  crowd.replaceChildren(
    ...state.recent_pledges.map((p) => {
      const li = document.createElement("li");
      li.textContent = p.name;
      if (followed.has(p.handle)) li.className = "friend";
      return li;
    }),
  );
}

function show(selector, visible) {
  const el = $(selector);
  if (el) el.hidden = !visible;
}

function setStatus(text, tone = "") {
  const el = $("[data-status]");
  el.textContent = text || "";
  el.className = `status ${tone}`;
  el.hidden = !text;
}

function renderMe() {
  const phase = view.phase;
  const open = phase === "scheduled" || phase === "live";
  const checkin = me.checkin;
  show("[data-join]", !me.pledged && open);
  show("[data-pledged]", me.pledged);
  show("[data-share]", me.pledged);
  const canCheckIn = me.pledged && phase === "live" && (!checkin || checkin.status === "rejected");
  show("[data-here]", canCheckIn);
  $("[data-here]").textContent = checkin?.status === "rejected" ? "Try again" : anywhere ? "I'm doing it" : "I'm here";
  show("[data-done]", checkin?.status === "verified" && !checkin.deed_done && phase !== "cancelled");
  show("[data-thanks]", Boolean(checkin?.deed_done));
  if (!checkin) setStatus(me.pledged && phase === "scheduled" ? "When the countdown hits zero, tap “I'm here” on the spot." : "");
  else if (checkin.deed_done) setStatus("");
  else setStatus(checkin.detail, checkin.status);
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject({ code: 0 });
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });
}

function newKey() {
  return crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function checkIn(button) {
  button.disabled = true;
  setStatus(anywhere ? "Checking you in…" : "Finding you…", "pending");
  let coords = {};
  if (!anywhere) {
    try {
      const { coords: c } = await position();
      coords = { lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy };
    } catch (error) {
      setStatus(
        error.code === 1
          ? "Location is blocked. Allow location for this site in your browser settings, then try again."
          : "Could not find your location. Step into the open and try again.",
        "rejected",
      );
      button.disabled = false;
      return;
    }
  }
  // Keep the key across a network failure so a retry cannot make a second check-in.
  attemptKey ??= newKey();
  try {
    const { ok, data } = await api("POST", `/api/v1/actions/${slug}/checkins`, { ...coords, idempotency_key: attemptKey });
    attemptKey = null;
    if (!ok) {
      setStatus(data.detail, "rejected");
      return;
    }
    me.pledged = true;
    me.checkin = data;
    renderMe();
    if (data.status === "pending") pollVerdict();
  } catch {
    setStatus("No connection. Tap again when you have signal.", "rejected");
  } finally {
    button.disabled = false;
  }
}

// The verdict normally arrives on the personal socket; polling covers a lost message.
function pollVerdict(attempts = 30) {
  clearTimeout(polling);
  if (me.checkin?.status !== "pending" || attempts === 0) return;
  polling = setTimeout(async () => {
    const { ok, data } = await api("GET", `/api/v1/actions/${slug}/checkins/mine`).catch(() => ({ ok: false }));
    if (ok && me.checkin?.status === "pending") {
      me.checkin = data;
      renderMe();
    }
    pollVerdict(attempts - 1);
  }, 2000);
}

async function markDone(button) {
  button.disabled = true;
  try {
    const { ok, data } = await api("POST", `/api/v1/actions/${slug}/deeds`);
    if (ok) {
      me.checkin = data;
      renderMe();
      navigator.vibrate?.([80, 60, 80]);
    } else setStatus(data.detail, "rejected");
  } catch {
    setStatus("No connection. Tap again when you have signal.", "rejected");
  } finally {
    button.disabled = false;
  }
}

function addFriend(name) {
  const box = $("[data-friends]");
  const names = $("[data-friend-names]");
  if (!box || !names) return;
  const current = names.textContent ? names.textContent.split(", ") : [];
  if (!current.includes(name)) names.textContent = [...current, name].join(", ");
  box.hidden = false;
}

// "You brought 4, they brought 9": the person's own branch of the cascade.
function renderBranch() {
  const el = $("[data-branch]");
  const branch = me.branch;
  if (!el || !branch || !branch.brought) return;
  const further = branch.branch - branch.brought;
  const strong = (n) => `<strong>${Number(n).toLocaleString()}</strong>`;
  el.innerHTML = `You brought ${strong(branch.brought)}${further > 0 ? `, they brought ${strong(further)}` : ""}`;
  el.hidden = false;
}

function onPersonal(message) {
  if (message.type === "spotlight" && message.slug === slug) renderSpotlight($("[data-spotlight]"), message.actions, slug);
  if (message.type === "raid" && message.slug === slug) {
    const fresh = raidBanner.hidden;  // it comes on both sockets: announce it once
    renderRaid(raidBanner, slug, message.to, { signedIn });
    if (fresh) {
      raidBanner.scrollIntoView({ behavior: "smooth" });
      navigator.vibrate?.([100, 50, 100]);
    }
  }
  if (message.slug !== slug) return;
  if (message.type === "cascade") {
    const mine = message.nodes.find((node) => node.id === me.branch?.id);
    if (mine) {
      me.branch = { ...me.branch, brought: mine.brought, branch: mine.branch };
      renderBranch();
    }
  } else if (message.type === "checkin") {
    me.checkin = message;
    renderMe();
  } else if (message.type === "pledge") addFriend(message.name);
  else if (message.type === "message") showMessage(message);
}

const raidBanner = document.querySelector("[data-raid]");
const signedIn = root.dataset.signedIn === "1";

const view = createActionView(root, {
  onSnapshot(state, previous) {
    renderCrowd(state);
    renderSpotlight($("[data-spotlight]"), state.spotlight, slug);
    renderRaid(raidBanner, slug, state.raid, { signedIn });
    [...state.messages].reverse().forEach((m) => showMessage(m, { quiet: previous === null }));
  },
  onPhase: () => renderMe(),
  onMessage: onPersonal,
});

$("[data-here]")?.addEventListener("click", (event) => checkIn(event.currentTarget));
$("[data-done]")?.addEventListener("click", (event) => markDone(event.currentTarget));
document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copy);
    input.select();
    await navigator.clipboard?.writeText(input.value).catch(() => {});
    button.textContent = "Copied";
  });
});
// Share: the phone's own share sheet where the browser has one, else copy the link.
$("[data-share-link]")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const shared = { title: button.dataset.shareTitle, url: button.dataset.shareLink };
  if (navigator.share) {
    await navigator.share(shared).catch(() => {});
    return;
  }
  await navigator.clipboard?.writeText(shared.url).catch(() => {});
  button.textContent = "Link copied";
});
$("[data-accept-invite]")?.addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  const { ok, data } = await api("POST", `/api/v1/actions/${slug}/organizers/accept`);
  if (ok) location.assign(`/a/${slug}/console`);
  else Object.assign($("[data-invite-error]"), { textContent: data.detail, hidden: false });
});
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});

view.start();
renderMe();
renderBranch();
if (me.checkin?.status === "pending") pollVerdict();
if (root.dataset.signedIn === "1") openSocket("/ws/me/", { onMessage: onPersonal });

// For the last-minutes nudge ("the spot is 300 m away"): while a pledger who has not
// checked in keeps this page open and has already allowed location, say roughly where
// they are every two minutes. The server keeps only a ~0.1 km² cell, until the end.
async function shareWhereabouts() {
  const phase = view.phase ?? view.state.phase;
  if (anywhere || !me.pledged || me.checkin || !["scheduled", "live"].includes(phase)) return;
  const allowed = await navigator.permissions?.query({ name: "geolocation" }).catch(() => null);
  if (allowed?.state !== "granted") return;
  navigator.geolocation.getCurrentPosition(
    ({ coords }) => api("PUT", `/api/v1/actions/${slug}/whereabouts`, { lat: coords.latitude, lon: coords.longitude }),
    () => {},
    { maximumAge: 60000, timeout: 10000 },
  );
}
shareWhereabouts();
setInterval(shareWhereabouts, 120000);
