// Alerts in this browser: Web Push through our service worker, and the prompt that
// offers them after a follow or a pledge (never on first load).
import { gettext } from "./i18n.js";
import { api } from "./action-view.js";

const DISMISSED = "gm_alerts_prompt_dismissed";
const QUIET_DAYS = 7;

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function registration() {
  return navigator.serviceWorker.register("/static/js/sw.js", { scope: "/static/js/" });
}

export async function currentSubscription() {
  if (!pushSupported()) return null;
  const found = await navigator.serviceWorker.getRegistration("/static/js/");
  return found ? found.pushManager.getSubscription() : null;
}

// Asks the browser, subscribes and tells the server. Returns {ok, detail}.
export async function turnOnPush() {
  if (!pushSupported()) return { ok: false, detail: gettext("This browser cannot show alerts; turn on email alerts instead.") };
  const key = await api("GET", "/api/v1/push/key");
  if (!key.ok) return { ok: false, detail: key.data.detail };
  if ((await Notification.requestPermission()) !== "granted") {
    return { ok: false, detail: gettext("Alerts are blocked for this site in your browser's settings.") };
  }
  const reg = await registration();
  await navigator.serviceWorker.ready;
  const subscription =
    (await reg.pushManager.getSubscription()) ||
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.data.public_key) }));
  const saved = await api("POST", "/api/v1/me/push-subscriptions", subscription.toJSON());
  return saved.ok ? { ok: true, detail: gettext("Alerts are on in this browser.") } : { ok: false, detail: saved.data.detail };
}

export async function turnOffPush() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await api("DELETE", "/api/v1/me/push-subscriptions", { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

const WORDS = {
  pledge: [gettext("Want a heads-up?"), gettext("Get a reminder 10 minutes before, GO at the start, and word if anything changes.")],
  follow: [gettext("Hear when they launch?"), gettext("Get an alert the moment someone you follow launches an action.")],
};

async function offer(slot) {
  if (!pushSupported() || Notification.permission === "denied") return;
  if (Date.now() - Number(localStorage.getItem(DISMISSED) || 0) < QUIET_DAYS * 864e5) return;
  if (await currentSubscription()) return;
  const [title, text] = WORDS[slot.dataset.reason] || WORDS.pledge;
  slot.querySelector("[data-prompt-title]").textContent = title;
  slot.querySelector("[data-prompt-text]").textContent = text;
  slot.hidden = false;
  const status = slot.querySelector("[data-prompt-status]");
  slot.querySelector("[data-prompt-yes]").addEventListener("click", async (event) => {
    event.currentTarget.disabled = true;
    const result = await turnOnPush().catch(() => ({ ok: false, detail: gettext("Could not turn alerts on here.") }));
    status.textContent = result.detail;
    if (result.ok) setTimeout(() => (slot.hidden = true), 2500);
  });
  slot.querySelector("[data-prompt-no]").addEventListener("click", () => {
    localStorage.setItem(DISMISSED, String(Date.now()));
    slot.hidden = true;
  });
}

const slot = document.getElementById("offer-alerts");
if (slot) offer(slot);

// The account's alerts page: one button for this browser.
const toggle = document.querySelector("[data-push-toggle]");
if (toggle) {
  const note = document.querySelector("[data-push-status]");
  const show = async () => {
    const on = Boolean(await currentSubscription());
    toggle.textContent = on ? gettext("Turn off alerts in this browser") : gettext("Turn on alerts in this browser");
    toggle.dataset.on = on ? "1" : "";
    if (!pushSupported()) {
      toggle.disabled = true;
      note.textContent = gettext("This browser cannot show alerts; email alerts still work.");
    }
  };
  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    if (toggle.dataset.on) {
      await turnOffPush();
      note.textContent = gettext("Alerts are off in this browser.");
    } else {
      const result = await turnOnPush().catch(() => ({ ok: false, detail: gettext("Could not turn alerts on here.") }));
      note.textContent = result.detail;
    }
    toggle.disabled = false;
    show();
  });
  show();
}
