// The participant's action page: join, countdown, "I'm here", "Done!".
import { api, createActionView, messageBanner, readJson } from "./action-view.js";
import { renderRaid, renderSpotlight } from "./attention.js";
import { clockTime, formatRemaining, localizeTimes, openSocket, shareLink, wireCopyButtons } from "./live.js";
import { format, gettext, ngettext } from "./i18n.js";
import { Outbox, worthRetrying } from "./outbox.js";
import { placeView } from "./place-picker.js";

const root = document.getElementById("action");
const me = readJson("me", { pledged: false, checkin: null });
const followed = new Set(readJson("followed-handles", []));
const slug = root.dataset.slug;
const anywhere = root.dataset.anywhere === "1";
const $ = (selector) => root.querySelector(selector);
const showMessage = messageBanner(document.querySelector("[data-message]"));
const outbox = new Outbox(slug);
const codeEntry = $("[data-code-entry]");
const codeInput = $("[data-presence-code]");
let queued = outbox.pending();
let attemptKey = queued?.idempotency_key ?? null;
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

// Where the participant is in the journey: one stage, one button at the bottom of the screen.
function stage() {
  const phase = view.phase;
  const checkin = me.checkin;
  if (phase === "cancelled") return "cancelled";
  if (!me.pledged) return phase === "ended" ? "ended" : "join";
  if (queued) return "queued";
  if (phase === "scheduled") return "ready";
  if (checkin?.status === "verified" && !checkin.deed_done) return "deed";
  if (checkin?.deed_done || phase === "ended") return "over";
  return checkin?.status === "pending" ? "pending" : "here";
}

const LOCATION_WORDS = {
  insecure:
    gettext("This page isn't served over HTTPS, so your browser won't share your location. Open it through an https:// link, or type the code shown on a screen at the spot."),
  denied: gettext("Location is blocked for this site. Allow it in your browser's site settings, or type the code shown on a screen at the spot."),
  unsupported: gettext("This browser can't share a location. Type the code shown on a screen at the spot."),
  prompt: gettext("At GO your phone will ask for your location: it is checked against the spot, once. Allow it now and “I'm here” is instant."),
  granted: gettext("Location is ready. When the countdown hits zero, tap “I'm here” on the spot."),
};

function renderMe() {
  const now = stage();
  const phase = view.phase;
  const checkin = me.checkin;
  const open = phase === "scheduled" || phase === "live";
  show("[data-join]", now === "join");
  show("[data-pledged]", me.pledged && open && !checkin?.deed_done);
  show("[data-share]", me.pledged && open);
  show("[data-ready]", now === "ready" && !anywhere);
  show("[data-here]", now === "here");
  show("[data-done]", now === "deed");
  show("[data-thanks]", Boolean(checkin?.deed_done));
  show("[data-results]", now === "over" || now === "ended");
  show("[data-whats-next]", now === "cancelled");
  show("[data-code-entry]", !anywhere && (now === "here" || now === "ready"));
  $("[data-here]").textContent = checkin?.status === "rejected" ? gettext("Try again") : anywhere ? gettext("I'm doing it") : gettext("I'm here");
  renderReady();
  renderEndCard();
  renderWhen();
  if (now === "queued") setStatus(queuedWords(queued), "pending");
  else if (now === "ready") setStatus(anywhere ? gettext("When the countdown hits zero, do the deed wherever you are and tap “I'm doing it”.") : LOCATION_WORDS[readiness], ["insecure", "denied", "unsupported"].includes(readiness) ? "rejected" : "");
  else if (!checkin || checkin.deed_done || now === "join") setStatus("");
  else setStatus(checkin.detail, checkin.status);
}

function queuedWords(entry) {
  const at = clockTime(entry.fixed_at, { seconds: true });
  return format(gettext("No signal. Your check-in from %(at)s is saved on this phone and goes out by itself the moment the signal returns."), { at });
}

// The countdown rides on the ready button: the participant always knows what's next.
function renderReady() {
  const button = $("[data-ready]");
  if (!button || button.hidden) return;
  const needsAsking = readiness === "prompt";
  button.disabled = !needsAsking;
  button.textContent = needsAsking
    ? gettext("Allow location now")
    : format(gettext("GO in %(time)s"), { time: formatRemaining(Date.parse(view.state.starts_at) - view.clock.now()) });
}

// Momentum can move the end: the facts follow.
function renderWhen() {
  const end = $("[data-local-clock]");
  if (!end || end.getAttribute("datetime") === view.state.ends_at) return;
  end.setAttribute("datetime", view.state.ends_at);
  localizeTimes(end.parentElement);
  const minutes = Math.round((Date.parse(view.state.ends_at) - Date.parse(view.state.starts_at)) / 60000);
  $("[data-duration]").textContent = format(gettext("%(minutes)s min"), { minutes });
}

function renderEndCard() {
  const card = $("[data-end-card]");
  if (!card) return;
  const phase = view.phase;
  card.hidden = phase !== "ended" && phase !== "cancelled";
  if (card.hidden) return;
  const { deeds, checked_in: people } = view.state.counts;
  const mine = me.checkin?.deed_done ? ` ${gettext("Yours is one of them.")}` : "";
  $("[data-end-title]").textContent = phase === "ended" ? gettext("It's over. Thank you!") : gettext("This action was cancelled");
  $("[data-end-text]").textContent =
    phase === "ended"
      ? format(ngettext("%(deeds)s deed done", "%(deeds)s deeds done", deeds), { deeds: deeds.toLocaleString() }) +
        format(ngettext(" by %(people)s person on the spot.", " by %(people)s people on the spot.", people), { people: people.toLocaleString() }) +
        mine
      : format(gettext("%(name)s called it off. Nothing you did is lost: find another action near you, or do the deed anyway."), { name: root.dataset.organizer });
}

let readiness = anywhere ? "granted" : "prompt";

async function checkReadiness() {
  if (anywhere) return;
  if (!window.isSecureContext) readiness = "insecure";
  else if (!navigator.geolocation) readiness = "unsupported";
  else {
    const permission = await navigator.permissions?.query({ name: "geolocation" }).catch(() => null);
    readiness = permission?.state ?? "prompt";
    if (permission) permission.onchange = () => checkReadiness();
  }
  if (["insecure", "denied", "unsupported"].includes(readiness) && codeEntry) codeEntry.open = true;
  renderMe();
}

function position(timeout = 20000) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject({ code: 0 });
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout, maximumAge: 0 });
  });
}

function locationProblem(error) {
  if (!window.isSecureContext) return LOCATION_WORDS.insecure;
  if (error.code === 1) return LOCATION_WORDS.denied;
  return gettext("Could not find your location. Step into the open and try again, or type the code shown on a screen at the spot.");
}

function newKey() {
  return crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// Asked during the countdown, with plain words, so GO is one tap.
async function allowLocation(button) {
  button.disabled = true;
  try {
    await position(15000);
    readiness = "granted";
  } catch (error) {
    setStatus(locationProblem(error), "rejected");
    if (codeEntry) codeEntry.open = true;
  }
  await checkReadiness();
}

async function checkIn(button) {
  const code = (codeInput?.value ?? "").replace(/\D/g, "");
  if (code && code.length !== 6) {
    setStatus(gettext("The code on the screen has 6 digits."), "rejected");
    return;
  }
  button.disabled = true;
  setStatus(anywhere ? gettext("Checking you in…") : gettext("Finding you…"), "pending");
  const body = {};
  let fixTime = Date.now();
  if (!anywhere) {
    try {
      // With a code in hand the fix is a bonus: do not keep the person waiting for it.
      const fix = await position(code ? 8000 : 20000);
      Object.assign(body, { lat: fix.coords.latitude, lon: fix.coords.longitude, accuracy_m: fix.coords.accuracy });
      fixTime = fix.timestamp || fixTime;
    } catch (error) {
      if (!code) {
        setStatus(locationProblem(error), "rejected");
        if (codeEntry) codeEntry.open = true;
        button.disabled = false;
        return;
      }
    }
  }
  if (code) body.presence_code = code;
  // Keep the key across a network failure so a retry cannot make a second check-in.
  attemptKey ??= newKey();
  const entry = { ...body, idempotency_key: attemptKey, fixed_at: new Date(fixTime + view.clock.offset).toISOString() };
  if (navigator.onLine === false) keep(entry);
  else await send(entry, { fresh: true });
  button.disabled = false;
}

// No signal: the check-in stays on the phone with its fix and the time of the fix on the
// server's clock, and goes out when the connection returns.
function keep(entry) {
  queued = entry;
  outbox.save(entry);
  renderMe();
}

async function send(entry, { fresh = false } = {}) {
  // A fresh tap sent at once is judged by when it arrives; only a kept one needs its fix time.
  const body = fresh ? { ...entry, fixed_at: undefined } : entry;
  let answer;
  try {
    answer = await api("POST", `/api/v1/actions/${slug}/checkins`, body);
  } catch {
    answer = { ok: false, status: 0 };
  }
  if (!answer.ok && worthRetrying(answer.status)) {
    keep(entry);
    return;
  }
  queued = null;
  outbox.clear();
  attemptKey = null;
  if (!answer.ok) {
    renderMe();
    setStatus(answer.data.detail, "rejected");
    return;
  }
  me.pledged = true;
  me.checkin = answer.data;
  renderMe();
  if (answer.data.status === "pending") pollVerdict();
}

let flushing = false;
async function flush() {
  if (!queued || flushing || navigator.onLine === false) return;
  flushing = true;
  try {
    await send(queued);
  } finally {
    flushing = false;
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
    setStatus(gettext("No connection. Tap again when you have signal."), "rejected");
  } finally {
    button.disabled = false;
  }
}

// GO: the whole screen says it, and the phone buzzes where it can.
function goMoment() {
  const moment = document.querySelector("[data-go-moment]");
  if (!moment) return;
  moment.hidden = false;
  navigator.vibrate?.([300, 120, 300]);
  const close = () => {
    moment.hidden = true;
    $("[data-here]:not([hidden])")?.focus();
  };
  moment.onclick = close;
  setTimeout(close, 3500);
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
  el.innerHTML =
    format(gettext("You brought %(n)s"), { n: strong(branch.brought) }) + (further > 0 ? format(gettext(", they brought %(n)s"), { n: strong(further) }) : "");
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
    if (previous) renderEndCard();
    renderSpotlight($("[data-spotlight]"), state.spotlight, slug);
    renderRaid(raidBanner, slug, state.raid, { signedIn });
    [...state.messages].reverse().forEach((m) => showMessage(m, { quiet: previous === null }));
  },
  onPhase(phase, previous) {
    if (previous === "scheduled" && phase === "live") goMoment();
    renderMe();
  },
  onMessage: onPersonal,
  onStatus: (status) => status === "open" && flush(),
});

$("[data-here]")?.addEventListener("click", (event) => checkIn(event.currentTarget));
$("[data-ready]")?.addEventListener("click", (event) => allowLocation(event.currentTarget));
$("[data-done]")?.addEventListener("click", (event) => markDone(event.currentTarget));
wireCopyButtons();
$("[data-share-link]")?.addEventListener("click", (event) => shareLink(event.currentTarget));
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

// A code from the QR on the screen at the spot arrives in the address: fill it in.
// It outlives the reload of joining on the way (the code is good for a minute anyway).
const scanned = new URLSearchParams(location.search).get("presence") ?? sessionStorage.getItem(`goodmob:presence:${slug}`);
if (scanned) sessionStorage.setItem(`goodmob:presence:${slug}`, scanned);
if (scanned && codeInput) {
  codeInput.value = scanned.replace(/\D/g, "").slice(0, 6);
  codeEntry.open = true;
}

view.start();
placeView(document.querySelector("[data-place-view]"));
localizeTimes(root);
renderMe();
renderBranch();
checkReadiness();
if (me.checkin?.status === "pending") pollVerdict();
window.addEventListener("online", flush);
setInterval(flush, 5000);
setInterval(renderReady, 250);
flush();
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
