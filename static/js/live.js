// Shared real-time plumbing: a self-healing socket and a server-clock estimate.
import { format, gettext } from "./i18n.js";

// Dates in the page's language, in the browser's own variant of it where it has one.
const lang = document.documentElement.lang || "en";
const LOCALE = navigator.languages?.find((tag) => tag.toLowerCase().startsWith(lang)) ?? lang;

export class ServerClock {
  constructor() {
    this.offset = 0;
    this.bestRtt = Infinity;
  }
  // Keep the sample with the shortest round trip: its midpoint is the least wrong.
  sample(clientTime, serverNow) {
    const rtt = Date.now() - clientTime;
    const server = Date.parse(serverNow);
    if (!Number.isFinite(rtt) || !Number.isFinite(server) || rtt < 0) return;
    if (rtt <= this.bestRtt) {
      this.bestRtt = rtt;
      this.offset = server - (clientTime + rtt / 2);
    }
  }
  seed(serverNow) {
    const server = Date.parse(serverNow);
    if (Number.isFinite(server) && this.bestRtt === Infinity) this.offset = server - Date.now();
  }
  now() {
    return Date.now() + this.offset;
  }
}

const FINAL_CLOSE_CODES = new Set([4401, 4404, 1008, 1009]);

export function openSocket(path, { onMessage, onStatus = () => {}, clock = null }) {
  let ws = null;
  let attempt = 0;
  let timers = [];
  let retry = null;

  const ping = () => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping", client_time: Date.now() }));
  };

  const connect = () => {
    retry = null;
    onStatus("connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}${path}`);
    ws.addEventListener("open", () => {
      attempt = 0;
      onStatus("open");
      // A few quick samples for a good offset, then a slow refresh.
      timers = [0, 1500, 4000].map((ms) => setTimeout(ping, ms));
      timers.push(setInterval(ping, 20000));
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "pong" && clock) clock.sample(Number(message.client_time), message.server_now);
      onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      timers.forEach((t) => (clearTimeout(t), clearInterval(t)));
      timers = [];
      onStatus(navigator.onLine === false ? "offline" : "closed");
      if (FINAL_CLOSE_CODES.has(event.code)) return;
      const delay = Math.min(30000, 500 * 2 ** attempt++) * (0.5 + Math.random());
      retry = setTimeout(connect, delay);
    });
  };

  // Phones freeze background tabs, and a lost signal may come back long before the next
  // try: reconnect at once when the page is looked at again or the network returns.
  const now = () => {
    if (ws && ws.readyState === WebSocket.CLOSED && retry) {
      clearTimeout(retry);
      connect();
    }
  };
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && now());
  window.addEventListener("online", now);
  window.addEventListener("offline", () => onStatus("offline"));
  connect();
  return { close: () => ws && ws.close() };
}

// The connection, said plainly: a screen that silently stopped updating is worse than one
// that says so.
const CONNECTION_WORDS = {
  open: gettext("Connected"),
  connecting: gettext("Connecting…"),
  closed: gettext("Reconnecting…"),
  offline: gettext("Offline: no signal"),
};

export function showConnection(el, status) {
  document.body.dataset.socket = status;
  if (!el) return;
  el.textContent = CONNECTION_WORDS[status] ?? status;
  el.className = `connection connection-${status}`;
}

export function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${pad(minutes)}:${pad(seconds)}`;
}

export function localTime(iso) {
  const when = new Date(iso);
  const sameDay = when.toDateString() === new Date().toDateString();
  const time = when.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  return sameDay ? format(gettext("Today %(time)s"), { time }) : `${when.toLocaleDateString(LOCALE, { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}

// Times in the viewer's own zone: [data-local-time] as a day and time, [data-local-clock]
// as a time of day alone.
export function localizeTimes(root = document) {
  root.querySelectorAll("[data-local-time]").forEach((el) => {
    el.textContent = localTime(el.getAttribute("datetime"));
  });
  root.querySelectorAll("[data-local-clock]").forEach((el) => {
    el.textContent = clockTime(el.getAttribute("datetime"));
  });
}

// A time of day in the viewer's zone and the page's language.
export function clockTime(iso, { seconds = false } = {}) {
  return new Date(iso).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", ...(seconds && { second: "2-digit" }) });
}

// An element with a class and text: the pages build their cards with it (never innerHTML
// with names people chose).
export function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// [data-copy="#input"] buttons copy that input's value.
export function wireCopyButtons(root = document) {
  root.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.querySelector(button.dataset.copy);
      input.select();
      await navigator.clipboard?.writeText(input.value).catch(() => {});
      button.textContent = "Copied";
    });
  });
}

// Share: the phone's own share sheet where the browser has one, else copy the link.
export async function shareLink(button) {
  const shared = { title: button.dataset.shareTitle, url: button.dataset.shareLink };
  if (navigator.share) {
    await navigator.share(shared).catch(() => {});
    return;
  }
  await navigator.clipboard?.writeText(shared.url).catch(() => {});
  button.textContent = gettext("Link copied");
}
